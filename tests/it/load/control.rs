//! Live commands take effect within a second and lose no counts.

use std::time::Duration;

use loadtop::load::{self, LoadCommand, Model, Tick};

use super::targets::{Behavior, OK_RESPONSE, Target};
use super::{collect_ticks, stop_and_total};

fn rps(ticks: &[Tick]) -> f64 {
    let responses: u64 = ticks.iter().map(|tick| tick.interval.responses).sum();
    let span = ticks.last().unwrap().elapsed.as_secs_f64() - ticks[0].elapsed.as_secs_f64() + 0.1;
    responses as f64 / span
}

#[test]
fn set_rate_changes_the_sending_rate() {
    let target = Target::start(Behavior::Respond(OK_RESPONSE));
    let mut config = target.config();
    config.threads = 2;
    config.connections = 4;
    config.model = Model::Open { rate: 100.0 };
    let engine = load::start(config).unwrap();
    let mut ticks = collect_ticks(&engine, Duration::from_millis(1000), |_| false);
    let before = rps(&ticks[2..]);
    engine.send(LoadCommand::SetRate(400.0));
    // Skip the tick the change lands in, then measure for a second.
    let switching = collect_ticks(&engine, Duration::from_millis(300), |_| false);
    let after_ticks = collect_ticks(&engine, Duration::from_millis(1000), |_| false);
    let after = rps(&after_ticks);
    assert!((60.0..=140.0).contains(&before), "before {before}");
    assert!((280.0..=520.0).contains(&after), "after {after}");
    assert_eq!(
        after_ticks.last().unwrap().model,
        Model::Open { rate: 400.0 }
    );
    ticks.extend(switching);
    ticks.extend(after_ticks);
    let total = stop_and_total(engine, ticks);
    assert_eq!(total.responses, target.requests());
}

#[test]
fn set_rate_on_a_closed_run_switches_to_open() {
    let target = Target::start(Behavior::Respond(OK_RESPONSE));
    let mut config = target.config();
    config.threads = 1;
    config.connections = 2;
    let engine = load::start(config).unwrap();
    engine.send(LoadCommand::SetRate(100.0));
    let _ = collect_ticks(&engine, Duration::from_millis(400), |_| false);
    let ticks = collect_ticks(&engine, Duration::from_millis(1000), |_| false);
    let after = rps(&ticks);
    assert!((60.0..=140.0).contains(&after), "after {after}");
    assert_eq!(ticks.last().unwrap().model, Model::Open { rate: 100.0 });
}

#[test]
fn set_closed_on_an_open_run_sends_back_to_back() {
    let target = Target::start(Behavior::Respond(OK_RESPONSE));
    let mut config = target.config();
    config.threads = 1;
    config.connections = 2;
    config.model = Model::Open { rate: 50.0 };
    let engine = load::start(config).unwrap();
    let open = collect_ticks(&engine, Duration::from_millis(1000), |_| false);
    engine.send(LoadCommand::SetClosed);
    let _ = collect_ticks(&engine, Duration::from_millis(300), |_| false);
    let closed = collect_ticks(&engine, Duration::from_millis(1000), |_| false);
    let (before, after) = (rps(&open[1..]), rps(&closed));
    assert!(before < 100.0, "open at 50 req/s ran at {before}");
    // Two connections back to back on loopback go far beyond 50 req/s.
    assert!(after > 4.0 * before, "closed {after} vs open {before}");
    assert_eq!(closed.last().unwrap().model, Model::Closed);
}

#[test]
fn set_connections_opens_and_closes_connections() {
    let target = Target::start(Behavior::Respond(OK_RESPONSE));
    let mut config = target.config();
    config.threads = 2;
    config.connections = 2;
    config.model = Model::Open { rate: 200.0 };
    let engine = load::start(config).unwrap();
    let mut all = collect_ticks(&engine, Duration::from_secs(2), |tick| {
        tick.open_connections == 2
    });
    engine.send(LoadCommand::SetConnections(6));
    let grown = collect_ticks(&engine, Duration::from_secs(1), |tick| {
        tick.open_connections == 6
    });
    assert_eq!(grown.last().unwrap().open_connections, 6);
    assert_eq!(grown.last().unwrap().connections, 6);
    engine.send(LoadCommand::SetConnections(3));
    let shrunk = collect_ticks(&engine, Duration::from_secs(1), |tick| {
        tick.open_connections == 3
    });
    assert_eq!(shrunk.last().unwrap().open_connections, 3);
    all.extend(grown);
    all.extend(shrunk);
    let total = stop_and_total(engine, all);
    assert_eq!(total.responses, target.requests());
    assert_eq!(total.connects, 6);
}

#[test]
fn set_threads_spawns_and_retires_workers_without_losing_counts() {
    let target = Target::start(Behavior::Respond(OK_RESPONSE));
    let mut config = target.config();
    config.threads = 1;
    config.connections = 6;
    let engine = load::start(config).unwrap();
    let mut all = collect_ticks(&engine, Duration::from_millis(300), |_| false);
    engine.send(LoadCommand::SetThreads(3));
    let grown = collect_ticks(&engine, Duration::from_secs(1), |tick| {
        tick.threads == 3 && tick.open_connections == 6 && tick.interval.responses > 0
    });
    let last = grown.last().unwrap();
    assert_eq!((last.threads, last.open_connections), (3, 6));
    engine.send(LoadCommand::SetThreads(2));
    let shrunk = collect_ticks(&engine, Duration::from_secs(1), |tick| {
        tick.threads == 2 && tick.open_connections == 6
    });
    let last = shrunk.last().unwrap();
    assert_eq!((last.threads, last.open_connections), (2, 6));
    all.extend(grown);
    all.extend(shrunk);
    let total = stop_and_total(engine, all);
    assert_eq!(total.responses, target.requests());
}

#[test]
fn pause_stops_traffic_and_resume_restarts_it() {
    let target = Target::start(Behavior::Respond(OK_RESPONSE));
    let mut config = target.config();
    config.threads = 1;
    config.connections = 2;
    config.model = Model::Open { rate: 200.0 };
    let engine = load::start(config).unwrap();
    let mut all = collect_ticks(&engine, Duration::from_millis(500), |_| false);
    engine.send(LoadCommand::Pause);
    // Let in-flight requests and the current tick drain.
    all.extend(collect_ticks(&engine, Duration::from_millis(300), |_| {
        false
    }));
    let before = target.requests();
    let paused = collect_ticks(&engine, Duration::from_millis(500), |_| false);
    assert!(paused.iter().all(|tick| tick.paused));
    assert_eq!(paused.iter().map(|t| t.interval.responses).sum::<u64>(), 0);
    assert_eq!(target.requests(), before);
    assert_eq!(paused.last().unwrap().open_connections, 2);
    engine.send(LoadCommand::Resume);
    let resumed = collect_ticks(&engine, Duration::from_millis(600), |_| false);
    let after: u64 = resumed.iter().map(|t| t.interval.responses).sum();
    assert!(after > 50, "resumed responses {after}");
    // The pause built no backlog: no burst of late sends after it.
    let late: u64 = resumed.iter().map(|t| t.interval.late_sends).sum();
    assert!(late < 20, "late sends after resume {late}");
    all.extend(paused);
    all.extend(resumed);
    let total = stop_and_total(engine, all);
    assert_eq!(total.responses, target.requests());
    assert!(total.dropped_sends < 20, "dropped {}", total.dropped_sends);
}

fn worker_thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .map(|tasks| {
            tasks
                .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
                .map(|name| name.trim().to_string())
                .filter(|name| name.starts_with("loadtop-worker-"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn ticks_arrive_each_period_from_named_workers_and_drop_stops_everything() {
    let target = Target::start(Behavior::Respond(OK_RESPONSE));
    let mut config = target.config();
    config.threads = 2;
    config.connections = 2;
    let engine = load::start(config).unwrap();
    let ticks = collect_ticks(&engine, Duration::from_millis(1000), |_| false);
    // 100 ms ticks over one second, on a noisy machine.
    assert!((6..=12).contains(&ticks.len()), "{} ticks", ticks.len());
    assert!(ticks.windows(2).all(|w| w[0].elapsed < w[1].elapsed));
    assert!(
        ticks
            .iter()
            .all(|tick| tick.threads == 2 && tick.connections == 2)
    );
    assert!(
        worker_thread_names().len() >= 2,
        "{:?}",
        worker_thread_names()
    );
    drop(engine);
    let after_drop = target.requests();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        target.requests(),
        after_drop,
        "traffic after the handle was dropped"
    );
}

#[test]
fn pause_holds_a_closed_run_with_connections_open() {
    let target = Target::start(Behavior::Respond(OK_RESPONSE));
    let mut config = target.config();
    config.threads = 2;
    config.connections = 4;
    let engine = load::start(config).unwrap();
    let mut all = collect_ticks(&engine, Duration::from_millis(300), |_| false);
    engine.send(LoadCommand::Pause);
    all.extend(collect_ticks(&engine, Duration::from_millis(300), |_| {
        false
    }));
    let before = target.requests();
    let paused = collect_ticks(&engine, Duration::from_millis(400), |_| false);
    assert_eq!(target.requests(), before);
    assert_eq!(paused.last().unwrap().open_connections, 4);
    engine.send(LoadCommand::Resume);
    let resumed = collect_ticks(&engine, Duration::from_millis(400), |_| false);
    assert!(resumed.iter().map(|t| t.interval.responses).sum::<u64>() > 0);
    all.extend(paused);
    all.extend(resumed);
    let total = stop_and_total(engine, all);
    assert_eq!(total.responses, target.requests());
    assert_eq!(total.connects, 4);
}

#[test]
fn set_threads_with_max_requests_shares_the_quota_and_counts_exactly() {
    let target = Target::start(Behavior::Slow(Duration::from_millis(5)));
    let mut config = target.config();
    config.threads = 1;
    config.connections = 4;
    config.max_requests = Some(1200);
    let engine = load::start(config).unwrap();
    let mut all = collect_ticks(&engine, Duration::from_millis(300), |_| false);
    engine.send(LoadCommand::SetThreads(2));
    // The new worker gets quota back from the old one and opens its share.
    let grown = collect_ticks(&engine, Duration::from_secs(1), |tick| {
        tick.threads == 2 && tick.open_connections == 4
    });
    assert_eq!(grown.last().unwrap().open_connections, 4);
    engine.send(LoadCommand::SetThreads(1));
    all.extend(grown);
    all.extend(collect_ticks(&engine, Duration::from_secs(10), |tick| {
        tick.done
    }));
    assert!(all.last().unwrap().done, "quota never spent");
    let total = stop_and_total(engine, all);
    assert_eq!(total.responses, 1200);
    assert_eq!(target.requests(), 1200);
}

#[test]
fn a_rate_cut_drops_the_backlog_instead_of_replaying_it() {
    // 2 connections at 50 ms per response manage ~40 req/s of the 200 asked.
    let target = Target::start(Behavior::Slow(Duration::from_millis(50)));
    let mut config = target.config();
    config.threads = 1;
    config.connections = 2;
    config.model = Model::Open { rate: 200.0 };
    let engine = load::start(config).unwrap();
    let mut all = collect_ticks(&engine, Duration::from_millis(1000), |_| false);
    let late: u64 = all.iter().map(|t| t.interval.late_sends).sum();
    assert!(late > 10, "late sends {late}");
    engine.send(LoadCommand::SetRate(4.0));
    let after = collect_ticks(&engine, Duration::from_millis(1000), |_| false);
    let dropped: u64 = after.iter().map(|t| t.interval.dropped_sends).sum();
    // About 160 sends were behind schedule when the rate was cut.
    assert!(dropped >= 80, "dropped {dropped}");
    // After the cut the connections keep up: at most a few sends a second.
    let after_cut: u64 = after[3..].iter().map(|t| t.interval.responses).sum();
    assert!(after_cut <= 10, "responses after the cut {after_cut}");
    all.extend(after);
    let total = stop_and_total(engine, all);
    assert_eq!(total.responses, target.requests());
}
