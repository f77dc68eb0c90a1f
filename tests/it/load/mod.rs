//! Integration tests: the load engine against small local targets.

mod background;
mod control;
mod counts;
mod errors;
mod h2_target;
mod interop;
mod mix;
mod phases;
mod schedule;
mod targets;
mod tls;

use std::time::{Duration, Instant};

use loadtop::load::{EngineHandle, Tick};
use loadtop::stats::Interval;

/// Collects ticks until `stop_when` says so or `limit` passes; returns them.
fn collect_ticks(
    engine: &EngineHandle,
    limit: Duration,
    mut stop_when: impl FnMut(&Tick) -> bool,
) -> Vec<Tick> {
    let deadline = Instant::now() + limit;
    let mut ticks = Vec::new();
    while Instant::now() < deadline {
        if let Ok(tick) = engine.ticks().recv_timeout(Duration::from_millis(50)) {
            let stop = stop_when(&tick);
            ticks.push(tick);
            if stop {
                break;
            }
        }
    }
    ticks
}

/// Everything recorded: the ticks seen plus the final tick from `stop`.
fn total(ticks: &[Tick], last: &Tick) -> Interval {
    let mut sum = Interval::new();
    for tick in ticks {
        sum.merge(&tick.interval);
    }
    sum.merge(&last.interval);
    sum
}

/// Stops the engine after draining its ticks; returns the whole run's total.
fn stop_and_total(engine: EngineHandle, mut ticks: Vec<Tick>) -> Interval {
    while let Ok(tick) = engine.ticks().try_recv() {
        ticks.push(tick);
    }
    let last = engine.stop();
    total(&ticks, &last)
}

/// `loadtop bench URL -n N -c 2 --http2 --h2-streams S --cacert CA` with a
/// JSON report in `dir`: returns the exit output and, on success, the
/// schema-checked report.
fn bench_h2_over_tls(
    url: &str,
    ca: &std::path::Path,
    requests: u64,
    streams: u32,
    dir: &std::path::Path,
) -> (std::process::Output, Option<serde_json::Value>) {
    let report = dir.join("report.json");
    let out = crate::support::run_loadtop(
        &[
            "bench",
            url,
            "-n",
            &requests.to_string(),
            "-c",
            "2",
            "--http2",
            "--h2-streams",
            &streams.to_string(),
            "--cacert",
            ca.to_str().unwrap(),
            "--headless",
            "--json",
            report.to_str().unwrap(),
        ],
        dir,
    );
    let report = out
        .status
        .success()
        .then(|| crate::headless::read_valid_report(&report));
    (out, report)
}
