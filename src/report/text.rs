//! Human-readable text output: the wrk-like result block printed after a
//! run (`render_summary`), the per-stage table (`render_stage_table`) and
//! the unit formatters they share with the dashboard. Everything here reads
//! a finished [`Summary`] and returns a `String`; printing is the caller's.

mod extras;
mod header;
mod stage_table;

use std::fmt::Write;

use crate::stats::summary::{LatencySummary, Summary};

pub use crate::units::{
    format_bytes, format_duration_us, format_duration_us_f64, format_percent, format_rate,
};
pub use extras::{corrected_vs_service, requests_by_stage, target_resources};
pub use header::bench_header;
pub use stage_table::{StageTableRow, render_stage_table};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TextOptions {
    /// Open model: latency runs from each request's intended send time.
    pub corrected: bool,
    /// Print the uncorrected service time beside the corrected latency
    /// (only meaningful when `corrected`).
    pub show_service: bool,
}

/// Reads one percentile out of a latency summary.
type Percentile = fn(&LatencySummary) -> u64;

/// The rows of the latency distribution, as (label, field) pairs.
const DISTRIBUTION: [(&str, Percentile); 6] = [
    ("50%", |l| l.p50_us),
    ("75%", |l| l.p75_us),
    ("90%", |l| l.p90_us),
    ("99%", |l| l.p99_us),
    ("99.9%", |l| l.p999_us),
    ("99.99%", |l| l.p9999_us),
];

/// Responses outside 2xx and 3xx (status slot 0, an unparsable code, included).
pub fn non_2xx_3xx(summary: &Summary) -> u64 {
    summary
        .status_codes
        .iter()
        .filter(|s| !(200..400).contains(&s.code))
        .map(|s| s.count)
        .sum()
}

/// Transport errors plus responses with status >= 400: what `error_rate` counts.
pub fn failed_count(summary: &Summary) -> u64 {
    let transport: u64 = summary.errors.iter().map(|e| e.count).sum();
    let bad_status: u64 = summary
        .status_codes
        .iter()
        .filter(|s| s.code >= 400 || s.code == 0)
        .map(|s| s.count)
        .sum();
    transport + bad_status
}

/// `  Protocol: HTTP/2 over TLS`: what the run spoke, from the report's plan
/// (`None` for reports that predate the field).
pub fn protocol_line(plan: &crate::report::PlanReport) -> Option<String> {
    let protocol = plan.protocol.as_deref()?;
    let over = if plan.tls == Some(true) {
        "TLS"
    } else {
        "plain TCP"
    };
    Some(format!("  Protocol: {protocol} over {over}\n"))
}

/// The result block, wrk's layout where wrk has an equivalent. The
/// `Running 10s test @ URL` header line is printed by the caller.
pub fn render_summary(summary: &Summary, opts: &TextOptions) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = write_summary(&mut out, summary, opts);
    out
}

/// Send lag (the pacer's own error), connect time and time to first byte,
/// each line only when it has samples.
fn write_phases(out: &mut String, s: &Summary) -> std::fmt::Result {
    let rows = [
        ("Send lag", &s.send_lag),
        ("Connect", &s.connect),
        ("TTFB", &s.ttfb),
    ];
    if rows.iter().all(|(_, phase)| phase.count == 0) {
        return Ok(());
    }
    let d = format_duration_us;
    writeln!(
        out,
        "  {:<12} {:>10} {:>10} {:>10} {:>10}",
        "Phases", "p50", "p99", "Max", "Count"
    )?;
    for (label, phase) in rows.into_iter().filter(|(_, phase)| phase.count > 0) {
        writeln!(
            out,
            "    {label:<10} {:>10} {:>10} {:>10} {:>10}",
            d(phase.p50_us),
            d(phase.p99_us),
            d(phase.max_us),
            phase.count
        )?;
    }
    Ok(())
}

fn write_summary(out: &mut String, s: &Summary, opts: &TextOptions) -> std::fmt::Result {
    let service = opts.corrected && opts.show_service;
    let d = format_duration_us;
    let df = format_duration_us_f64;

    if opts.corrected {
        writeln!(
            out,
            "  Latency is corrected for coordinated omission: measured from each request's intended send time{}.",
            if service {
                "; service time from the actual send"
            } else {
                ""
            }
        )?;
    } else {
        writeln!(
            out,
            "  Latency is NOT corrected for coordinated omission (closed model): measured from the actual send time, so queueing behind slow responses is hidden."
        )?;
    }
    writeln!(
        out,
        "  {:<12} {:>10} {:>10} {:>10}",
        "Thread Stats", "Avg", "Stdev", "Max"
    )?;
    let latency = &s.latency;
    writeln!(
        out,
        "    {:<10} {:>10} {:>10} {:>10}",
        "Latency",
        df(latency.mean_us),
        df(latency.stdev_us),
        d(latency.max_us)
    )?;
    if service {
        let sv = &s.service;
        writeln!(
            out,
            "    {:<10} {:>10} {:>10} {:>10}",
            "Service",
            df(sv.mean_us),
            df(sv.stdev_us),
            d(sv.max_us)
        )?;
    }

    writeln!(out, "  Latency Distribution")?;
    if service {
        writeln!(out, "  {:>7}  {:>10}  {:>10}", "", "corrected", "service")?;
    }
    for (label, field) in DISTRIBUTION {
        if service {
            writeln!(
                out,
                "  {label:>7}  {:>10}  {:>10}",
                d(field(latency)),
                d(field(&s.service))
            )?;
        } else {
            writeln!(out, "  {label:>7}  {:>10}", d(field(latency)))?;
        }
    }

    write_phases(out, s)?;

    writeln!(
        out,
        "  {} requests in {}, {} read",
        s.requests,
        format_duration_us((s.duration_secs.max(0.0) * 1e6).round() as u64),
        format_bytes(s.bytes)
    )?;
    if !s.errors.is_empty() {
        let kinds: Vec<String> = s
            .errors
            .iter()
            .map(|e| format!("{} {}", e.kind.as_str(), e.count))
            .collect();
        writeln!(out, "  Socket errors: {}", kinds.join(", "))?;
    }
    let non_ok = non_2xx_3xx(s);
    if non_ok > 0 {
        writeln!(out, "  Non-2xx or 3xx responses: {non_ok}")?;
    }
    writeln!(
        out,
        "  Failed: {} ({} of attempts: socket errors and status >= 400)",
        failed_count(s),
        format_percent(s.error_rate)
    )?;
    if !s.status_codes.is_empty() {
        writeln!(out, "  Status codes:")?;
        let width = s
            .status_codes
            .iter()
            .map(|c| c.count.to_string().len())
            .max()
            .unwrap_or(1);
        for code in &s.status_codes {
            let name = if code.code == 0 {
                "???".to_string()
            } else {
                code.code.to_string()
            };
            writeln!(out, "    {name:>3}  {:>width$}", code.count)?;
        }
    }
    if opts.corrected {
        writeln!(
            out,
            "  Late sends: {} (sent after their scheduled time), dropped sends: {} (never sent)",
            s.late_sends, s.dropped_sends
        )?;
    }
    writeln!(out, "Requests/sec: {:>10.2}", s.rps)?;
    writeln!(
        out,
        "Transfer/sec: {:>10}",
        format_bytes(s.bytes_per_sec.max(0.0) as u64)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{ErrorKind, Interval};
    use std::time::Duration;

    fn summary() -> Summary {
        let mut interval = Interval::new();
        for v in 1..=1000u64 {
            // Corrected latency 10x the service time, as a stalled schedule would give.
            let status = if v % 100 == 0 { 503 } else { 200 };
            interval.record_response(v * 100, v * 10, status, 1024);
        }
        interval.record_error(ErrorKind::ConnectRefused);
        interval.record_error(ErrorKind::Reset);
        interval.record_error(ErrorKind::Reset);
        interval.late_sends = 17;
        interval.dropped_sends = 3;
        Summary::from_interval(&interval, Duration::from_secs(2))
    }

    #[test]
    fn closed_model_block_has_wrk_lines_and_says_uncorrected() {
        let text = render_summary(&summary(), &TextOptions::default());
        assert!(text.contains("Thread Stats"));
        assert!(text.contains("Latency Distribution\n"));
        for label in ["50%", "75%", "90%", "99%", "99.9%", "99.99%"] {
            assert!(text.contains(&format!("  {label:>7}  ")), "no {label} row");
        }
        // p50 of 100us..100ms is about 50ms.
        assert!(text.contains("50%     50.0"), "{text}");
        assert!(
            text.contains("1000 requests in 2.00s, 1000.00KiB read"),
            "{text}"
        );
        assert!(text.contains("Socket errors: connect_refused 1, reset 2"));
        assert!(text.contains("Non-2xx or 3xx responses: 10"));
        assert!(text.contains("Failed: 13 (1.30% of attempts"), "{text}");
        assert!(text.contains("    200  990\n"), "{text}");
        assert!(text.contains("    503   10\n"), "{text}");
        assert!(text.contains("NOT corrected for coordinated omission"));
        assert!(!text.contains("Late sends"));
        assert!(!text.contains("service"));
        assert!(text.contains("Requests/sec:     500.00\n"), "{text}");
        assert!(text.contains("Transfer/sec:  500.00KiB\n"), "{text}");
    }

    #[test]
    fn open_model_block_shows_service_time_beside_corrected_latency() {
        let opts = TextOptions {
            corrected: true,
            show_service: true,
        };
        let text = render_summary(&summary(), &opts);
        assert!(text.contains("is corrected for coordinated omission"));
        assert!(!text.contains("NOT corrected"));
        assert!(text.contains("Late sends: 17"));
        assert!(text.contains("dropped sends: 3"));
        assert!(text.contains("  corrected     service\n"), "{text}");
        let p99 = text
            .lines()
            .find(|l| l.trim_start().starts_with("99%"))
            .unwrap();
        // Corrected p99 ~99ms, service p99 ~9.9ms, on one row.
        assert!(p99.contains("99.") && p99.contains("9.9"), "{p99}");
        assert!(text.contains("    Service"));

        let without_service = TextOptions {
            corrected: true,
            show_service: false,
        };
        let text = render_summary(&summary(), &without_service);
        assert!(text.contains("Late sends: 17"));
        assert!(!text.contains("Service") && !text.contains("service"));
    }

    #[test]
    fn protocol_line_names_version_and_tls() {
        let mut plan = crate::report::Report::empty_for_tests().plan;
        assert_eq!(protocol_line(&plan), None);
        plan.protocol = Some("HTTP/2".into());
        plan.tls = Some(true);
        assert_eq!(
            protocol_line(&plan).as_deref(),
            Some("  Protocol: HTTP/2 over TLS\n")
        );
        plan.tls = Some(false);
        assert!(
            protocol_line(&plan)
                .unwrap()
                .contains("HTTP/2 over plain TCP")
        );
    }

    #[test]
    fn empty_summary_renders_without_nan() {
        let text = render_summary(&Summary::default(), &TextOptions::default());
        assert!(!text.contains("NaN") && !text.contains("inf"), "{text}");
        assert!(text.contains("0 requests in 0us, 0B read"));
        assert!(!text.contains("Status codes"));
    }
}
