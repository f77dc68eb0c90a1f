//! The saturation rule's cases, one per verdict and per reason to withhold one.

use super::*;

/// 1,000 req/s asked of 16 connections against a target that answers
/// in 1 ms when idle, all on time.
fn healthy() -> LoadSignals {
    LoadSignals {
        worker_cpu: Some(8.0),
        worker_busy: Some(9.0),
        asked_rate: Some(1_000.0),
        sent_rate: 1_000.0,
        attempts: 1_000,
        late_sends: 0,
        send_lag_p50_us: None,
        in_flight: 1.0,
        open_connections: 16,
        streams_per_connection: 1,
        service_p50_us: 1_000,
        service_baseline_us: Some(1_000),
        rate_allowance: 0.8,
    }
}

#[test]
fn on_schedule_is_not_saturated() {
    assert_eq!(judge(&healthy()), None);
    // A few late sends are jitter, not a limit.
    let jitter = LoadSignals {
        late_sends: 30,
        ..healthy()
    };
    assert_eq!(judge(&jitter), None);
}

#[test]
fn a_worker_that_never_idles_is_the_generator_in_any_model() {
    let busy = LoadSignals {
        worker_cpu: Some(55.0),
        worker_busy: Some(97.0),
        asked_rate: None,
        ..healthy()
    };
    let verdict = judge(&busy).unwrap();
    assert_eq!(verdict.party(), Party::Generator);
    assert!(
        verdict.reason().contains("busy 97%"),
        "{}",
        verdict.reason()
    );
    assert!(
        verdict.reason().contains("55% on a CPU"),
        "{}",
        verdict.reason()
    );
    assert!(verdict.hides_target_capacity());
    // The closed model has no schedule to fall behind.
    let closed = LoadSignals {
        asked_rate: None,
        late_sends: 1_000,
        ..healthy()
    };
    assert_eq!(judge(&closed), None);
}

#[test]
fn every_connection_waiting_on_a_queueing_target_is_the_target() {
    // Pool exhaustion: 16 connections, answers 16 ms instead of 1 ms.
    let pool_full = LoadSignals {
        sent_rate: 1_000.0,
        late_sends: 950,
        in_flight: 16.0,
        service_p50_us: 16_000,
        ..healthy()
    };
    let verdict = judge(&pool_full).unwrap();
    assert_eq!(verdict.party(), Party::Target);
    assert_eq!(
        verdict.reason(),
        "all 16 connections waiting; open more connections (C) or lower the rate"
    );
    assert!(!verdict.reason().contains("thread"));
    assert!(!verdict.hides_target_capacity());
}

#[test]
fn every_connection_waiting_on_a_fast_target_is_too_few_connections() {
    // 2 connections to a 10 ms route can carry 200 req/s of the 1,000.
    let few = LoadSignals {
        sent_rate: 198.0,
        attempts: 198,
        late_sends: 190,
        in_flight: 1.98,
        open_connections: 2,
        service_p50_us: 10_000,
        service_baseline_us: Some(10_000),
        ..healthy()
    };
    let verdict = judge(&few).unwrap();
    assert_eq!(verdict.party(), Party::Target);
    assert!(verdict.reason().contains("all 2 connections waiting"));
    // The target is not at its limit: `max` must not take this as its capacity.
    assert!(verdict.hides_target_capacity());
}

#[test]
fn behind_with_idle_connections_and_fast_answers_is_the_generator() {
    let starved = LoadSignals {
        sent_rate: 400.0,
        attempts: 400,
        late_sends: 300,
        in_flight: 0.4,
        ..healthy()
    };
    let verdict = judge(&starved).unwrap();
    assert_eq!(verdict.party(), Party::Generator);
    assert!(verdict.reason().starts_with("300 of 400 sends late"));
    // The same lateness with slowed answers is the target queueing.
    let queueing = LoadSignals {
        service_p50_us: 9_000,
        in_flight: 3.6,
        ..starved.clone()
    };
    let verdict = judge(&queueing).unwrap();
    assert_eq!(verdict.party(), Party::Target);
    assert!(verdict.reason().starts_with("answers slowed to 9"));
    // Without a baseline only a whole set of waiting connections speaks.
    let unknown = LoadSignals {
        service_baseline_us: None,
        ..starved
    };
    assert_eq!(judge(&unknown), None);
}

#[test]
fn a_rate_far_short_needs_some_late_sends() {
    // Short by quantisation, every send on time: not behind.
    let short = LoadSignals {
        sent_rate: 500.0,
        attempts: 500,
        late_sends: 0,
        ..healthy()
    };
    assert_eq!(judge(&short), None);
    // Short with 5% late: behind (the generator here: idle connections).
    let late = LoadSignals {
        late_sends: 25,
        ..short.clone()
    };
    assert_eq!(judge(&late).unwrap().party(), Party::Generator);
    // A window whose counts may miss a tick leaves more room.
    let lenient = LoadSignals {
        rate_allowance: 0.4,
        ..late
    };
    assert_eq!(judge(&lenient), None);
}

#[test]
fn send_lag_alone_can_say_behind() {
    let lagging = LoadSignals {
        send_lag_p50_us: Some(2_500),
        in_flight: 16.0,
        service_p50_us: 15_000,
        ..healthy()
    };
    assert_eq!(judge(&lagging).unwrap().party(), Party::Target);
    let on_time = LoadSignals {
        send_lag_p50_us: Some(20),
        ..lagging
    };
    assert_eq!(judge(&on_time), None);
}

#[test]
fn http2_streams_are_units_of_their_own() {
    // 4 connections × 8 streams: 4 in flight is far from all waiting.
    let h2 = LoadSignals {
        late_sends: 600,
        in_flight: 4.0,
        open_connections: 4,
        streams_per_connection: 8,
        ..healthy()
    };
    assert_eq!(judge(&h2).unwrap().party(), Party::Generator);
    let all = LoadSignals {
        in_flight: 31.0,
        ..h2
    };
    assert!(judge(&all).unwrap().reason().contains("all 4 connections"));
}

/// The schedule far behind (sends 5 ms late at the median), every
/// connection in flight by Little's law, the target as fast as when idle.
fn lagging_with_all_in_flight() -> LoadSignals {
    LoadSignals {
        sent_rate: 6_000.0,
        attempts: 6_000,
        late_sends: 5_000,
        asked_rate: Some(100_000.0),
        send_lag_p50_us: Some(5_000),
        in_flight: 16.0,
        service_p50_us: 2_600,
        service_baseline_us: Some(2_500),
        ..healthy()
    }
}

#[test]
fn lagging_sends_from_a_worker_waiting_for_a_cpu_are_the_generator() {
    let starved = LoadSignals {
        worker_cpu: Some(30.0),
        worker_busy: Some(75.0),
        ..lagging_with_all_in_flight()
    };
    let verdict = judge(&starved).unwrap();
    assert_eq!(verdict.party(), Party::Generator, "{verdict:?}");
    assert!(
        verdict.reason().contains("waits for a CPU 45%"),
        "{}",
        verdict.reason()
    );
    assert!(verdict.hides_target_capacity());
}

#[test]
fn lagging_sends_with_a_worker_that_gets_its_cpu_are_the_target() {
    // The same lag and connections with the worker on a CPU whenever it
    // wants one: the connections, not loadtop, are the limit.
    let served = LoadSignals {
        worker_cpu: Some(30.0),
        worker_busy: Some(33.0),
        ..lagging_with_all_in_flight()
    };
    assert_eq!(judge(&served).unwrap().party(), Party::Target);
    // Waiting a good share, but running longer than it waits: it keeps up.
    let busy_machine = LoadSignals {
        worker_cpu: Some(45.0),
        worker_busy: Some(70.0),
        ..lagging_with_all_in_flight()
    };
    assert_eq!(judge(&busy_machine).unwrap().party(), Party::Target);
    // A target that queues, with a worker that gets its CPU: the target.
    let queueing = LoadSignals {
        worker_cpu: Some(10.0),
        worker_busy: Some(14.0),
        service_p50_us: 40_000,
        ..lagging_with_all_in_flight()
    };
    assert_eq!(judge(&queueing).unwrap().party(), Party::Target);
    // The same slow answers recorded by a worker that waits for a CPU
    // longer than it runs: its own wait is in them.
    let starved = LoadSignals {
        worker_busy: Some(50.0),
        ..queueing
    };
    assert_eq!(judge(&starved).unwrap().party(), Party::Generator);
}
