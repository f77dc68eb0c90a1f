//! A saved report as text again (`loadtop report` without output files):
//! the summary a run prints at its end, rebuilt from the JSON.

use std::fmt::Write;

use super::Report;
use super::check::render_lines;
use super::json::PlanKind;
use super::text::{
    StageTableRow, TextOptions, format_duration_us, format_percent, render_stage_table,
    render_summary,
};

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
                database_cpu_mean: stage.resources.database_cpu_mean,
                verdict: (!own.is_empty()).then(|| own.iter().all(|p| *p)),
                cut: report.cut_stages.contains(&stage.name),
                not_evaluated: !report.thresholds_evaluated,
                bottleneck: stage.diagnosis.as_ref().map(|d| d.bottleneck.label()),
            }
        })
        .collect();
    if plan.kind() == PlanKind::Bench {
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
