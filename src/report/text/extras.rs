//! The parts of the headless text that read a whole report rather than one
//! summary: the target's CPU and memory (`bench --pid`), corrected latency
//! beside the service time for open-model stages, and a request mix broken
//! down per stage. Each returns an empty string when it has nothing to say.

use std::fmt::Write as _;

use crate::report::json::StageReport;

use super::{format_bytes, format_duration_us};

/// `  Target: CPU 98.7% mean, 100% max (of one core), peak RSS 41.20MiB`
/// over the measured stages; empty when no target process was watched.
pub fn target_resources(stages: &[StageReport]) -> String {
    let measured: Vec<&StageReport> = stages
        .iter()
        .filter(|s| s.measured && s.resources.target_samples > 0)
        .collect();
    let samples: u64 = measured.iter().map(|s| s.resources.target_samples).sum();
    if samples == 0 {
        return String::new();
    }
    // Each stage's mean weighs by its samples: the run's mean over every sample.
    let mean = measured
        .iter()
        .map(|s| {
            f64::from(s.resources.target_cpu_mean.unwrap_or(0.0))
                * s.resources.target_samples as f64
        })
        .sum::<f64>()
        / samples as f64;
    let max = measured
        .iter()
        .filter_map(|s| s.resources.target_cpu_max)
        .fold(0.0f32, f32::max);
    let rss = measured
        .iter()
        .filter_map(|s| s.resources.target_rss_peak)
        .max()
        .unwrap_or(0);
    format!(
        "  Target: CPU {mean:.1}% mean, {max:.0}% max (of one core), peak RSS {}\n",
        format_bytes(rss)
    )
}

const SERVICE_HEADER: [&str; 7] = [
    "stage", "p50", "svc p50", "p99", "svc p99", "max", "svc max",
];

/// For the stages of the open model: the corrected latency (from the
/// intended send) beside the service time (from the actual send). A wide
/// gap is the queueing a closed-model tool would have hidden.
pub fn corrected_vs_service(stages: &[StageReport]) -> String {
    let rows: Vec<[String; 7]> = stages
        .iter()
        .filter(|s| s.latency_corrected && s.summary.latency.count > 0)
        .map(|s| {
            let (l, sv) = (&s.summary.latency, &s.summary.service);
            [
                s.name.clone(),
                format_duration_us(l.p50_us),
                format_duration_us(sv.p50_us),
                format_duration_us(l.p99_us),
                format_duration_us(sv.p99_us),
                format_duration_us(l.max_us),
                format_duration_us(sv.max_us),
            ]
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let mut widths = SERVICE_HEADER.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::from(
        "Corrected latency (from the intended send) vs service time (from the actual send):\n",
    );
    let header = SERVICE_HEADER.map(String::from);
    for row in std::iter::once(&header).chain(&rows) {
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            let _ = if i == 0 {
                write!(out, "  {cell:<width$}")
            } else {
                write!(out, "  {cell:>width$}")
            };
        }
        out.push('\n');
    }
    out
}

/// A request mix's table for each measured stage, when there is more than
/// one (with one, the whole-run table already is the stage's).
pub fn requests_by_stage(stages: &[StageReport]) -> String {
    let with_mix: Vec<&StageReport> = stages
        .iter()
        .filter(|s| s.measured && !s.requests.is_empty())
        .collect();
    if with_mix.len() < 2 {
        return String::new();
    }
    let mut out = String::new();
    for stage in with_mix {
        let _ = writeln!(out, "  Stage {}:", stage.name);
        for line in crate::report::requests::table(&stage.requests).lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::ResourceStats;
    use crate::report::json::RequestReport;
    use crate::stats::Interval;
    use crate::stats::summary::Summary;
    use std::time::Duration;

    fn stage(name: &str, corrected: bool, latency_us: u64, service_us: u64) -> StageReport {
        let mut interval = Interval::new();
        for _ in 0..100 {
            interval.record_response(latency_us, service_us, 200, 10);
        }
        StageReport {
            name: name.into(),
            measured: true,
            latency_corrected: corrected,
            started_secs: 0.0,
            summary: Summary::from_interval(&interval, Duration::from_secs(1)),
            resources: ResourceStats::default(),
            histogram: String::new(),
            service_histogram: String::new(),
            phase_histograms: None,
            requests: Vec::new(),
            diagnosis: None,
        }
    }

    #[test]
    fn target_line_weighs_stage_means_by_samples_and_needs_a_target() {
        let mut a = stage("a", false, 1_000, 1_000);
        assert_eq!(target_resources(std::slice::from_ref(&a)), "");
        a.resources.target_samples = 3;
        a.resources.target_cpu_mean = Some(90.0);
        a.resources.target_cpu_max = Some(99.0);
        a.resources.target_rss_peak = Some(3 * 1024 * 1024);
        let mut b = stage("b", false, 1_000, 1_000);
        b.resources.target_samples = 1;
        b.resources.target_cpu_mean = Some(50.0);
        b.resources.target_cpu_max = Some(60.0);
        b.resources.target_rss_peak = Some(1024);
        let mut warmup = b.clone();
        warmup.measured = false;
        warmup.resources.target_cpu_max = Some(400.0);
        assert_eq!(
            target_resources(&[warmup, a, b]),
            "  Target: CPU 80.0% mean, 99% max (of one core), peak RSS 3.00MiB\n"
        );
    }

    #[test]
    fn service_table_lists_open_stages_only() {
        let stages = [
            stage("open-2conns", true, 180_000, 900),
            stage("closed-2conns", false, 60, 60),
        ];
        let table = corrected_vs_service(&stages);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert!(lines[1].contains("svc p50"));
        assert!(lines[2].starts_with("  open-2conns"), "{table}");
        assert!(
            lines[2].contains("180.") && lines[2].contains("900us"),
            "{table}"
        );
        assert!(!table.contains("closed-2conns"));
        assert_eq!(corrected_vs_service(&stages[1..]), "");
    }

    #[test]
    fn mix_breakdown_needs_two_measured_stages_with_a_mix() {
        let part = |name: &str| RequestReport {
            name: name.into(),
            summary: stage(name, true, 1_000, 900).summary,
            histogram: String::new(),
            service_histogram: String::new(),
        };
        let mut low = stage("low", true, 1_000, 900);
        low.requests = vec![part("GET /a"), part("GET /b")];
        let mut high = low.clone();
        high.name = "high".into();
        assert_eq!(requests_by_stage(std::slice::from_ref(&low)), "");
        let text = requests_by_stage(&[low, high]);
        assert!(text.contains("  Stage low:\n"), "{text}");
        assert!(text.contains("  Stage high:\n"), "{text}");
        assert_eq!(text.matches("GET /a").count(), 2, "{text}");
    }
}
