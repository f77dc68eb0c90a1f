//! Summaries computed from a merged [`Interval`]: the numbers every report,
//! table and threshold reads. Percentiles come from the HDR histogram only.

use std::time::Duration;

use super::{ErrorKind, Interval, Phases};
use hdrhistogram::Histogram;

/// The percentiles every summary carries, as (label, quantile).
pub const PERCENTILES: [(&str, f64); 7] = [
    ("p50", 0.50),
    ("p75", 0.75),
    ("p90", 0.90),
    ("p99", 0.99),
    ("p99.9", 0.999),
    ("p99.99", 0.9999),
    ("max", 1.0),
];

/// Latency distribution in microseconds.
/// A statistic of a latency summary: a closed set, so a threshold that
/// names one can never read a missing value as 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LatencyStat {
    Min,
    Mean,
    P50,
    P75,
    P90,
    P99,
    P999,
    P9999,
    Max,
}

impl LatencyStat {
    pub const ALL: [LatencyStat; 9] = [
        LatencyStat::Min,
        LatencyStat::Mean,
        LatencyStat::P50,
        LatencyStat::P75,
        LatencyStat::P90,
        LatencyStat::P99,
        LatencyStat::P999,
        LatencyStat::P9999,
        LatencyStat::Max,
    ];

    /// The label thresholds and reports use: `p99`, `p99.9`, `mean`, ….
    pub fn label(self) -> &'static str {
        match self {
            LatencyStat::Min => "min",
            LatencyStat::Mean => "mean",
            LatencyStat::P50 => "p50",
            LatencyStat::P75 => "p75",
            LatencyStat::P90 => "p90",
            LatencyStat::P99 => "p99",
            LatencyStat::P999 => "p99.9",
            LatencyStat::P9999 => "p99.99",
            LatencyStat::Max => "max",
        }
    }

    pub fn from_label(label: &str) -> Option<LatencyStat> {
        LatencyStat::ALL.into_iter().find(|s| s.label() == label)
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LatencySummary {
    pub count: u64,
    pub min_us: u64,
    pub mean_us: f64,
    pub stdev_us: f64,
    pub p50_us: u64,
    pub p75_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub p9999_us: u64,
    pub max_us: u64,
}

impl LatencySummary {
    pub fn from_histogram(hist: &Histogram<u64>) -> Self {
        if hist.is_empty() {
            return LatencySummary::default();
        }
        // `highest_equivalent` so that max and p100 agree with the recorded value's bucket.
        LatencySummary {
            count: hist.len(),
            min_us: hist.min(),
            mean_us: hist.mean(),
            stdev_us: hist.stdev(),
            p50_us: hist.value_at_quantile(0.50),
            p75_us: hist.value_at_quantile(0.75),
            p90_us: hist.value_at_quantile(0.90),
            p99_us: hist.value_at_quantile(0.99),
            p999_us: hist.value_at_quantile(0.999),
            p9999_us: hist.value_at_quantile(0.9999),
            max_us: hist.highest_equivalent(hist.max()),
        }
    }

    /// One statistic of this summary, in microseconds.
    pub fn stat(&self, stat: LatencyStat) -> f64 {
        match stat {
            LatencyStat::Min => self.min_us as f64,
            LatencyStat::Mean => self.mean_us,
            LatencyStat::P50 => self.p50_us as f64,
            LatencyStat::P75 => self.p75_us as f64,
            LatencyStat::P90 => self.p90_us as f64,
            LatencyStat::P99 => self.p99_us as f64,
            LatencyStat::P999 => self.p999_us as f64,
            LatencyStat::P9999 => self.p9999_us as f64,
            LatencyStat::Max => self.max_us as f64,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ErrorCount {
    pub kind: ErrorKind,
    pub count: u64,
}

/// The summary of one request name of a mix.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestSummary {
    pub name: String,
    pub summary: Summary,
}

impl RequestSummary {
    /// One summary per name of a mix, from an interval's per-request parts
    /// (empty for a single request).
    pub fn all(interval: &Interval, names: &[String], duration: Duration) -> Vec<RequestSummary> {
        if names.len() < 2 {
            return Vec::new();
        }
        let empty = Interval::part();
        names
            .iter()
            .enumerate()
            .map(|(index, name)| RequestSummary {
                name: name.clone(),
                summary: Summary::from_interval(
                    interval.requests.get(index).unwrap_or(&empty),
                    duration,
                ),
            })
            .collect()
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatusCount {
    pub code: u16,
    pub count: u64,
}

/// Whole-run or per-stage figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub duration_secs: f64,
    /// Completed responses, any status.
    pub requests: u64,
    pub rps: f64,
    pub bytes: u64,
    pub bytes_per_sec: f64,
    /// Transport errors plus responses with status >= 400, over all attempts.
    pub error_rate: f64,
    pub errors: Vec<ErrorCount>,
    pub status_codes: Vec<StatusCount>,
    /// Open model: from the intended send time. Closed model: same as `service`.
    pub latency: LatencySummary,
    /// From the actual send time (uncorrected).
    pub service: LatencySummary,
    pub late_sends: u64,
    pub dropped_sends: u64,
    pub connects: u64,
    /// Open model: actual minus intended send time, the generator's own
    /// error (empty in the closed model and in per-name summaries).
    pub send_lag: LatencySummary,
    /// TCP connect plus TLS handshake, one sample per connection opened.
    pub connect: LatencySummary,
    /// From the actual send to the first response byte.
    pub ttfb: LatencySummary,
}

impl Summary {
    pub fn from_interval(interval: &Interval, duration: Duration) -> Self {
        let secs = duration.as_secs_f64();
        let per_sec = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
        let attempts = interval.attempts();
        Summary {
            duration_secs: secs,
            requests: interval.responses,
            rps: per_sec(interval.responses),
            bytes: interval.bytes_read,
            bytes_per_sec: per_sec(interval.bytes_read),
            error_rate: if attempts > 0 {
                interval.failed() as f64 / attempts as f64
            } else {
                0.0
            },
            errors: ErrorKind::ALL
                .iter()
                .filter(|kind| interval.errors[kind.index()] > 0)
                .map(|&kind| ErrorCount {
                    kind,
                    count: interval.errors[kind.index()],
                })
                .collect(),
            status_codes: interval
                .status_counts()
                .into_iter()
                .map(|(code, count)| StatusCount { code, count })
                .collect(),
            latency: LatencySummary::from_histogram(&interval.latency),
            service: LatencySummary::from_histogram(&interval.service),
            late_sends: interval.late_sends,
            dropped_sends: interval.dropped_sends,
            connects: interval.connects,
            send_lag: phase(interval, |phases| &phases.send_lag),
            connect: phase(interval, |phases| &phases.connect),
            ttfb: phase(interval, |phases| &phases.ttfb),
        }
    }
}

fn phase(interval: &Interval, pick: impl Fn(&Phases) -> &Histogram<u64>) -> LatencySummary {
    interval
        .phases
        .as_deref()
        .map(|phases| LatencySummary::from_histogram(pick(phases)))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_counts_rates_and_percentiles() {
        let mut interval = Interval::new();
        for v in 1..=1000u64 {
            interval.record_response(v * 10, v, if v % 10 == 0 { 500 } else { 200 }, 100);
        }
        interval.record_error(ErrorKind::ConnectRefused);
        let summary = Summary::from_interval(&interval, Duration::from_secs(2));
        assert_eq!(summary.requests, 1000);
        assert!((summary.rps - 500.0).abs() < 1e-9);
        assert!((summary.error_rate - 101.0 / 1001.0).abs() < 1e-9);
        assert_eq!(summary.errors.len(), 1);
        assert_eq!(summary.status_codes.len(), 2);
        // 3 significant digits: within 0.1% of the exact value.
        assert!((summary.latency.p50_us as f64 - 5000.0).abs() <= 5.0);
        assert!((summary.service.p99_us as f64 - 990.0).abs() <= 1.0);
        assert_eq!(
            summary.latency.stat(LatencyStat::P999),
            summary.latency.p999_us as f64
        );
        for stat in LatencyStat::ALL {
            assert_eq!(LatencyStat::from_label(stat.label()), Some(stat));
        }
    }

    #[test]
    fn empty_interval_gives_zeroes_not_nan() {
        let summary = Summary::from_interval(&Interval::new(), Duration::ZERO);
        assert_eq!(summary.rps, 0.0);
        assert_eq!(summary.error_rate, 0.0);
        assert_eq!(summary.latency.count, 0);
    }
}
