//! The `report`, `merge` and `check` subcommands: read saved reports,
//! print or write what was asked, and return the exit code. Bad input is a
//! [`ReportInputError`] (main prints it as one line and exits 2).

use super::exit;
use super::output::Output;
use crate::cli::{CheckArgs, MergeArgs, ReportArgs};
use crate::profile::Profile;
use crate::report::ReportError;
use crate::report::check::{self, render_lines};
use crate::report::files::{write_atomic, write_outputs};
use crate::report::input::{ReportInputError, load_report};
use crate::report::merge::merge_reports;
use crate::report::review::render_review;
use crate::report::text::format_duration_us;

/// Prints the summary again, or writes the requested files (listing them).
pub fn report(args: &ReportArgs) -> Result<u8, ReportInputError> {
    let report = load_report(&args.report)?;
    let outputs = super::output_files(&args.outputs);
    let output = Output::new(outputs.uses_stdout());
    if outputs.is_empty() {
        output.text(&render_review(&report));
    } else {
        for path in write_outputs(&report, &outputs)? {
            output.text(&format!("wrote {}\n", path.display()));
        }
    }
    Ok(exit::OK)
}

/// Writes the merged report; the verdict is `check`'s job, so this exits 0.
pub fn merge(args: &MergeArgs) -> Result<u8, ReportInputError> {
    let shards = args
        .reports
        .iter()
        .map(|path| Ok((path.display().to_string(), load_report(path)?)))
        .collect::<Result<Vec<_>, ReportInputError>>()?;
    let merged = merge_reports(&shards)?;
    let json = merged.to_json().map_err(ReportError::from)?;
    let mut bytes = serde_json::to_vec_pretty(&json).map_err(ReportError::from)?;
    bytes.push(b'\n');
    write_atomic(&args.output, &bytes)?;
    let summary = &merged.report.summary;
    Output::text_on_stdout().text(&format!(
        "merged {} reports into {}: {} requests, {:.1} req/s, p99 {}, thresholds {}\n",
        shards.len(),
        args.output.display(),
        summary.requests,
        summary.rps,
        format_duration_us(summary.latency.p99_us),
        if merged.report.passed { "pass" } else { "FAIL" }
    ));
    Ok(exit::OK)
}

/// 0 when every threshold holds (or there are none), 1 when any fails.
pub fn check(args: &CheckArgs) -> Result<u8, ReportInputError> {
    let report = load_report(&args.report)?;
    let results = match &args.profile {
        Some(path) => check::evaluate_profile(&report, &Profile::load(path)?),
        None => check::evaluate_recorded(&report)?,
    };
    let output = Output::text_on_stdout();
    if results.is_empty() {
        output.text("no thresholds to check\n");
        return Ok(exit::OK);
    }
    let failed = results.iter().filter(|t| !t.passed).count();
    let verdict = if failed == 0 {
        format!("all {} thresholds pass\n", results.len())
    } else {
        format!("{failed} of {} thresholds FAIL\n", results.len())
    };
    output.text(&format!("{}{verdict}", render_lines(&results)));
    Ok(if failed == 0 { exit::OK } else { exit::FAILED })
}
