//! The HdrHistogram percentile-distribution text (`.hgrm`), laid out exactly
//! as the Java library's `outputPercentileDistribution` prints it, so that
//! existing tools (the HdrHistogram plotter, wrk2 comparisons) read our
//! latency histograms as they read anyone's.
//!
//! Layout, with `S` = the histogram's significant digits:
//! header `%12s %14s %10s %14s` + blank line; one row per quantile tick
//! (`iter_quantiles(5)`) as `%12.Sf %2.12f %10d %14.2f`; the last row, at
//! percentile 1.0, omits the `1/(1-Percentile)` column (Java's choice: it
//! would be infinite); then three `#[...]` footer lines.

use std::fmt::{self, Write};

use hdrhistogram::Histogram;

/// Quantile ticks per half distance to 100%, as the Java default.
pub const TICKS_PER_HALF_DISTANCE: u32 = 5;

/// Write `hist` divided by `value_unit_scale` (1000.0 turns recorded
/// microseconds into milliseconds; zero, negative or NaN means 1.0).
pub fn write_percentile_distribution(
    hist: &Histogram<u64>,
    value_unit_scale: f64,
    out: &mut impl Write,
) -> fmt::Result {
    let digits = usize::from(hist.sigfig());
    // A nonsensical scale would print inf/NaN everywhere; fall back to raw units.
    let scale = if value_unit_scale.is_finite() && value_unit_scale > 0.0 {
        value_unit_scale
    } else {
        1.0
    };
    let scaled = |value: f64| value / scale;
    writeln!(
        out,
        "{:>12} {:>14} {:>10} {:>14}\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    )?;
    // The iterator yields counts since the previous tick; the column is cumulative.
    let mut total_count = 0u64;
    for tick in hist.iter_quantiles(TICKS_PER_HALF_DISTANCE) {
        total_count += tick.count_since_last_iteration();
        let value = scaled(tick.value_iterated_to() as f64);
        let quantile = tick.quantile_iterated_to();
        if quantile < 1.0 {
            writeln!(
                out,
                "{value:12.digits$} {quantile:2.12} {total_count:10} {:14.2}",
                1.0 / (1.0 - quantile)
            )?;
        } else {
            writeln!(out, "{value:12.digits$} {quantile:2.12} {total_count:10}")?;
        }
    }
    writeln!(
        out,
        "#[Mean    = {:12.digits$}, StdDeviation   = {:12.digits$}]",
        scaled(hist.mean()),
        scaled(hist.stdev())
    )?;
    writeln!(
        out,
        "#[Max     = {:12.digits$}, Total count    = {:12}]",
        scaled(hist.max() as f64),
        hist.len()
    )?;
    writeln!(
        out,
        "#[Buckets = {:12}, SubBuckets     = {:12}]",
        hist.buckets(),
        sub_bucket_count(hist.sigfig())
    )
}

/// Convenience for callers that want a `String` (writing to one cannot fail).
pub fn percentile_distribution(hist: &Histogram<u64>, value_unit_scale: f64) -> String {
    let mut text = String::new();
    let _ = write_percentile_distribution(hist, value_unit_scale, &mut text);
    text
}

/// The histogram crate keeps this private; it is the smallest power of two
/// that resolves `2 * 10^sigfig` distinct values, as in every HdrHistogram port.
fn sub_bucket_count(sigfig: u8) -> u64 {
    (2 * 10u64.pow(u32::from(sigfig))).next_power_of_two()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::new_latency_histogram;

    struct Row {
        value: f64,
        percentile: f64,
        total_count: u64,
        inverse: Option<f64>,
    }

    fn rows(text: &str) -> Vec<Row> {
        text.lines()
            .skip(2)
            .take_while(|line| !line.starts_with('#'))
            .map(|line| {
                let cols: Vec<&str> = line.split_whitespace().collect();
                Row {
                    value: cols[0].parse().unwrap(),
                    percentile: cols[1].parse().unwrap(),
                    total_count: cols[2].parse().unwrap(),
                    inverse: cols.get(3).map(|c| c.parse().unwrap()),
                }
            })
            .collect()
    }

    fn latency_hist() -> Histogram<u64> {
        let mut hist = new_latency_histogram();
        for v in 1..=10_000u64 {
            hist.record(v * 10).unwrap(); // 10us ..= 100ms
        }
        hist.record(1_500_000).unwrap(); // one 1.5 s outlier
        hist
    }

    #[test]
    fn header_and_footer_follow_the_java_layout() {
        let text = percentile_distribution(&latency_hist(), 1000.0);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "       Value     Percentile TotalCount 1/(1-Percentile)"
        );
        assert_eq!(lines[1], "");
        let n = lines.len();
        assert!(lines[n - 3].starts_with("#[Mean    = "), "{}", lines[n - 3]);
        assert!(lines[n - 3].contains(", StdDeviation   = "));
        assert_eq!(
            lines[n - 2],
            "#[Max     =     1500.159, Total count    =        10001]"
        );
        assert_eq!(
            lines[n - 1],
            "#[Buckets =           22, SubBuckets     =         2048]"
        );
        // Values in ms with 3 decimals, percentiles with 12, right-aligned.
        assert!(lines[2].starts_with("       0.010 0.000000000000          1           1.00"));
    }

    #[test]
    fn rows_are_monotone_and_consistent_with_the_histogram() {
        let hist = latency_hist();
        let parsed = rows(&percentile_distribution(&hist, 1000.0));
        assert!(parsed.len() > 50);
        for pair in parsed.windows(2) {
            assert!(pair[1].value >= pair[0].value);
            assert!(pair[1].percentile >= pair[0].percentile);
            assert!(pair[1].total_count >= pair[0].total_count);
        }
        for row in &parsed[..parsed.len() - 1] {
            let inverse = row.inverse.expect("every row but the last has 1/(1-p)");
            assert!((inverse - 1.0 / (1.0 - row.percentile)).abs() < 0.01 * inverse.max(1.0));
            // A row's value is the one the histogram reports at that quantile.
            let expected = hist.value_at_quantile(row.percentile) as f64 / 1000.0;
            assert!((row.value - expected).abs() <= 0.001 + expected * 0.001);
            // Its count covers at least that share of all values.
            assert!(row.total_count as f64 >= row.percentile * hist.len() as f64 - 1.0);
        }
        let last = parsed.last().unwrap();
        assert_eq!(last.percentile, 1.0);
        assert!(last.inverse.is_none());
        assert_eq!(last.total_count, hist.len());
        assert_eq!(last.value, hist.max() as f64 / 1000.0);
        let p50 = parsed.iter().find(|r| r.percentile >= 0.5).unwrap();
        assert!((p50.value - 50.0).abs() < 0.1, "p50 {}", p50.value);
    }

    #[test]
    fn ticks_halve_towards_one_hundred_percent() {
        let parsed = rows(&percentile_distribution(&latency_hist(), 1.0));
        let percentiles: Vec<f64> = parsed.iter().map(|r| r.percentile).collect();
        for expected in [0.0, 0.1, 0.5, 0.75, 0.875, 0.9375, 0.984375, 0.9990234375] {
            assert!(
                percentiles.iter().any(|p| (p - expected).abs() < 1e-9),
                "no tick at {expected}"
            );
        }
    }

    #[test]
    fn empty_histogram_prints_header_and_zero_footer_only() {
        let text = percentile_distribution(&new_latency_histogram(), 1000.0);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(
            lines[2],
            "#[Mean    =        0.000, StdDeviation   =        0.000]"
        );
        assert_eq!(
            lines[3],
            "#[Max     =        0.000, Total count    =            0]"
        );
    }
}
