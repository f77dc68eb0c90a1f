//! One probe's verdict: the SLOs evaluated on the probe's summary, and
//! whether the probe says anything about the target's capacity, by the same
//! saturation rule as the dashboard's banner (`session::saturation`). Pure
//! functions of a `Summary`, so they are unit-tested without a server.

use std::time::Duration;

use crate::profile::Threshold;
use crate::report::text::format_duration_us;
use crate::session::TICK;
use crate::stats::summary::Summary;

use super::search::ProbeResult;

use crate::session::saturation::{self, FAR_BELOW, LoadSignals};

/// One SLO that failed, with what was observed.
#[derive(Clone, Debug, PartialEq)]
pub struct SloFailure {
    pub expr: String,
    pub observed: String,
}

/// What the search learned from one probe (kept for the table and reports).
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    /// 1-based, as in the stage names.
    pub number: usize,
    pub rate: f64,
    pub achieved: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub service_p50_us: u64,
    pub error_rate: f64,
    pub failures: Vec<SloFailure>,
    /// Why the generator, not the target, was the limit (if it was).
    pub generator_limit: Option<String>,
}

impl Probe {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    pub fn result(&self) -> ProbeResult {
        match (&self.generator_limit, self.passed()) {
            (Some(_), passed) => ProbeResult::GeneratorLimited {
                passed,
                achieved: self.achieved,
            },
            (None, true) => ProbeResult::Pass,
            (None, false) => ProbeResult::Fail,
        }
    }

    /// `probe 3: 1,600 req/s  achieved 731 req/s  p50 152ms  p99 348ms  errors 0.00%  FAIL p99<100ms (348ms)`
    pub fn line(&self) -> String {
        let verdict = if self.passed() {
            "pass".to_string()
        } else {
            let failed: Vec<String> = self
                .failures
                .iter()
                .map(|f| format!("{} ({})", f.expr, f.observed))
                .collect();
            format!("FAIL {}", failed.join(", "))
        };
        let limit = self
            .generator_limit
            .as_ref()
            .map_or_else(String::new, |why| format!("  [generator limit: {why}]"));
        format!(
            "probe {}: {:>9} req/s  achieved {:>9} req/s  p50 {:>8}  p99 {:>8}  errors {:>6.2}%  {verdict}{limit}",
            self.number,
            thousands(self.rate),
            thousands(self.achieved),
            format_duration_us(self.p50_us),
            format_duration_us(self.p99_us),
            self.error_rate * 100.0,
        )
    }
}

/// What the planner knows about a probe besides its summary.
pub struct ProbeContext<'a> {
    pub number: usize,
    pub rate: f64,
    pub slos: &'a [Threshold],
    /// The busiest worker thread's CPU during the probe (percent of one core).
    pub worker_cpu: Option<f32>,
    /// ... and its CPU plus run-queue wait (percent of the probe's time).
    pub worker_busy: Option<f32>,
    pub open_connections: u64,
    pub streams_per_connection: u32,
    /// The lowest service p50 of the passing probes (the target nearly
    /// idle), if known.
    pub baseline_service_us: Option<u64>,
    pub step_time: Duration,
}

/// A stage's counts arrive in whole engine ticks, so a probe's achieved rate
/// can read up to one tick short of the truth; the shorter the probe, the
/// more room "far below" leaves for that.
pub fn far_below_factor(step_time: Duration) -> f64 {
    let tick_share = TICK.as_secs_f64() / step_time.as_secs_f64().max(f64::MIN_POSITIVE);
    FAR_BELOW * (1.0 - tick_share).max(0.25)
}

/// Judges one probe: which SLOs failed, and whether the generator was the limit.
pub fn judge(
    context: &ProbeContext<'_>,
    summary: &Summary,
    requests: &[crate::stats::summary::RequestSummary],
) -> Probe {
    let failures = context
        .slos
        .iter()
        .filter_map(|slo| {
            let eval = slo.evaluate_in(summary, requests);
            (!eval.passed).then(|| SloFailure {
                expr: slo.expr.clone(),
                observed: eval.observed_text,
            })
        })
        .collect();
    Probe {
        number: context.number,
        rate: context.rate,
        achieved: summary.rps,
        p50_us: summary.latency.p50_us,
        p99_us: summary.latency.p99_us,
        service_p50_us: summary.service.p50_us,
        error_rate: summary.error_rate,
        failures,
        generator_limit: generator_limit(context, summary),
    }
}

/// Why the probe cannot say what the target serves, if it cannot: the
/// generator was the limit, or every connection was waiting on a target that
/// still answered as fast as when idle (too few connections). A target that
/// is the limit queues, and its service time grows with the queue.
fn generator_limit(context: &ProbeContext<'_>, summary: &Summary) -> Option<String> {
    let attempts = summary.requests + summary.errors.iter().map(|e| e.count).sum::<u64>();
    let signals = LoadSignals {
        worker_cpu: context.worker_cpu,
        worker_busy: context.worker_busy,
        asked_rate: Some(context.rate),
        sent_rate: summary.rps,
        attempts,
        late_sends: summary.late_sends,
        send_lag_p50_us: None,
        in_flight: summary.rps * summary.service.mean_us / 1e6,
        open_connections: context.open_connections,
        streams_per_connection: context.streams_per_connection,
        service_p50_us: summary.service.p50_us,
        service_baseline_us: context.baseline_service_us,
        rate_allowance: far_below_factor(context.step_time),
    };
    let verdict = saturation::judge(&signals)?;
    if !verdict.hides_target_capacity() {
        return None;
    }
    Some(match verdict {
        saturation::Saturation::AllConnectionsWaiting {
            connections,
            service_p50_us,
            ..
        } => format!(
            "all {connections} connections waiting on answers as fast as when idle (service p50 {}); raise -c",
            format_duration_us(service_p50_us)
        ),
        other => other.reason(),
    })
}

/// `1234567.8` → `1,234,568`.
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(rps: f64, p99_us: u64, service_p50_us: u64, late: u64) -> Summary {
        let mut summary = Summary {
            duration_secs: 1.0,
            requests: rps as u64,
            rps,
            late_sends: late,
            ..Summary::default()
        };
        summary.latency.p50_us = p99_us / 2;
        summary.latency.p99_us = p99_us;
        summary.service.p50_us = service_p50_us;
        summary
    }

    fn context(rate: f64, slos: &[Threshold]) -> ProbeContext<'_> {
        ProbeContext {
            number: 3,
            rate,
            slos,
            worker_cpu: Some(20.0),
            worker_busy: Some(25.0),
            open_connections: 64,
            streams_per_connection: 1,
            baseline_service_us: Some(11_000),
            step_time: Duration::from_secs(5),
        }
    }

    #[test]
    fn slos_decide_pass_and_fail_and_name_the_failure() {
        let slos = [Threshold::parse("p99 < 100ms").unwrap()];
        let ok = judge(
            &context(400.0, &slos),
            &summary(400.0, 15_000, 12_000, 0),
            &[],
        );
        assert_eq!(ok.result(), ProbeResult::Pass);
        // The target queues: the rate falls short, but service time grew.
        let bad = judge(
            &context(1_600.0, &slos),
            &summary(730.0, 350_000, 340_000, 900),
            &[],
        );
        assert_eq!(bad.result(), ProbeResult::Fail);
        assert_eq!(bad.failures[0].expr, "p99 < 100ms");
        assert!(
            bad.line().contains("FAIL p99 < 100ms (350"),
            "{}",
            bad.line()
        );
        assert!(bad.line().contains("1,600 req/s"), "{}", bad.line());
    }

    #[test]
    fn a_short_rate_with_idle_service_time_is_the_generator() {
        let slos = [Threshold::parse("p99 < 100ms").unwrap()];
        let probe = judge(
            &context(1_600.0, &slos),
            &summary(360.0, 900_000, 11_500, 1_200),
            &[],
        );
        assert!(matches!(
            probe.result(),
            ProbeResult::GeneratorLimited { passed: false, achieved } if achieved == 360.0
        ));
        assert!(probe.line().contains("generator limit"), "{}", probe.line());
    }

    #[test]
    fn late_sends_with_idle_service_time_are_the_generator() {
        let probe = judge(
            &context(1_000.0, &[]),
            &summary(950.0, 40_000, 12_000, 800),
            &[],
        );
        assert!(probe.generator_limit.is_some());
        // The same lateness with a queueing target is the target's.
        let probe = judge(
            &context(1_000.0, &[]),
            &summary(950.0, 40_000, 90_000, 800),
            &[],
        );
        assert_eq!(probe.generator_limit, None);
    }

    #[test]
    fn a_busy_generator_thread_is_a_limit_even_when_slos_hold() {
        let mut context = context(400.0, &[]);
        context.worker_busy = Some(96.0);
        let probe = judge(&context, &summary(400.0, 5_000, 4_000, 0), &[]);
        assert_eq!(
            probe.result(),
            ProbeResult::GeneratorLimited {
                passed: true,
                achieved: 400.0
            }
        );
    }

    #[test]
    fn every_connection_waiting_is_a_limit_only_while_answers_stay_fast() {
        let mut few = context(200.0, &[]);
        few.open_connections = 2;
        let mut fast = summary(180.0, 20_000, 11_000, 150);
        fast.service.mean_us = 11_000.0;
        let why = judge(&few, &fast, &[]).generator_limit.unwrap();
        assert!(why.contains("all 2 connections waiting"), "{why}");
        assert!(why.contains("raise -c"), "{why}");
        // A full pool: every connection waits on answers 8x slower than idle.
        let mut full = context(1_600.0, &[]);
        full.open_connections = 64;
        let mut queueing = summary(730.0, 350_000, 88_000, 700);
        queueing.service.mean_us = 88_000.0;
        assert_eq!(judge(&full, &queueing, &[]).generator_limit, None);
    }

    #[test]
    fn without_a_baseline_only_cpu_counts() {
        let mut context = context(1_000.0, &[]);
        context.baseline_service_us = None;
        let probe = judge(&context, &summary(100.0, 1_000, 900, 900), &[]);
        assert_eq!(probe.generator_limit, None);
    }

    #[test]
    fn short_probes_leave_room_for_a_missing_tick() {
        assert!((far_below_factor(Duration::from_secs(5)) - 0.76).abs() < 1e-9);
        assert!((far_below_factor(Duration::from_secs(1)) - 0.6).abs() < 1e-9);
        assert!(far_below_factor(Duration::from_millis(100)) > 0.0);
        // 74% of the asked rate is short for a 5 s probe, not for a 1 s one.
        let mut context = context(700.0, &[]);
        let short = summary(518.0, 19_000, 14_000, 30);
        assert!(judge(&context, &short, &[]).generator_limit.is_some());
        context.step_time = Duration::from_secs(1);
        assert_eq!(judge(&context, &short, &[]).generator_limit, None);
    }

    #[test]
    fn a_short_rate_with_every_send_on_time_is_not_a_limit() {
        // What a probe looks like when its last tick has not come in yet.
        let probe = judge(
            &context(700.0, &[]),
            &summary(350.0, 19_000, 12_000, 0),
            &[],
        );
        assert_eq!(probe.generator_limit, None);
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0.4), "0");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(3_150.0), "3,150");
        assert_eq!(thousands(1_234_567.8), "1,234,568");
    }

    #[test]
    fn an_slo_on_one_request_name_reads_that_request() {
        let slos = [Threshold::parse(r#""GET /report" p99 < 300ms"#).unwrap()];
        let whole = summary(400.0, 15_000, 12_000, 0);
        let slow = crate::stats::summary::RequestSummary {
            name: "GET /report".into(),
            summary: summary(20.0, 900_000, 250_000, 0),
        };
        let probe = judge(&context(400.0, &slos), &whole, std::slice::from_ref(&slow));
        assert_eq!(probe.failures.len(), 1);
        assert!(judge(&context(400.0, &slos), &whole, &[]).failures.len() == 1);
        let fast = crate::stats::summary::RequestSummary {
            summary: summary(20.0, 200_000, 150_000, 0),
            ..slow
        };
        assert!(judge(&context(400.0, &slos), &whole, &[fast]).passed());
    }
}
