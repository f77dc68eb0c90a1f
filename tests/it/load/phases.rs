//! The generator's own timings: send lag (actual minus intended send) in the
//! open model, connect time and time to first byte, and targets that answer
//! more than they were asked.

use std::time::Duration;

use loadtop::load::{self, Model};
use loadtop::stats::ErrorKind;

use super::targets::{Behavior, OK_RESPONSE, Target};
use super::{collect_ticks, stop_and_total};

#[test]
fn send_lag_is_recorded_for_every_open_model_send_and_stays_small() {
    let target = Target::start(Behavior::Respond(OK_RESPONSE));
    let mut config = target.config();
    config.threads = 1;
    config.connections = 4;
    config.model = Model::Open { rate: 200.0 };
    let engine = load::start(config).unwrap();
    let ticks = collect_ticks(&engine, Duration::from_millis(1500), |_| false);
    let total = stop_and_total(engine, ticks);
    let phases = total.phases.as_deref().expect("the whole run keeps phases");
    assert!(total.responses >= 100, "responses {}", total.responses);
    assert_eq!(phases.send_lag.len(), total.attempts());
    // Bounded, loosely: on an idle machine the median is tens of µs, but a
    // 2-core machine running several builds (load 16) kept the worker off
    // the CPU for ~2 ms at the median. The exact figures are in
    // scripts/bench-pacer.sh, not here.
    let p50 = phases.send_lag.value_at_quantile(0.5);
    assert!(p50 < 5_000, "send lag p50 {p50} µs");
    assert!(
        phases.send_lag.max() < 1_000_000,
        "send lag max {}",
        phases.send_lag.max()
    );
    // The corrected latency holds the lag, the service time does not.
    assert!(total.latency.value_at_quantile(0.5) >= total.service.value_at_quantile(0.5));
}

#[test]
fn closed_model_records_no_send_lag_but_connect_and_first_byte_times() {
    let delay = Duration::from_millis(20);
    let target = Target::start(Behavior::Slow(delay));
    let mut config = target.config();
    config.threads = 1;
    config.connections = 2;
    let engine = load::start(config).unwrap();
    let ticks = collect_ticks(&engine, Duration::from_millis(600), |_| false);
    let total = stop_and_total(engine, ticks);
    let phases = total.phases.as_deref().unwrap();
    assert!(phases.send_lag.is_empty());
    assert_eq!(phases.connect.len(), total.connects);
    assert!(total.connects >= 2);
    // A loopback connect takes microseconds, never the server's delay.
    assert!(
        phases.connect.max() < 20_000,
        "connect {}",
        phases.connect.max()
    );
    assert_eq!(phases.ttfb.len(), total.responses);
    let ttfb = phases.ttfb.value_at_quantile(0.5);
    let delay_us = delay.as_micros() as u64;
    assert!(
        ttfb >= delay_us,
        "ttfb p50 {ttfb} µs below the {delay_us} µs delay"
    );
    assert!(ttfb <= total.service.value_at_quantile(0.5) + 1);
}

#[test]
fn a_second_answer_to_one_request_is_a_protocol_error() {
    let target = Target::start(Behavior::AnswerTwice);
    let mut config = target.config();
    config.threads = 1;
    config.connections = 1;
    let engine = load::start(config).unwrap();
    let ticks = collect_ticks(&engine, Duration::from_millis(500), |_| false);
    let total = stop_and_total(engine, ticks);
    let malformed = total.errors[ErrorKind::Malformed.index()];
    assert!(total.responses >= 5, "responses {}", total.responses);
    // Every answered request leaves one unasked answer behind, found before
    // the next send on that connection (which is then reopened).
    assert!(
        malformed + 1 >= total.responses,
        "{malformed} protocol errors for {} responses",
        total.responses
    );
    // Never more answers counted than requests the target saw.
    assert!(total.responses <= target.requests());
}
