//! Hand-built snapshots with realistic timelines for the dashboard tests:
//! a three-stage ramp, deterministic jitter (no randomness, so screens are
//! stable), and the situations people run the dashboard for.

use std::path::PathBuf;
use std::time::Duration;

use loadtop::snapshot::{
    Alerts, ConnectionView, EventView, LatencyView, Model, ResourceView, SaturatedParty,
    SaturationAlert, ServerView, Snapshot, StageRow, StageView, ThresholdView, TimelinePoint,
    Verdict,
};
use loadtop::stats::ErrorKind;

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;
pub const STAGE_SECS: u64 = 40;
pub const STAGES: [(&str, f64); 3] = [("warmup", 500.0), ("medium", 1000.0), ("high", 2000.0)];

/// Deterministic jitter in [-1, 1].
fn jitter(second: u64, salt: u64) -> f64 {
    let h = (second.wrapping_mul(2_654_435_761) ^ salt.wrapping_mul(40_503)) % 2001;
    h as f64 / 1000.0 - 1.0
}

/// One healthy second at `rate` req/s.
fn healthy_point(second: u64, rate: f64, open: bool) -> TimelinePoint {
    let stage_index = ((second - 1) / STAGE_SECS) as usize;
    let load = rate / 1000.0;
    TimelinePoint {
        second,
        stage: stage_index,
        rps: rate * (0.995 + 0.005 * jitter(second, 1)),
        target_rps: open.then_some(rate),
        p50_us: (820.0 + 60.0 * jitter(second, 2)) as u64,
        p90_us: (1_500.0 + 120.0 * jitter(second, 3)) as u64,
        p99_us: (2_600.0 + 400.0 * jitter(second, 4)) as u64,
        max_us: (6_000.0 + 1_500.0 * jitter(second, 5)) as u64,
        errors: 0,
        bytes: (rate * 512.0) as u64,
        cpu_target: Some((30.0 * load + 4.0 * jitter(second, 6)) as f32),
        cpu_generator: Some((18.0 * load + 3.0 * jitter(second, 7)) as f32),
        cpu_system: Some((62.0 * load + 15.0 + 6.0 * jitter(second, 8)) as f32),
        rss_target: Some(48 * MIB + second * 40 * 1024),
        rss_generator: Some(22 * MIB + (jitter(second, 9).abs() * MIB as f64) as u64),
        mem_system_used: Some(6 * GIB + (second * 2 * MIB)),
        requests: Vec::new(),
        ..TimelinePoint::default()
    }
}

fn stage_for(second: u64) -> usize {
    (((second.max(1)) - 1) / STAGE_SECS) as usize
}

fn stage_rows(upto: usize) -> Vec<StageRow> {
    STAGES[..=upto]
        .iter()
        .enumerate()
        .map(|(i, (name, rate))| StageRow {
            name: name.to_string(),
            rps: rate * 0.996,
            p50_us: 830,
            p99_us: 2_700,
            p999_us: 5_100,
            errors: 0,
            error_rate: 0.0,
            cpu_target_mean: Some((30.0 * rate / 1000.0) as f32),
            rss_target_peak: Some(48 * MIB + (i as u64 + 1) * 2 * MIB),
            verdict: Verdict::Pass,
            finished: i < upto,
            cut: false,
            bottleneck: Some(if *name == "high" {
                loadtop::diagnosis::Bottleneck::Pool
            } else {
                loadtop::diagnosis::Bottleneck::None
            }),
        })
        .collect()
}

fn latency(p50: u64, p99: u64, count: u64) -> LatencyView {
    LatencyView {
        count,
        mean_us: p50 as f64 * 1.2,
        p50_us: p50,
        p90_us: p50 * 2,
        p99_us: p99,
        p999_us: p99 + p99 / 5,
        max_us: p99 * 2,
    }
}

fn resources(point: &TimelinePoint) -> ResourceView {
    ResourceView {
        cpu_target: point.cpu_target,
        cpu_generator: point.cpu_generator.unwrap_or_default(),
        cpu_system: point.cpu_system.unwrap_or_default(),
        cpu_per_core: vec![40.0, 35.0],
        rss_target: point.rss_target,
        rss_generator: point.rss_generator.unwrap_or_default(),
        threads_target: point.rss_target.map(|_| 6),
        threads_generator: 5,
        sockets_target: point.rss_target.map(|_| 52),
        sockets_generator: 50,
        mem_used: point.mem_system_used.unwrap_or_default(),
        mem_total: 16 * GIB,
        ..ResourceView::default()
    }
}

/// The common frame of every scenario at run second `now`.
fn base(now: u64, open: bool, timeline: Vec<TimelinePoint>) -> Snapshot {
    let stage_index = stage_for(now);
    let (name, rate) = STAGES[stage_index];
    let last = timeline.last().expect("scenarios have a timeline").clone();
    Snapshot {
        target: "embedded /pool".to_string(),
        model: if open {
            Model::Open { rate }
        } else {
            Model::Closed
        },
        threads: 2,
        connections: 50,
        paused: false,
        elapsed: Duration::from_secs(now),
        total: Some(Duration::from_secs(STAGE_SECS * STAGES.len() as u64)),
        stage: Some(StageView {
            index: stage_index,
            count: STAGES.len(),
            name: name.to_string(),
            elapsed: Duration::from_secs(now - stage_index as u64 * STAGE_SECS),
            duration: Some(Duration::from_secs(STAGE_SECS)),
            held: false,
        }),
        interval: LatencyView {
            count: last.rps as u64,
            mean_us: last.p50_us as f64 * 1.2,
            p50_us: last.p50_us,
            p90_us: last.p90_us,
            p99_us: last.p99_us,
            p999_us: last.p99_us + last.p99_us / 4,
            max_us: last.max_us,
        },
        stage_latency: latency(830, 2_700, (rate * 35.0) as u64),
        // No phase rows, so the snapshots keep their layout.
        stage_send_lag: LatencyView::default(),
        stage_connect: LatencyView::default(),
        stage_ttfb: LatencyView::default(),
        status_codes: vec![(200, (rate * 35.0) as u64)],
        errors: Vec::new(),
        connection_stats: ConnectionView {
            open: 50,
            connects: 50,
            reconnects: 0,
        },
        server: Some(ServerView {
            inflight: 3,
            pool_size: 10,
            pool_in_use: 3,
            pool_waiters: 0,
            pool_timeouts: 0,
            hold_ms: 5,
            load_shedding: false,
            max_inflight: 512,
            shed: 0,
            rate_limited: 0,
            timeouts: 0,
            cpu_workers: 0,
            cpu_in_use: 0,
            cpu_waiting: 0,
            db: None,
        }),
        scraped_pool: None,
        resources: Some(resources(&last)),
        events: vec![
            EventView {
                at: Duration::ZERO,
                text: "stage 1/3 warmup started (500 req/s)".into(),
            },
            EventView {
                at: Duration::from_secs(40),
                text: "stage 2/3 medium started (1000 req/s)".into(),
            },
        ],
        alerts: Alerts::default(),
        thresholds: vec![ThresholdView {
            expr: "p99 < 250ms".into(),
            stage: None,
            verdict: Verdict::Pending,
            observed: "2.7ms".into(),
        }],
        stage_rows: stage_rows(stage_index),
        finished: false,
        report_path: None,
        totals: Default::default(),
        requests: Vec::new(),
        timeline,
    }
}

fn healthy_timeline(now: u64, open: bool) -> Vec<TimelinePoint> {
    (1..=now)
        .map(|s| healthy_point(s, STAGES[stage_for(s)].1, open))
        .collect()
}

/// Open model, stage 2/3 at 75 s, everything fine.
pub fn healthy() -> Snapshot {
    base(75, true, healthy_timeline(75, true))
}

/// Open model at 1000 req/s on the embedded `/pool` route; at 55 s the pool
/// shrinks from 10 to 5 slots with 5 ms hold: exactly saturated, requests
/// queue for a slot and p99 climbs from ~2.6 ms to ~250 ms.
pub fn pool_exhaustion() -> Snapshot {
    let mut timeline = healthy_timeline(75, true);
    for point in timeline.iter_mut().filter(|p| p.second > 55) {
        let t = (point.second - 55) as f64;
        let ramp = (t / 6.0).min(1.0);
        point.rps = 1000.0 * (0.97 - 0.03 * ramp + 0.01 * jitter(point.second, 11));
        point.p50_us = (820.0 + ramp * 11_000.0 * (1.0 + 0.2 * jitter(point.second, 12))) as u64;
        point.p90_us = point.p50_us * 6;
        point.p99_us = (2_600.0 + ramp * 245_000.0 * (1.0 + 0.1 * jitter(point.second, 13))) as u64;
        point.max_us = point.p99_us + 60_000;
        point.cpu_target = Some(38.0 + 3.0 * jitter(point.second, 14) as f32);
        point.errors = (ramp * 4.0) as u64;
    }
    let mut snapshot = base(75, true, timeline);
    let last = snapshot.timeline.last().expect("timeline").clone();
    snapshot.interval = LatencyView {
        count: last.rps as u64,
        mean_us: 48_000.0,
        p50_us: last.p50_us,
        p90_us: last.p90_us,
        p99_us: last.p99_us,
        p999_us: 301_000,
        max_us: last.max_us,
    };
    snapshot.stage_latency = LatencyView {
        count: 34_310,
        mean_us: 21_000.0,
        p50_us: 1_900,
        p90_us: 61_000,
        p99_us: 231_000,
        p999_us: 288_000,
        max_us: 342_000,
    };
    snapshot.status_codes = vec![(200, 34_120), (503, 190)];
    snapshot.errors = vec![(ErrorKind::RequestTimeout, 41)];
    snapshot.server = Some(ServerView {
        inflight: 57,
        pool_size: 5,
        pool_in_use: 5,
        pool_waiters: 52,
        pool_timeouts: 190,
        hold_ms: 5,
        load_shedding: false,
        max_inflight: 512,
        shed: 0,
        rate_limited: 0,
        timeouts: 41,
        cpu_workers: 0,
        cpu_in_use: 0,
        cpu_waiting: 0,
        db: None,
    });
    snapshot.events.push(EventView {
        at: Duration::from_secs(55),
        text: "server knobs: pool size 10 → 5".into(),
    });
    snapshot.thresholds[0].observed = "231ms".into();
    // Waiting on the pool, the target's busiest thread is far from a core:
    // the CPU chart's mark stays calm.
    if let Some(resources) = snapshot.resources.as_mut() {
        resources.target_signals.process = Some(loadtop::monitor::ProcessSignals {
            busiest_thread_cpu: 31.0,
            busiest_thread_busy: 33.0,
            ..loadtop::monitor::ProcessSignals::default()
        });
    }
    snapshot
}

/// Closed model, 50 connections; the target was killed at 62 s.
pub fn target_exited() -> Snapshot {
    let mut timeline = healthy_timeline(70, false);
    for point in timeline.iter_mut().filter(|p| p.second > 62) {
        point.rps = 0.0;
        point.p50_us = 0;
        point.p90_us = 0;
        point.p99_us = 0;
        point.max_us = 0;
        point.errors = 900;
        point.cpu_target = None;
        point.rss_target = None;
    }
    let mut snapshot = base(70, false, timeline);
    snapshot.alerts.target_exited = Some("killed by signal 9 (SIGKILL) at 1:02".into());
    snapshot.errors = vec![(ErrorKind::ConnectRefused, 7_200), (ErrorKind::Reset, 50)];
    snapshot.connection_stats = ConnectionView {
        open: 0,
        connects: 50,
        reconnects: 412,
    };
    if let Some(resources) = snapshot.resources.as_mut() {
        resources.cpu_target = None;
        resources.rss_target = None;
        resources.threads_target = None;
        resources.sockets_target = None;
    }
    snapshot.server = None;
    snapshot.target = "http://127.0.0.1:8080/".into();
    snapshot
}

/// Open model asking more than the target serves with its 16 connections:
/// every connection waits on a full pool while loadtop idles.
pub fn target_saturated() -> Snapshot {
    let mut snapshot = generator_saturated();
    snapshot.connections = 16;
    snapshot.alerts.saturated = Some(SaturationAlert {
        party: SaturatedParty::Target,
        reason: "all 16 connections waiting; open more connections (C) or lower the rate".into(),
    });
    snapshot
}

/// Open model asking far more than one machine can send: loadtop itself is
/// the bottleneck, and a threshold is failing.
pub fn generator_saturated() -> Snapshot {
    let mut timeline = healthy_timeline(100, true);
    for point in timeline.iter_mut().filter(|p| p.stage == 2) {
        point.target_rps = Some(20_000.0);
        point.rps = 14_200.0 + 300.0 * jitter(point.second, 21);
        point.cpu_generator = Some((192.0 + 5.0 * jitter(point.second, 22)) as f32);
        point.cpu_system = Some((199.0 - jitter(point.second, 23).abs()) as f32);
        point.p99_us = (61_000.0 + 9_000.0 * jitter(point.second, 24)) as u64;
        point.p50_us = (9_000.0 + 900.0 * jitter(point.second, 25)) as u64;
    }
    let mut snapshot = base(100, true, timeline);
    snapshot.model = Model::Open { rate: 20_000.0 };
    snapshot.threads = 2;
    snapshot.connections = 200;
    snapshot.alerts.saturated = Some(SaturationAlert {
        party: SaturatedParty::Generator,
        reason: "worker threads at 97% CPU, schedule 1.4 s behind".into(),
    });
    snapshot.alerts.thresholds_failing = vec!["p99 < 50ms".into()];
    snapshot.interval = latency(9_000, 64_000, 14_100);
    snapshot.stage_latency = latency(8_800, 61_000, 284_000);
    snapshot.status_codes = vec![(200, 284_000)];
    snapshot.thresholds = vec![ThresholdView {
        expr: "p99 < 50ms".into(),
        stage: Some("high".into()),
        verdict: Verdict::Fail,
        observed: "61ms".into(),
    }];
    snapshot
}

/// The run ended after its three stages; one threshold failed.
pub fn finished() -> Snapshot {
    let mut snapshot = base(120, true, healthy_timeline(120, true));
    snapshot.finished = true;
    snapshot.stage_rows = stage_rows(2);
    let last = snapshot.stage_rows.last_mut().expect("three stages");
    last.finished = true;
    last.p99_us = 231_000;
    last.p999_us = 402_000;
    last.errors = 310;
    last.error_rate = 310.0 / 79_000.0;
    last.verdict = Verdict::Fail;
    snapshot.thresholds = vec![
        ThresholdView {
            expr: "p99 < 250ms".into(),
            stage: None,
            verdict: Verdict::Pass,
            observed: "231ms".into(),
        },
        ThresholdView {
            expr: "errors < 0.1%".into(),
            stage: Some("high".into()),
            verdict: Verdict::Fail,
            observed: "0.39%".into(),
        },
    ];
    snapshot.report_path = Some(PathBuf::from("reports/loadtop-run.json"));
    snapshot
}
