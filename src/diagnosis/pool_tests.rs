//! The pool rule from hand-built windows: an exhausted pool, an external
//! pool read from its page, and a pool that sheds its excess.

use super::tests::calm;
use super::*;

#[test]
fn an_exhausted_pool_names_its_capacity_by_littles_law() {
    let mut inputs = calm();
    inputs.offered_rate = Some(5_000.0);
    inputs.achieved_rate = 3_150.0;
    inputs.pool = Some(PoolGauges {
        kind: PoolKind::Connections,
        origin: PoolOrigin::Embedded,
        size: 16,
        in_use: 16,
        waiting: 240,
        wait_p99_ms: Some(3_100.0),
        hold_ms: Some(5.0),
    });
    let diagnosis = diagnose(&inputs);
    assert_eq!(diagnosis.bottleneck, Bottleneck::Pool);
    assert_eq!(
        diagnosis.sentence(),
        "pool-bound: 16/16 slots busy, 240 waiting, wait p99 3.1 s, \
         capacity ≈ 16 / 5 ms = 3200 req/s < 5000 offered → raise pool_size (P) or shed load (s)"
    );
    // A full pool with nobody waiting is busy, not exhausted.
    inputs.pool = Some(PoolGauges {
        kind: PoolKind::Connections,
        waiting: 0,
        ..inputs.pool.clone().unwrap()
    });
    assert_eq!(diagnose(&inputs).bottleneck, Bottleneck::None);
}

#[test]
fn an_external_pool_is_named_by_its_page_and_its_advice_is_its_max_setting() {
    let mut inputs = calm();
    inputs.offered_rate = Some(400.0);
    inputs.achieved_rate = 200.0;
    inputs.pool = Some(PoolGauges {
        origin: PoolOrigin::MetricsUrl {
            name: Some("orders".into()),
        },
        size: 10,
        in_use: 10,
        waiting: 37,
        wait_p99_ms: None,
        hold_ms: Some(50.0),
        ..PoolGauges::default()
    });
    let diagnosis = diagnose(&inputs);
    assert_eq!(diagnosis.bottleneck, Bottleneck::Pool);
    assert_eq!(
        diagnosis.evidence,
        [
            "pool \"orders\" (metrics_url): 10/10 used",
            "37 waiting",
            "capacity ≈ 10 / 50 ms = 200 req/s < 400 offered",
        ]
    );
    assert!(
        diagnosis.advice.contains("maximumPoolSize") && !diagnosis.advice.contains("(P)"),
        "{}",
        diagnosis.advice
    );
}

#[test]
fn a_full_pool_shedding_its_excess_is_the_pool_not_errors() {
    // 16 slots held ~13 ms serve 1,250 req/s of 2,480 asked; shedding refuses
    // the rest at once, so nobody waits.
    let mut inputs = calm();
    inputs.offered_rate = Some(2_480.0);
    inputs.achieved_rate = 1_250.0;
    inputs.failed_rate = 1_230.0;
    inputs.shed_rate = 1_230.0;
    inputs.pool = Some(PoolGauges {
        kind: PoolKind::Connections,
        origin: PoolOrigin::Embedded,
        size: 16,
        in_use: 16,
        waiting: 0,
        wait_p99_ms: None,
        hold_ms: Some(12.8),
    });
    let diagnosis = diagnose(&inputs);
    assert_eq!(diagnosis.bottleneck, Bottleneck::Pool);
    assert_eq!(
        diagnosis.sentence(),
        "pool-bound: 16/16 slots busy, 0 waiting, 1230 shed/s (503), \
         capacity ≈ 16 / 13 ms = 1250 req/s < 2480 offered \
         → raise pool_size (P), or accept the shed: the excess is refused at once"
    );
    assert_eq!(diagnosis.runner_up, Some(Bottleneck::Errors));

    // A slot freed a moment before the read still counts while it sheds;
    // two do not: the pool is not what refuses.
    let full = inputs.pool.unwrap();
    let with_in_use = |in_use| PoolGauges {
        in_use,
        ..full.clone()
    };
    inputs.pool = Some(with_in_use(15));
    assert_eq!(diagnose(&inputs).bottleneck, Bottleneck::Pool);
    inputs.pool = Some(with_in_use(14));
    assert_eq!(diagnose(&inputs).bottleneck, Bottleneck::Errors);

    // Injected faults on a full pool, with nothing shed: still errors.
    inputs.pool = Some(with_in_use(16));
    inputs.shed_rate = 0.0;
    assert_eq!(diagnose(&inputs).bottleneck, Bottleneck::Errors);

    // A trickle of shedding (under 5 % of the requests) is not the verdict.
    inputs.failed_rate = 40.0;
    inputs.shed_rate = 40.0;
    assert_eq!(diagnose(&inputs).bottleneck, Bottleneck::None);
}

#[test]
fn an_exhausted_pool_that_also_sheds_says_so_and_does_not_advise_shedding() {
    let mut inputs = calm();
    inputs.offered_rate = Some(2_000.0);
    inputs.achieved_rate = 1_250.0;
    inputs.failed_rate = 750.0;
    inputs.shed_rate = 750.0;
    inputs.pool = Some(PoolGauges {
        kind: PoolKind::Connections,
        origin: PoolOrigin::Embedded,
        size: 8,
        in_use: 8,
        waiting: 4,
        wait_p99_ms: None,
        hold_ms: Some(6.4),
    });
    let diagnosis = diagnose(&inputs);
    assert_eq!(diagnosis.bottleneck, Bottleneck::Pool);
    assert!(
        diagnosis.evidence.contains(&"750 shed/s (503)".to_string()),
        "{:?}",
        diagnosis.evidence
    );
    assert_eq!(
        diagnosis.advice,
        "raise pool_size (P), or accept the shed: the excess is refused at once"
    );
}
