//! The hold before a verdict shows, and the banner's agreement with it.

use super::*;
use crate::diagnosis::PoolKind;
use crate::snapshot::ServerView;

fn verdict(bottleneck: Bottleneck) -> Diagnosis {
    Diagnosis {
        bottleneck,
        evidence: vec!["16/16 slots busy".into()],
        advice: "raise pool_size (P)".into(),
        runner_up: None,
    }
}

fn banner(party: SaturatedParty) -> SaturationAlert {
    SaturationAlert {
        party,
        reason: String::new(),
    }
}

#[test]
fn a_verdict_shows_only_after_it_held_and_announces_once() {
    let mut diagnoser = Diagnoser::default();
    assert_eq!(diagnoser.settle(verdict(Bottleneck::None)), None);
    assert_eq!(diagnoser.shown(), None, "one second is not enough");
    let event = diagnoser.settle(verdict(Bottleneck::None)).unwrap();
    assert!(event.starts_with("bottleneck: no bottleneck"), "{event}");
    // A one-second flicker to pool does not change what is shown.
    assert_eq!(diagnoser.settle(verdict(Bottleneck::Pool)), None);
    assert_eq!(diagnoser.settle(verdict(Bottleneck::None)), None);
    assert_eq!(diagnoser.shown().unwrap().bottleneck, Bottleneck::None);
    // Two seconds in a row do.
    assert_eq!(diagnoser.settle(verdict(Bottleneck::Pool)), None);
    let event = diagnoser.settle(verdict(Bottleneck::Pool)).unwrap();
    assert_eq!(
        event,
        "bottleneck: pool-bound: 16/16 slots busy → raise pool_size (P)"
    );
    assert_eq!(diagnoser.settle(verdict(Bottleneck::Pool)), None);
    assert_eq!(diagnoser.shown().unwrap().bottleneck, Bottleneck::Pool);
}

#[test]
fn the_banner_never_blames_the_other_party_than_the_verdict() {
    let generator = banner(SaturatedParty::Generator);
    let target = banner(SaturatedParty::Target);
    assert!(banner_agrees(&generator, None, true));
    assert!(banner_agrees(&generator, Some(Bottleneck::Generator), true));
    assert!(banner_agrees(&generator, Some(Bottleneck::None), true));
    assert!(!banner_agrees(&generator, Some(Bottleneck::Pool), true));
    assert!(!banner_agrees(
        &generator,
        Some(Bottleneck::TargetCpu),
        true
    ));
    assert!(banner_agrees(&target, Some(Bottleneck::Pool), true));
    assert!(banner_agrees(&target, Some(Bottleneck::Stall), true));
    assert!(!banner_agrees(&target, Some(Bottleneck::Generator), true));
    assert!(!banner_agrees(&target, Some(Bottleneck::Generator), false));
    assert!(!banner_agrees(&target, Some(Bottleneck::None), true));
    // A `none` that saw nothing of the target cleared nothing.
    assert!(banner_agrees(&target, Some(Bottleneck::None), false));
}

#[test]
fn the_window_restarts_with_each_stage() {
    let mut diagnoser = Diagnoser::default();
    let tick = TickCounts {
        attempts: 10,
        failed: 0,
        expecting: true,
    };
    for _ in 0..WINDOW_TICKS + 3 {
        diagnoser.observe_tick(0, tick);
    }
    assert_eq!(diagnoser.ticks.len(), WINDOW_TICKS);
    diagnoser.observe_tick(1, tick);
    assert_eq!(diagnoser.ticks.len(), 1);
}

#[test]
fn the_real_database_pool_is_judged_when_it_is_the_one_exhausted() {
    let mut view = ServerView {
        pool_size: 16,
        pool_in_use: 2,
        hold_ms: 5,
        ..ServerView::default()
    };
    let simulated = server_pool(&view, 80.0).unwrap();
    assert_eq!((simulated.size, simulated.in_use), (16, 2));

    view.db = Some(crate::snapshot::DbView {
        up: true,
        pool_size: 4,
        in_use: 4,
        waiting: 37,
        acquire_wait_p99_us: 480_000,
        ..crate::snapshot::DbView::default()
    });
    let pool = server_pool(&view, 80.0).unwrap();
    assert_eq!((pool.size, pool.in_use, pool.waiting), (4, 4, 37));
    assert_eq!(pool.wait_p99_ms, Some(480.0));
    // Little's law: 4 connections held at 80 served per second is 50 ms each.
    assert!((pool.hold_ms.unwrap() - 50.0).abs() < 1e-9);
    let mut inputs = Inputs {
        window_secs: 2.0,
        offered_rate: Some(160.0),
        achieved_rate: 80.0,
        failed_rate: 40.0,
        pool: Some(pool),
        ..Inputs::default()
    };
    let diagnosis = diagnosis::diagnose(&inputs);
    assert_eq!(diagnosis.bottleneck, Bottleneck::Pool);
    assert!(
        diagnosis
            .evidence
            .contains(&"capacity ≈ 4 / 50 ms = 80 req/s < 160 offered".to_string()),
        "{:?}",
        diagnosis.evidence
    );
    assert_eq!(diagnosis.runner_up, Some(Bottleneck::Errors));

    // A database that is down has no pool to judge.
    view.db.as_mut().unwrap().up = false;
    inputs.pool = server_pool(&view, 80.0);
    assert_eq!(inputs.pool.map(|p| p.size), Some(16));
}

#[test]
fn a_cpu_worker_gate_with_a_queue_is_a_pool_of_workers() {
    // One /cpu worker asked for 600 req/s, serving 456: the work moves
    // between runtime threads, so only the gate's queue shows the limit.
    let view = ServerView {
        pool_size: 16,
        hold_ms: 5,
        cpu_workers: 1,
        cpu_in_use: 1,
        cpu_waiting: 30,
        ..ServerView::default()
    };
    let pool = server_pool(&view, 456.0).unwrap();
    assert_eq!(pool.kind, PoolKind::Workers);
    let inputs = Inputs {
        window_secs: 2.0,
        offered_rate: Some(600.0),
        achieved_rate: 456.0,
        pool: Some(pool),
        ..Inputs::default()
    };
    let diagnosis = diagnosis::diagnose(&inputs);
    assert_eq!(diagnosis.bottleneck, Bottleneck::Pool);
    assert_eq!(diagnosis.evidence[0], "1/1 CPU workers busy");
    assert!(
        diagnosis
            .evidence
            .contains(&"capacity ≈ 1 / 2.2 ms = 456 req/s < 600 offered".to_string()),
        "{:?}",
        diagnosis.evidence
    );
    assert!(
        diagnosis.advice.contains("cpu_workers"),
        "{}",
        diagnosis.advice
    );

    // Without a queue the gate is not the limit.
    let calm = ServerView {
        cpu_waiting: 0,
        ..view
    };
    assert_eq!(
        diagnosis::diagnose(&Inputs {
            pool: server_pool(&calm, 456.0),
            ..inputs
        })
        .bottleneck,
        Bottleneck::None
    );
}

#[test]
fn the_shed_rate_is_the_servers_count_over_the_window_and_restarts_with_a_stage() {
    let mut diagnoser = Diagnoser::default();
    assert_eq!(diagnoser.shed_rate(), 0.0);
    diagnoser.observe_shed(4, 100);
    // One read says nothing of a rate.
    assert_eq!(diagnoser.shed_rate(), 0.0);
    diagnoser.observe_shed(5, 100);
    diagnoser.observe_shed(6, 2_600);
    assert_eq!(diagnoser.shed_rate(), 1_250.0);
    // The window keeps two seconds: the read of second 4 falls out.
    diagnoser.observe_shed(7, 3_600);
    assert_eq!(diagnoser.shed_rate(), 1_750.0);
    let tick = TickCounts::default();
    diagnoser.observe_tick(1, tick);
    assert_eq!(diagnoser.shed_rate(), 0.0);
}

#[test]
fn a_database_pool_shedding_at_its_in_flight_limit_is_the_pool() {
    // db-pool-exhaustion's shedding stage: 4 connections of 50 ms, at most 4
    // in flight, 160 asked: 80 served, 80 refused at once, nobody waiting.
    let view = ServerView {
        pool_size: 16,
        hold_ms: 5,
        load_shedding: true,
        max_inflight: 4,
        db: Some(crate::snapshot::DbView {
            up: true,
            pool_size: 4,
            in_use: 3,
            acquire_wait_p99_us: 2_000,
            ..crate::snapshot::DbView::default()
        }),
        ..ServerView::default()
    };
    let inputs = Inputs {
        window_secs: 2.0,
        offered_rate: Some(160.0),
        achieved_rate: 80.0,
        failed_rate: 80.0,
        shed_rate: 80.0,
        pool: server_pool(&view, 80.0),
        ..Inputs::default()
    };
    let diagnosis = diagnosis::diagnose(&inputs);
    assert_eq!(diagnosis.bottleneck, Bottleneck::Pool);
    // Nobody waits, so the pool's (whole-history) wait p99 is left out.
    assert_eq!(&diagnosis.evidence[..2], ["3/4 slots busy", "0 waiting"]);
    // The slot idle at the read does not shorten the hold: 4 held over 80
    // served a second is 50 ms each.
    assert_eq!(
        &diagnosis.evidence[2..],
        [
            "80 shed/s (503)",
            "capacity ≈ 4 / 50 ms = 80 req/s < 160 offered"
        ]
    );
    assert!(
        diagnosis.advice.contains("accept the shed"),
        "{}",
        diagnosis.advice
    );
}
