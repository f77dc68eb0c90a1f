//! Per-tick cost of the statistics path, with one request name and with a
//! 64-name mix at the same rate: workers record responses, swap their
//! interval out, the coordinator merges and recycles, the session's ledger
//! folds the tick in and a snapshot's figures are computed (every stage's
//! summary, the measured total with its per-name summaries, the current
//! stage's per-name rows). Prints microseconds per tick and peak RSS for each.
//!
//! ```text
//! cargo bench --bench tick_cost                  # 1 and 64 names, 1,000 req/s
//! cargo bench --bench tick_cost -- 4000 2400     # RATE TICKS
//! cargo bench --bench tick_cost -- 1000 1200 64  # one case: RATE TICKS NAMES
//! ```
//! The ledger starts with finished stages behind it, so a cost that grew
//! with the run's history would show.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use loadtop::session::ledger::Ledger;
use loadtop::stats::Interval;
use loadtop::stats::summary::{RequestSummary, Summary};

const TICK: Duration = Duration::from_millis(250);
const WORKERS: usize = 2;
const FINISHED_STAGES: usize = 8;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let number = |i: usize, default: u64| args.get(i).map_or(default, |a| a.parse().unwrap());
    let rate = number(0, 1_000);
    let ticks = number(1, 1_200);
    match args.get(2) {
        Some(names) => {
            let names: usize = names.parse().unwrap();
            let plain = run(names, rate, ticks, false);
            let thresholds = run(names, rate, ticks, true);
            println!(
                "names={names:<3} {:>8.1} us/tick ({:>8.1} with run thresholds)  peak_rss={} kB",
                plain.as_secs_f64() * 1e6,
                thresholds.as_secs_f64() * 1e6,
                peak_rss_kb()
            );
        }
        None => {
            println!("# {rate} req/s, {ticks} ticks of 250 ms, {WORKERS} workers");
            // One process per case, so each peak RSS is its own.
            for names in ["1", "64"] {
                let status = std::process::Command::new(std::env::current_exe().unwrap())
                    .args([rate.to_string(), ticks.to_string(), names.to_string()])
                    .status()
                    .unwrap();
                assert!(status.success(), "{names} names: {status}");
            }
        }
    }
}

/// Latencies spread like a loopback target's: mostly sub-millisecond, a
/// tail to tens of milliseconds.
fn latency_us(n: u64) -> u64 {
    let spread = fastrand::u64(0..1_000);
    if n % 100 == 0 {
        spread * 40
    } else {
        150 + spread
    }
}

/// Average wall time of one tick's statistics work.
fn run(names: usize, rate: u64, ticks: u64, thresholds: bool) -> Duration {
    let names_list: Vec<String> = (0..names).map(|i| format!("GET /n{i}")).collect();
    let mut recorders: Vec<Interval> = (0..WORKERS)
        .map(|_| Interval::with_requests(names))
        .collect();
    let mut worker_spares: Vec<Vec<Interval>> = vec![Vec::new(); WORKERS];
    let mut pending = Interval::with_requests(names);
    let mut tick_spares: Vec<Interval> = Vec::new();
    let mut ledger = Ledger::new();
    let per_worker = rate * TICK.as_millis() as u64 / 1_000 / WORKERS as u64;
    let mut elapsed = Duration::ZERO;
    let mut sent = 0u64;
    let total_ticks = ticks + FINISHED_STAGES as u64 * 20;
    let mut timed = Duration::ZERO;
    for tick in 0..total_ticks {
        // The first stages are the run's history; only the last one is timed.
        let stage = (tick / 20) as usize;
        if tick % 20 == 0 && stage <= FINISHED_STAGES {
            ledger.start_stage(&format!("s{stage}"), stage > 0, elapsed);
        }
        let started = Instant::now();
        for (worker, recorder) in recorders.iter_mut().enumerate() {
            for _ in 0..per_worker {
                let latency = latency_us(sent);
                let slot = (sent % names as u64) as usize;
                recorder.record_response_for(slot, latency + 20, latency, 200, 120);
                sent += 1;
            }
            let spare = worker_spares[worker]
                .pop()
                .unwrap_or_else(|| Interval::with_requests(names));
            let mut swapped = std::mem::replace(recorder, spare);
            pending.merge(&swapped);
            swapped.reset();
            worker_spares[worker].push(swapped);
        }
        elapsed += TICK;
        let spare = tick_spares
            .pop()
            .unwrap_or_else(|| Interval::with_requests(names));
        let mut tick_interval = std::mem::replace(&mut pending, spare);
        ledger.add_tick(&tick_interval, elapsed, TICK / 2, Some(rate as f64), None);
        if let Some(current) = ledger.current_stage_mut() {
            current.active += TICK;
        }
        snapshot_figures(&ledger, &names_list, thresholds);
        tick_interval.reset();
        tick_spares.push(tick_interval);
        if stage >= FINISHED_STAGES {
            timed += started.elapsed();
        }
    }
    timed / ticks as u32
}

/// What a snapshot computes from the ledger (`black_box` keeps it honest):
/// every stage's row, the current stage's per-name rows, and with
/// `thresholds` the run's summary and per-name summaries (what a profile
/// with run-wide thresholds adds).
fn snapshot_figures(ledger: &Ledger, names: &[String], thresholds: bool) {
    for stage in &ledger.stages {
        std::hint::black_box(stage.summary());
    }
    if thresholds {
        let (total, active) = ledger.measured();
        std::hint::black_box(Summary::from_interval(total, active));
        std::hint::black_box(RequestSummary::all(total, names, active));
    }
    if let Some(current) = ledger.current_stage() {
        for (index, part) in current.interval.requests.iter().enumerate() {
            std::hint::black_box(part.attempts());
            std::hint::black_box(ledger.stage_request_views.get(index));
        }
    }
}

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
