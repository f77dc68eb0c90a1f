//! The per-second timeline as CSV (RFC 4180): a header row of the
//! [`TimelineEntry`](super::TimelineEntry) field names, then one row per
//! entry in report order. Absent readings are empty cells, not zeros.

use std::fmt::Display;
use std::fmt::Write;

use super::Report;

pub const HEADER: [&str; 16] = [
    "second",
    "stage",
    "rps",
    "target_rps",
    "p50_us",
    "p90_us",
    "p99_us",
    "max_us",
    "errors",
    "bytes",
    "cpu_target",
    "cpu_generator",
    "cpu_system",
    "rss_target",
    "rss_generator",
    "mem_system_used",
];

pub fn timeline_csv(report: &Report) -> String {
    let mut out = HEADER.join(",");
    out.push_str("\r\n");
    for e in &report.timeline {
        let cells = [
            e.second.to_string(),
            quote(&e.stage),
            e.rps.to_string(),
            opt(e.target_rps),
            e.p50_us.to_string(),
            e.p90_us.to_string(),
            e.p99_us.to_string(),
            e.max_us.to_string(),
            e.errors.to_string(),
            e.bytes.to_string(),
            opt(e.cpu_target),
            opt(e.cpu_generator),
            opt(e.cpu_system),
            opt(e.rss_target),
            opt(e.rss_generator),
            opt(e.mem_system_used),
        ];
        // Writing into a String cannot fail.
        let _ = write!(out, "{}\r\n", cells.join(","));
    }
    out
}

fn opt<T: Display>(value: Option<T>) -> String {
    value.map_or_else(String::new, |v| v.to_string())
}

/// Stage names are user text: quote when they hold a separator, a quote or a line break.
fn quote(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::TimelineEntry;

    #[test]
    fn header_then_one_row_per_entry_with_empty_cells_for_absent_readings() {
        let mut report = Report::empty_for_tests();
        report.timeline = vec![
            TimelineEntry {
                second: 1,
                stage: "warm, \"up\"".into(),
                rps: 12.5,
                cpu_target: Some(50.0),
                ..Default::default()
            },
            TimelineEntry {
                second: 2,
                stage: "steady".into(),
                target_rps: Some(100.0),
                rss_target: Some(4096),
                ..Default::default()
            },
        ];
        let text = timeline_csv(&report);
        let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], HEADER.join(","));
        assert!(
            lines[1].starts_with("1,\"warm, \"\"up\"\"\",12.5,,"),
            "{}",
            lines[1]
        );
        assert!(lines[1].contains(",50,"), "{}", lines[1]);
        assert!(
            lines[2].starts_with("2,steady,0,100,0,0,0,0,0,0,,,,4096,,"),
            "{}",
            lines[2]
        );
    }
}
