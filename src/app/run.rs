//! `loadtop run`, `loadtop bench` and the dashboard: choose the dashboard
//! or headless output, arm the signal handling, run the session on its own
//! thread, print what people read afterwards and map the outcome to an exit
//! code. `max` runs its search through [`run_planned`] and [`after_run`].

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;

use super::exit;
use super::output::Output;
use super::progress::spawn_progress;
use crate::plan::{ReportDest, RunKind, RunPlan};
use crate::profile::ModelKind;
use crate::report::text::{self, StageTableRow, TextOptions};
use crate::session::{self, Outcome, RunResult, SessionError, SessionIo, StagePlanner};
use crate::snapshot::Snapshot;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("dashboard: {0}")]
    Tui(#[from] crate::tui::TuiError),
    #[error("cannot locate the loadtop binary to start the embedded server: {0}")]
    Exe(std::io::Error),
    #[error("cannot serve metrics on {addr}: {source}")]
    Metrics {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Output(#[from] crate::report::ReportError),
    #[error("the run stopped unexpectedly (internal error)")]
    Crashed,
}

/// What a command-line run needs besides the plan.
pub struct RunOptions {
    /// Override the server binary (tests); defaults to this executable.
    pub server_exe: Option<PathBuf>,
    /// When false, the dashboard is never used.
    pub allow_tui: bool,
    /// Serve live Prometheus metrics here during the run.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Extra files (HTML, .hgrm, .hlog, CSV) written from the report afterwards.
    pub outputs: crate::report::OutputFiles,
}

pub fn run(plan: &RunPlan, options: RunOptions) -> Result<u8, RunError> {
    let outputs = options.outputs.clone();
    let result = match run_planned(plan, options, None) {
        Err(RunError::Session(SessionError::Interrupted)) => {
            eprintln!("loadtop: interrupted before the run started");
            return Ok(exit::INTERRUPTED);
        }
        other => other?,
    };
    print_results(
        plan,
        &result,
        Output::for_run(plan.report.as_ref(), &outputs),
    );
    let all_written = after_run(&result, &outputs);
    Ok(with_outputs(exit_code(&result), all_written))
}

/// A run whose requested files could not all be written is not a success,
/// though its own verdict (failed, interrupted) comes first.
pub fn with_outputs(code: u8, all_written: bool) -> u8 {
    if code == exit::OK && !all_written {
        exit::USAGE
    } else {
        code
    }
}

/// Whether a run with these options shows the dashboard.
pub fn uses_dashboard(plan: &RunPlan, options: &RunOptions) -> bool {
    options.allow_tui && !plan.headless && std::io::stdout().is_terminal()
}

/// Runs the plan like [`run`], with a planner that may append stages, and
/// returns the result unprinted: the caller prints, calls [`after_run`] and
/// picks the exit code.
pub fn run_planned(
    plan: &RunPlan,
    options: RunOptions,
    planner: Option<Box<dyn StagePlanner>>,
) -> Result<RunResult, RunError> {
    let report_path = match &plan.report {
        Some(ReportDest::File(path)) => Some(path.clone()),
        Some(ReportDest::Stdout) => None,
        // Profile runs always keep a report; `bench` writes one only when asked.
        None if plan.kind != RunKind::Bench => {
            Some(crate::report::writable_default_path(&plan.name))
        }
        None => None,
    };
    // Before any load: a run whose results cannot be written is wasted.
    let json_dest = match &plan.report {
        Some(ReportDest::Stdout) => Some(std::path::Path::new("-")),
        _ => report_path.as_deref(),
    };
    crate::report::files::check_destinations(json_dest, &options.outputs)?;
    let use_tui = uses_dashboard(plan, &options);
    let server_exe = match options.server_exe {
        Some(path) => path,
        None => std::env::current_exe().map_err(RunError::Exe)?,
    };
    let interrupted = Arc::new(AtomicBool::new(false));
    super::signals::arm(interrupted.clone());
    let (snapshot_tx, snapshot_rx) = tokio::sync::watch::channel(Snapshot::default());
    if let Some(addr) = options.metrics_addr {
        let bound = crate::live_metrics::serve(addr, snapshot_rx.clone())
            .map_err(|source| RunError::Metrics { addr, source })?;
        eprintln!("loadtop: metrics at http://{bound}/metrics");
    }
    let (control_tx, control_rx) = mpsc::channel();
    let io = session_io(
        server_exe,
        snapshot_tx,
        control_rx,
        interrupted,
        report_path,
    );

    let session_plan = plan.clone();
    let session = std::thread::Builder::new()
        .name("loadtop-session".into())
        .spawn(move || session::run_planned(&session_plan, io, planner))
        .map_err(|_| RunError::Crashed)?;

    let tui_result = if use_tui {
        crate::tui::run(snapshot_rx, control_tx.clone())
    } else {
        if !use_tui && std::io::stderr().is_terminal() {
            spawn_progress(snapshot_rx, String::new());
        }
        Ok(())
    };
    if tui_result.is_err() {
        // The dashboard failed: stop the run so the report is still written.
        let _ = control_tx.send(session::Control::Quit);
    }
    let result = session.join().map_err(|_| RunError::Crashed)??;
    tui_result?;
    Ok(result)
}

/// What the session of a run (dashboard or headless) is given.
fn session_io(
    server_exe: PathBuf,
    snapshots: tokio::sync::watch::Sender<Snapshot>,
    controls: mpsc::Receiver<session::Control>,
    interrupted: Arc<AtomicBool>,
    report_path: Option<PathBuf>,
) -> SessionIo {
    SessionIo {
        server_exe,
        snapshots: Some(snapshots),
        controls: Some(controls),
        interrupted,
        report_path,
    }
}

/// What every command says after its own summary: a target that died, a
/// report that could not go where asked, and the extra files written from
/// the report. Returns whether every requested file was written; when one
/// was not and the report is nowhere yet, it is kept in `loadtop-reports/`
/// (or the temporary directory), so the measured data survives.
pub fn after_run(result: &RunResult, outputs: &crate::report::OutputFiles) -> bool {
    if let Outcome::TargetExited(reason) = &result.outcome {
        eprintln!(
            "loadtop: the target exited mid-run ({reason}); the report holds what was measured"
        );
    }
    if let Some(failure) = &result.report_failure {
        eprintln!("loadtop: {failure}");
    }
    let (written, failures) = crate::report::files::write_each(&result.report, outputs);
    written
        .iter()
        .for_each(|p| eprintln!("wrote {}", p.display()));
    failures.iter().for_each(|err| eprintln!("loadtop: {err}"));
    if !failures.is_empty() && result.report_path.is_none() {
        match crate::report::keep_elsewhere(&result.report) {
            Some(kept) => eprintln!("loadtop: the report was saved to {}", kept.display()),
            None => eprintln!("loadtop: the report could not be saved anywhere"),
        }
    }
    failures.is_empty() && result.report_failure.is_none()
}

fn exit_code(result: &RunResult) -> u8 {
    match result.outcome {
        // Quitting the dashboard before the plan ends is an interruption too.
        Outcome::Interrupted | Outcome::Quit => exit::INTERRUPTED,
        Outcome::TargetExited(_) => exit::FAILED,
        _ if !result.report.passed => exit::FAILED,
        _ => exit::OK,
    }
}

fn print_results(plan: &RunPlan, result: &RunResult, output: Output) {
    let report = &result.report;
    let mut out = String::new();
    let options = TextOptions {
        corrected: plan.model == ModelKind::Open,
        show_service: plan.model == ModelKind::Open,
    };
    if plan.kind == RunKind::Bench {
        out.push_str(&text::bench_header(
            report,
            &plan.target.describe(),
            plan.max_requests.is_some(),
        ));
        out.push_str(&format!(
            "  {} threads and {} connections\n",
            plan.threads, plan.connections
        ));
        out.extend(text::protocol_line(&report.plan));
        out.push_str(&text::render_summary(&report.summary, &options));
        out.push_str(&text::target_resources(&report.stages));
        if plan.print_latency {
            out.push_str("\n  Detailed Percentile spectrum:\n");
            out.push_str(&crate::report::hgrm::percentile_distribution(
                &result.total.latency,
                1000.0,
            ));
            // The open model's own error, in the same layout, so the two
            // spectra can be read (or plotted) side by side.
            if let Some(phases) = result
                .total
                .phases
                .as_ref()
                .filter(|p| !p.send_lag.is_empty())
            {
                out.push_str("\n  Send lag percentile spectrum (actual - intended send):\n");
                out.push_str(&crate::report::hgrm::percentile_distribution(
                    &phases.send_lag,
                    1000.0,
                ));
            }
        }
    } else {
        let rows: Vec<StageTableRow> = report
            .stages
            .iter()
            .map(|stage| StageTableRow {
                name: stage.name.clone(),
                summary: stage.summary.clone(),
                target_cpu_mean: stage.resources.target_cpu_mean,
                target_rss_peak: stage.resources.target_rss_peak,
                database_cpu_mean: stage.resources.database_cpu_mean,
                verdict: stage_verdict(report, &stage.name),
                cut: report.cut_stages.contains(&stage.name),
                not_evaluated: !report.thresholds_evaluated,
                bottleneck: stage.diagnosis.as_ref().map(|d| d.bottleneck.label()),
            })
            .collect();
        out.push_str(&format!(
            "{} ({}) against {}\n",
            plan.name,
            plan.origin,
            plan.target.describe()
        ));
        out.push_str(&text::render_stage_table(&rows));
        out.push_str(&text::corrected_vs_service(&report.stages));
    }
    out.push_str(&crate::report::diagnosis::stage_lines(&report.stages));
    out.push_str(&crate::report::requests::table(&report.requests));
    out.push_str(&text::requests_by_stage(&report.stages));
    for threshold in &report.thresholds {
        let scope = threshold.stage.as_deref().unwrap_or("run");
        let verdict = match (report.thresholds_evaluated, threshold.passed) {
            (false, _) => "not evaluated (interrupted)",
            (true, true) => "pass",
            (true, false) => "FAIL",
        };
        out.push_str(&format!(
            "threshold {verdict}: {} [{scope}] observed {}\n",
            threshold.expr, threshold.observed_text
        ));
    }
    if let Some(detail) = &report.outcome_detail {
        out.push_str(&format!("run {}: {detail}\n", report.outcome));
    }
    output.text(&out);
    let json_on_stdout = matches!(plan.report, Some(ReportDest::Stdout));
    output.report(report, json_on_stdout, result.report_path.as_deref());
}

fn stage_verdict(report: &crate::report::Report, stage: &str) -> Option<bool> {
    let own: Vec<_> = report
        .thresholds
        .iter()
        .filter(|t| t.stage.as_deref() == Some(stage))
        .collect();
    (!own.is_empty()).then(|| own.iter().all(|t| t.passed))
}
