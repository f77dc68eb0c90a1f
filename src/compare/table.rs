//! The side-by-side tables of a comparison: rows are built from each
//! target's finished report (one table per measured stage, one row per
//! target that ran it) and rendered as aligned text or Markdown. Pure: no
//! I/O, the caller prints.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::report::Report;
use crate::report::text::{failed_count, format_duration_us, format_duration_us_f64};

/// One target's figures for one stage. Latency in µs, CPU in percent of
/// one core, memory in bytes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CompareRow {
    pub target: String,
    pub requests: u64,
    pub rps: f64,
    pub mean_us: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    /// Transport errors plus status >= 400.
    pub errors: u64,
    pub cpu_mean: Option<f32>,
    pub cpu_max: Option<f32>,
    pub rss_peak_bytes: Option<u64>,
    /// What limited the target in this stage (its report's verdict).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bottleneck: Option<crate::diagnosis::Bottleneck>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StageTable {
    pub stage: String,
    /// What the figures come from: model, connections, duration, warm-up.
    pub caption: String,
    pub rows: Vec<CompareRow>,
}

const HEADER: [&str; 11] = [
    "target",
    "req/s",
    "mean",
    "p50",
    "p99",
    "p99.9",
    "errors",
    "mean CPU %",
    "max CPU %",
    "peak RSS MiB",
    "bottleneck",
];

/// One table per measured stage, in plan order; targets in the given order.
pub fn build(reports: &[(&str, &Report)]) -> Vec<StageTable> {
    let mut tables: Vec<StageTable> = Vec::new();
    for (name, report) in reports {
        for stage in report.stages.iter().filter(|s| s.measured) {
            let index = match tables.iter().position(|t| t.stage == stage.name) {
                Some(index) => index,
                None => {
                    tables.push(StageTable {
                        stage: stage.name.clone(),
                        caption: caption(report, &stage.name),
                        rows: Vec::new(),
                    });
                    tables.len() - 1
                }
            };
            let s = &stage.summary;
            let r = &stage.resources;
            tables[index].rows.push(CompareRow {
                target: (*name).to_string(),
                requests: s.requests,
                rps: s.rps,
                mean_us: s.latency.mean_us,
                p50_us: s.latency.p50_us,
                p99_us: s.latency.p99_us,
                p999_us: s.latency.p999_us,
                errors: failed_count(s),
                cpu_mean: r.target_cpu_mean,
                cpu_max: r.target_cpu_max,
                rss_peak_bytes: r.target_rss_peak,
                bottleneck: stage.diagnosis.as_ref().map(|d| d.bottleneck),
            });
        }
    }
    tables
}

/// E.g. `closed model, 100 connections, 10s measured after a 5s warm-up`.
fn caption(report: &Report, stage: &str) -> String {
    let plan = &report.plan;
    let planned = plan.stages.iter().find(|s| s.name == stage && s.measured);
    let connections = planned
        .and_then(|s| s.connections)
        .unwrap_or(plan.connections);
    let mut text = format!("{} model, {connections} connections", plan.model);
    if let Some(rate) = planned.and_then(|s| s.rate) {
        let _ = write!(text, ", {rate:.0} req/s");
    }
    if let Some(secs) = planned.and_then(|s| s.duration_secs) {
        let _ = write!(text, ", {} measured", seconds(secs));
    }
    match plan.stages.iter().find(|s| !s.measured) {
        Some(warmup) => {
            let secs = warmup.duration_secs.unwrap_or(0.0);
            let _ = write!(
                text,
                " after a {} warm-up (p99 and p99.9 exclude it)",
                seconds(secs)
            );
        }
        None => text.push_str(", no warm-up (start-up stalls count in p99 and p99.9)"),
    }
    text
}

fn seconds(secs: f64) -> String {
    if secs < 1.0 {
        format!("{:.0}ms", secs * 1e3)
    } else if secs.fract() == 0.0 {
        format!("{secs:.0}s")
    } else {
        format!("{secs:.1}s")
    }
}

fn cells(row: &CompareRow) -> [String; 11] {
    let opt = |v: Option<f32>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.0}"));
    [
        row.target.clone(),
        format!("{:.0}", row.rps),
        format_duration_us_f64(row.mean_us),
        format_duration_us(row.p50_us),
        format_duration_us(row.p99_us),
        format_duration_us(row.p999_us),
        row.errors.to_string(),
        opt(row.cpu_mean),
        opt(row.cpu_max),
        row.rss_peak_bytes.map_or_else(
            || "-".to_string(),
            |b| format!("{:.1}", b as f64 / crate::units::MIB),
        ),
        row.bottleneck
            .map_or_else(|| "-".to_string(), |b| b.label().to_string()),
    ]
}

/// Aligned columns, two spaces apart: the target left-aligned, numbers right.
pub fn render_text(tables: &[StageTable]) -> String {
    let mut out = String::new();
    for (i, table) in tables.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "stage `{}`: {}", table.stage, table.caption);
        let body: Vec<[String; 11]> = table.rows.iter().map(cells).collect();
        let mut widths = HEADER.map(str::len);
        for line in &body {
            for (width, cell) in widths.iter_mut().zip(line) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let header = HEADER.map(String::from);
        for line in std::iter::once(&header).chain(&body) {
            let mut text = String::new();
            for (col, (cell, width)) in line.iter().zip(widths).enumerate() {
                if col == 0 {
                    let _ = write!(text, "{cell:<width$}");
                } else {
                    let _ = write!(text, "  {cell:>width$}");
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        }
    }
    out
}

/// GitHub-flavoured Markdown: a heading per stage, numbers right-aligned.
pub fn render_markdown(tables: &[StageTable]) -> String {
    let mut out = String::new();
    for (i, table) in tables.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "#### Stage `{}`: {}\n", table.stage, table.caption);
        let _ = writeln!(out, "| {} |", HEADER.join(" | "));
        let align: Vec<&str> = (0..HEADER.len())
            .map(|col| if col == 0 { ":---" } else { "---:" })
            .collect();
        let _ = writeln!(out, "|{}|", align.join("|"));
        for row in &table.rows {
            let cells = cells(row).map(|c| c.replace('|', "\\|"));
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::ResourceStats;
    use crate::report::StageReport;
    use crate::report::json::PlannedStage;
    use crate::stats::Interval;
    use std::time::Duration;

    fn planned(name: &str, secs: f64, measured: bool) -> PlannedStage {
        PlannedStage {
            name: name.into(),
            model: "closed".into(),
            duration_secs: Some(secs),
            rate: None,
            connections: None,
            ramp: false,
            measured,
            knobs: Default::default(),
        }
    }

    fn report(latency_us: u64, responses: u64) -> Report {
        let mut report = Report::empty_for_tests();
        report.plan.connections = 100;
        report.plan.stages = vec![planned("warmup", 5.0, false), planned("steady", 10.0, true)];
        let mut interval = Interval::new();
        for _ in 0..responses {
            interval.record_response(latency_us, latency_us, 200, 13);
        }
        let summary =
            crate::stats::summary::Summary::from_interval(&interval, Duration::from_secs(10));
        for (name, measured) in [("warmup", false), ("steady", true)] {
            report.stages.push(StageReport {
                name: name.into(),
                latency_corrected: false,
                measured,
                started_secs: 0.0,
                summary: summary.clone(),
                resources: ResourceStats {
                    target_cpu_mean: Some(97.4),
                    target_cpu_max: Some(120.0),
                    target_rss_peak: Some(12 * 1024 * 1024),
                    ..Default::default()
                },
                histogram: String::new(),
                service_histogram: String::new(),
                phase_histograms: None,
                requests: Vec::new(),
                diagnosis: None,
            });
        }
        report
    }

    #[test]
    fn one_table_per_measured_stage_and_one_row_per_target() {
        let (a, b) = (report(1_000, 1000), report(25_000, 40));
        let tables = build(&[("fast", &a), ("a-much-longer-name", &b)]);
        assert_eq!(tables.len(), 1, "the warm-up gets no table");
        let table = &tables[0];
        assert_eq!(table.stage, "steady");
        assert_eq!(table.rows.len(), 2);
        assert_eq!(table.rows[0].requests, 1000);
        assert!((table.rows[0].rps - 100.0).abs() < 1e-9);
        assert_eq!(
            table.caption,
            "closed model, 100 connections, 10s measured after a 5s warm-up (p99 and p99.9 exclude it)"
        );
    }

    #[test]
    fn text_columns_line_up() {
        let (a, b) = (report(1_000, 1000), report(25_000, 40));
        let text = render_text(&build(&[("fast", &a), ("a-much-longer-name", &b)]));
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("stage `steady`: closed model"),
            "{text}"
        );
        assert!(lines[1].starts_with("target            "), "{text}");
        assert!(lines[2].starts_with("fast  "), "{text}");
        assert!(lines[3].starts_with("a-much-longer-name  "), "{text}");
        // Right-aligned numbers: every row ends in the same column.
        assert_eq!(lines[1].len(), lines[2].len(), "{text}");
        assert_eq!(lines[2].len(), lines[3].len(), "{text}");
        assert!(lines[2].contains("1.00ms"), "{text}");
        assert!(lines[3].contains("25.00ms"), "{text}");
        assert!(
            lines[2].ends_with("97        120          12.0           -"),
            "{text}"
        );
    }

    #[test]
    fn markdown_has_a_header_an_alignment_row_and_a_row_per_target() {
        let (a, mut b) = (report(1_000, 1000), report(25_000, 40));
        b.stages[1].diagnosis = Some(crate::report::diagnosis::StageDiagnosis {
            bottleneck: crate::diagnosis::Bottleneck::Pool,
            evidence: vec!["16/16 slots busy".into()],
            advice: String::new(),
            runner_up: None,
            seconds: 9,
            of_seconds: 10,
        });
        let md = render_markdown(&build(&[("fast", &a), ("slow|pipe", &b)]));
        let lines: Vec<&str> = md.lines().collect();
        assert!(lines[0].starts_with("#### Stage `steady`"), "{md}");
        assert_eq!(
            lines[2],
            "| target | req/s | mean | p50 | p99 | p99.9 | errors | mean CPU % | max CPU % | peak RSS MiB | bottleneck |"
        );
        assert_eq!(
            lines[3],
            "|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        );
        assert!(lines[4].starts_with("| fast | 100 | 1.00ms |"), "{md}");
        assert!(
            lines[5].starts_with("| slow\\|pipe | 4 | 25.00ms |"),
            "{md}"
        );
        assert!(lines[4].ends_with("| - |"), "{md}");
        assert!(lines[5].ends_with("| pool |"), "{md}");
        assert_eq!(lines.len(), 6);
    }

    #[test]
    fn a_run_without_warmup_says_so_and_missing_figures_show_a_dash() {
        let mut r = report(1_000, 10);
        r.plan.stages.remove(0);
        r.stages.remove(0);
        r.stages[0].resources = ResourceStats::default();
        let tables = build(&[("url-only", &r)]);
        assert!(
            tables[0].caption.contains("no warm-up"),
            "{}",
            tables[0].caption
        );
        let text = render_text(&tables);
        assert!(
            text.lines()
                .nth(2)
                .unwrap()
                .ends_with("-          -             -           -"),
            "{text}"
        );
    }
}
