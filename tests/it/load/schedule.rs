//! Live changes at a fixed rate move the schedule on from the change: in
//! every full second after it the achieved rate is the asked rate (±5 %),
//! and no latency reaches back before the change (a connection that joins
//! owes no sends from before it existed).

use std::time::Duration;

use loadtop::load::{self, EngineHandle, LoadCommand, Model, Tick};

use super::collect_ticks;
use super::targets::{Behavior, OK_RESPONSE, Target};

/// Engine time at which the change is sent: long enough after the start
/// that a schedule restarted at the start shows as seconds of latency.
const CHANGE_AT: f64 = 1.5;
/// Full seconds checked after the change.
const SECONDS_AFTER: u64 = 3;
/// The coordinator emits a tick a little after each tick edge.
const EMIT_GRACE: f64 = 0.05;
/// Room for a loaded machine on top of "since the change plus service".
const LATENCY_SLACK: Duration = Duration::from_millis(300);

struct Change {
    threads: usize,
    connections: usize,
    rate: f64,
    command: LoadCommand,
    rate_after: f64,
}

/// Runs `change` against a fast local target and checks the seconds after it.
fn keeps_the_schedule(change: Change) {
    let target = Target::start(Behavior::Respond(OK_RESPONSE));
    let mut config = target.config();
    config.threads = change.threads;
    config.connections = change.connections;
    config.model = Model::Open { rate: change.rate };
    let engine = load::start(config).unwrap();
    let before = collect_ticks(&engine, Duration::from_secs(10), |tick| {
        tick.elapsed.as_secs_f64() >= CHANGE_AT
    });
    let changed_at = before.last().unwrap().elapsed;
    engine.send(change.command);
    let first_full = changed_at.as_secs() + 1;
    let end = (first_full + SECONDS_AFTER) as f64 + EMIT_GRACE / 2.0;
    let after = collect_ticks(&engine, Duration::from_secs(15), |tick| {
        tick.elapsed.as_secs_f64() >= end
    });
    stop(engine);

    let seconds = per_second(&after);
    for second in first_full..first_full + SECONDS_AFTER {
        let count = seconds.get(&second).copied().unwrap_or(0);
        let rate = count as f64;
        assert!(
            (rate - change.rate_after).abs() <= change.rate_after * 0.05,
            "{:?}: second {second} ran at {rate} req/s, asked {} (per second: {seconds:?})",
            change.command,
            change.rate_after
        );
    }
    for tick in &after {
        let latency = &tick.interval.latency;
        if latency.is_empty() {
            continue;
        }
        let max = Duration::from_micros(latency.max());
        let service = Duration::from_micros(tick.interval.service.max());
        let bound = tick.elapsed.saturating_sub(changed_at) + service + LATENCY_SLACK;
        assert!(
            max <= bound,
            "{:?}: a latency of {max:?} at {:?} predates the change at {changed_at:?}",
            change.command,
            tick.elapsed
        );
    }
}

/// Responses per engine second: a tick belongs to the second it ends in.
fn per_second(ticks: &[Tick]) -> std::collections::BTreeMap<u64, u64> {
    let mut seconds = std::collections::BTreeMap::new();
    for tick in ticks {
        let second = (tick.elapsed.as_secs_f64() - EMIT_GRACE).floor().max(0.0) as u64;
        *seconds.entry(second).or_insert(0) += tick.interval.responses;
    }
    seconds
}

fn stop(engine: EngineHandle) {
    drop(engine.stop());
}

#[test]
fn more_threads_keep_the_rate_and_the_latency() {
    keeps_the_schedule(Change {
        threads: 1,
        connections: 20,
        rate: 1000.0,
        command: LoadCommand::SetThreads(2),
        rate_after: 1000.0,
    });
}

#[test]
fn fewer_threads_keep_the_rate_and_the_latency() {
    keeps_the_schedule(Change {
        threads: 2,
        connections: 20,
        rate: 1000.0,
        command: LoadCommand::SetThreads(1),
        rate_after: 1000.0,
    });
}

#[test]
fn more_connections_keep_the_rate_and_the_latency() {
    keeps_the_schedule(Change {
        threads: 2,
        connections: 20,
        rate: 1000.0,
        command: LoadCommand::SetConnections(40),
        rate_after: 1000.0,
    });
}

#[test]
fn fewer_connections_keep_the_rate_and_the_latency() {
    keeps_the_schedule(Change {
        threads: 2,
        connections: 20,
        rate: 1000.0,
        command: LoadCommand::SetConnections(10),
        rate_after: 1000.0,
    });
}

#[test]
fn a_higher_rate_starts_from_the_change() {
    keeps_the_schedule(Change {
        threads: 2,
        connections: 20,
        rate: 1000.0,
        command: LoadCommand::SetRate(1500.0),
        rate_after: 1500.0,
    });
}

#[test]
fn a_lower_rate_starts_from_the_change() {
    keeps_the_schedule(Change {
        threads: 2,
        connections: 20,
        rate: 1000.0,
        command: LoadCommand::SetRate(500.0),
        rate_after: 500.0,
    });
}
