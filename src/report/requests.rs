//! Per-request parts of a report (request mixes): merging them exactly
//! across shards, the way `merge` does for the whole, and the text table
//! that lists them under a summary.

use std::fmt::Write as _;
use std::time::Duration;

use super::json::{RequestReport, TimelineRequest, decode_histogram, encode_histogram};
use super::totals::accumulate;
use crate::stats::Interval;
use crate::stats::summary::Summary;
use crate::units::{format_duration_us, format_percent};

/// Adds every shard's per-request parts by name, first-seen order kept.
/// `duration` is the merged stage's (the shards ran side by side).
pub fn merge(parts: &[&[RequestReport]], duration: Duration) -> Result<Vec<RequestReport>, String> {
    let mut names: Vec<String> = Vec::new();
    let mut totals: Vec<Interval> = Vec::new();
    for part in parts.iter().flat_map(|p| p.iter()) {
        let index = match names.iter().position(|n| *n == part.name) {
            Some(index) => index,
            None => {
                names.push(part.name.clone());
                totals.push(Interval::new());
                names.len() - 1
            }
        };
        let latency = decode_histogram(&part.histogram).map_err(|e| e.to_string())?;
        let service = decode_histogram(&part.service_histogram).map_err(|e| e.to_string())?;
        accumulate(&mut totals[index], &part.summary, &latency, &service)
            .map_err(|e| format!("request `{}`: {e}", part.name))?;
    }
    names
        .into_iter()
        .zip(totals)
        .map(|(name, total)| {
            Ok(RequestReport {
                name,
                summary: Summary::from_interval(&total, duration),
                histogram: encode_histogram(&total.latency).map_err(|e| e.to_string())?,
                service_histogram: encode_histogram(&total.service).map_err(|e| e.to_string())?,
            })
        })
        .collect()
}

/// One second of several shards: rates and errors add, percentiles take the
/// worst shard's (an upper bound, as for the whole timeline).
pub fn merge_second(merged: &mut Vec<TimelineRequest>, more: &[TimelineRequest]) {
    for entry in more {
        match merged.iter_mut().find(|m| m.name == entry.name) {
            Some(m) => {
                m.rps += entry.rps;
                m.p50_us = m.p50_us.max(entry.p50_us);
                m.p99_us = m.p99_us.max(entry.p99_us);
                m.errors += entry.errors;
            }
            None => merged.push(entry.clone()),
        }
    }
}

/// `  GET /user    90.0%  901.2 req/s  p50 1.10ms  p99 3.20ms  errors 0`,
/// one line per name; nothing for a single request.
pub fn table(parts: &[RequestReport]) -> String {
    let mut out = String::new();
    if parts.is_empty() {
        return out;
    }
    let total: u64 = parts.iter().map(|p| attempts(&p.summary)).sum();
    let width = parts.iter().map(|p| p.name.len()).max().unwrap_or(0);
    let _ = writeln!(out, "  By request:");
    for part in parts {
        let s = &part.summary;
        let share = if total > 0 {
            attempts(s) as f64 * 100.0 / total as f64
        } else {
            0.0
        };
        let _ = writeln!(
            out,
            "    {:<width$}  {share:>5.1}%  {:>9.1} req/s  p50 {:>9}  p99 {:>9}  errors {}",
            part.name,
            s.rps,
            format_duration_us(s.latency.p50_us),
            format_duration_us(s.latency.p99_us),
            format_percent(s.error_rate),
        );
    }
    out
}

fn attempts(summary: &Summary) -> u64 {
    summary.requests + summary.errors.iter().map(|e| e.count).sum::<u64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(name: &str, latency_us: u64, n: u64) -> RequestReport {
        let mut interval = Interval::new();
        for _ in 0..n {
            interval.record_response(latency_us, latency_us, 200, 10);
        }
        RequestReport {
            name: name.into(),
            summary: Summary::from_interval(&interval, Duration::from_secs(1)),
            histogram: encode_histogram(&interval.latency).unwrap(),
            service_histogram: encode_histogram(&interval.service).unwrap(),
        }
    }

    #[test]
    fn shards_merge_by_name_with_exact_histograms() {
        let a = [part("fast", 1_000, 90), part("slow", 200_000, 10)];
        let b = [part("slow", 400_000, 10), part("fast", 1_000, 90)];
        let merged = merge(&[&a, &b], Duration::from_secs(1)).unwrap();
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].name, "fast");
        assert_eq!(merged[0].summary.requests, 180);
        let slow = &merged[1].summary;
        assert_eq!(slow.requests, 20);
        assert!(slow.latency.p50_us >= 199_000 && slow.latency.p50_us <= 201_000);
        assert!(slow.latency.max_us >= 399_000);
        let text = table(&merged);
        assert!(text.contains("fast") && text.contains("90.0%"), "{text}");
    }

    #[test]
    fn seconds_add_rates_and_keep_the_worst_percentile() {
        let mut merged = vec![TimelineRequest {
            name: "a".into(),
            rps: 10.0,
            p50_us: 5,
            p99_us: 50,
            errors: 1,
        }];
        merge_second(
            &mut merged,
            &[TimelineRequest {
                name: "a".into(),
                rps: 5.0,
                p50_us: 7,
                p99_us: 30,
                errors: 2,
            }],
        );
        assert_eq!(merged[0].rps, 15.0);
        assert_eq!(
            (merged[0].p50_us, merged[0].p99_us, merged[0].errors),
            (7, 50, 3)
        );
    }
}
