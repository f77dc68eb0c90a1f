//! The `report`, `merge` and `check` subcommands: read saved reports,
//! print or write what was asked, and return the exit code. Bad input is a
//! [`ReportInputError`] (main prints it as one line and exits 2).

use std::fmt::Write;

use super::check::{self, render_lines};
use super::files::{OutputFiles, write_atomic, write_outputs};
use super::input::{ReportInputError, load_report};
use super::merge::merge_reports;
use super::text::{
    StageTableRow, TextOptions, format_duration_us, format_percent, render_stage_table,
    render_summary,
};
use super::{Report, ReportError};
use crate::cli::{CheckArgs, MergeArgs, ReportArgs};
use crate::profile::Profile;
use crate::runner::exit;

/// Prints the summary again, or writes the requested files (listing them).
pub fn report(args: &ReportArgs) -> Result<u8, ReportInputError> {
    let report = load_report(&args.report)?;
    let outputs = OutputFiles::from_output_args(&args.outputs);
    if outputs.is_empty() {
        print!("{}", render_review(&report));
    } else {
        for path in write_outputs(&report, &outputs)? {
            println!("wrote {}", path.display());
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
    println!(
        "merged {} reports into {}: {} requests, {:.1} req/s, p99 {}, thresholds {}",
        shards.len(),
        args.output.display(),
        summary.requests,
        summary.rps,
        format_duration_us(summary.latency.p99_us),
        if merged.report.passed { "pass" } else { "FAIL" }
    );
    Ok(exit::OK)
}

/// 0 when every threshold holds (or there are none), 1 when any fails.
pub fn check(args: &CheckArgs) -> Result<u8, ReportInputError> {
    let report = load_report(&args.report)?;
    let results = match &args.profile {
        Some(path) => check::evaluate_profile(&report, &Profile::load(path)?),
        None => check::evaluate_recorded(&report)?,
    };
    if results.is_empty() {
        println!("no thresholds to check");
        return Ok(exit::OK);
    }
    print!("{}", render_lines(&results));
    let failed = results.iter().filter(|t| !t.passed).count();
    if failed == 0 {
        println!("all {} thresholds pass", results.len());
        Ok(exit::OK)
    } else {
        println!("{failed} of {} thresholds FAIL", results.len());
        Ok(exit::FAILED)
    }
}

/// The text a run prints at its end, rebuilt from a saved report.
pub fn render_review(report: &Report) -> String {
    let mut out = String::new();
    let plan = &report.plan;
    let _ = writeln!(
        out,
        "{} ({}) against {}",
        plan.name, plan.origin, plan.target
    );
    let _ = writeln!(
        out,
        "started {}, ran {:.1}s, outcome {}{}",
        report.started_at,
        report.duration_secs,
        report.outcome,
        report
            .outcome_detail
            .as_deref()
            .map_or_else(String::new, |d| format!(": {d}"))
    );
    let _ = writeln!(
        out,
        "{} model, latency {}",
        plan.model,
        if plan.latency_corrected {
            "corrected for coordinated omission"
        } else {
            "not corrected (measured from the actual send)"
        }
    );
    let rows: Vec<StageTableRow> = report
        .stages
        .iter()
        .map(|stage| {
            let own: Vec<bool> = report
                .thresholds
                .iter()
                .filter(|t| t.stage.as_deref() == Some(stage.name.as_str()))
                .map(|t| t.passed)
                .collect();
            StageTableRow {
                name: stage.name.clone(),
                summary: stage.summary.clone(),
                target_cpu_mean: stage.resources.target_cpu_mean,
                target_rss_peak: stage.resources.target_rss_peak,
                verdict: (!own.is_empty()).then(|| own.iter().all(|p| *p)),
                cut: report.cut_stages.contains(&stage.name),
                not_evaluated: !report.thresholds_evaluated,
            }
        })
        .collect();
    if plan.name == "bench" {
        // A bench run prints wrk's block; so does its report.
        let options = TextOptions {
            corrected: plan.latency_corrected,
            show_service: plan.latency_corrected,
        };
        out.extend(super::text::protocol_line(plan));
        out.push_str(&render_summary(&report.summary, &options));
    } else {
        out.push_str(&render_stage_table(&rows));
        let s = &report.summary;
        let _ = writeln!(
            out,
            "measured: {} requests, {:.1} req/s, p50 {}, p99 {}, max {}, errors {}",
            s.requests,
            s.rps,
            format_duration_us(s.latency.p50_us),
            format_duration_us(s.latency.p99_us),
            format_duration_us(s.latency.max_us),
            format_percent(s.error_rate)
        );
    }
    out.push_str(&super::requests::table(&report.requests));
    out.push_str(&render_lines(&report.thresholds));
    let _ = writeln!(
        out,
        "{}",
        match (report.thresholds.is_empty(), report.passed) {
            (true, _) => "no thresholds",
            (false, _) if !report.thresholds_evaluated => "thresholds not evaluated (interrupted)",
            (false, true) => "all thresholds pass",
            (false, false) => "thresholds FAILED",
        }
    );
    out
}
