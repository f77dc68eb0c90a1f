//! The bench header, wrk's `10s test @ URL`, from what was measured: the
//! measured stages' time (a warmup is said on a line of its own, never
//! counted), exact to the microsecond for a run bounded by a request count.

use std::time::Duration;

use crate::report::Report;
use crate::units::format_duration_us;

/// `2s test @ URL` plus, when a warmup ran first, `  after a 1s warmup
/// (not measured)`; both lines end in a newline.
pub fn bench_header(report: &Report, target: &str, bounded_by_count: bool) -> String {
    let measured = report.summary.duration_secs;
    let mut out = format!(
        "{} test @ {target}\n",
        duration_text(measured, bounded_by_count)
    );
    let warmup: f64 = report
        .stages
        .iter()
        .filter(|stage| !stage.measured)
        .map(|stage| stage.summary.duration_secs)
        .sum();
    if warmup > 0.0 {
        out.push_str(&format!(
            "  after a {} warmup (not measured)\n",
            duration_text(warmup, false)
        ));
    }
    out
}

/// Whole seconds for a run the user gave a duration (wrk's `10s`); the
/// exact figure for a count-bounded run or anything under a second.
fn duration_text(secs: f64, exact: bool) -> String {
    let secs = if secs.is_finite() { secs.max(0.0) } else { 0.0 };
    if exact || secs < 1.0 {
        format_duration_us((secs * 1e6).round() as u64)
    } else {
        humantime::format_duration(Duration::from_secs_f64(secs.round())).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_whole_seconds_unless_exact_or_short() {
        assert_eq!(duration_text(10.02, false), "10s");
        assert_eq!(duration_text(90.0, false), "1m 30s");
        assert_eq!(duration_text(0.010_86, true), "10.86ms");
        assert_eq!(duration_text(1.5, true), "1.50s");
        assert_eq!(duration_text(0.25, false), "250.00ms");
        assert_eq!(duration_text(f64::NAN, true), "0us");
    }
}
