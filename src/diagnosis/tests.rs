//! Verdicts from hand-built windows, one per rule, and the ranking.

use super::*;

pub(super) fn calm() -> Inputs {
    Inputs {
        window_secs: 3.0,
        offered_rate: Some(1_000.0),
        achieved_rate: 1_000.0,
        generator: GeneratorLoad {
            busiest_worker_cpu: 9.0,
            busiest_worker_busy: 10.0,
            send_lag_p50_us: Some(8),
            send_lag_p50_us_before: Some(8),
        },
        target: Some(ProcessLoad {
            cpu_percent: 30.0,
            allowed_cores: 2,
            busiest_thread_cpu: 20.0,
            busiest_thread_busy: 20.0,
            threads_near_full_core: 0,
            io_wait_percent: Some(0.0),
        }),
        pool: Some(PoolGauges {
            kind: PoolKind::Connections,
            origin: PoolOrigin::Embedded,
            size: 16,
            in_use: 6,
            waiting: 0,
            wait_p99_ms: Some(0.0),
            hold_ms: Some(5.0),
        }),
        ..Inputs::default()
    }
}

#[test]
fn a_calm_window_has_no_bottleneck_and_says_how_much_room_is_left() {
    let diagnosis = diagnose(&calm());
    assert_eq!(diagnosis.bottleneck, Bottleneck::None);
    assert_eq!(
        diagnosis.evidence,
        [
            "pool 38% busy",
            "target CPU 30% of 200%",
            "generator's busiest worker 9%"
        ]
    );
    assert!(
        diagnosis
            .sentence()
            .starts_with("no bottleneck: pool 38% busy")
    );
    assert_eq!(
        diagnosis.advice,
        "room to spare: raise the rate (R) to find the limit"
    );
    // A closed model's load is its connections, not a rate.
    let closed = Inputs {
        offered_rate: None,
        ..calm()
    };
    assert_eq!(
        diagnose(&closed).advice,
        "room to spare: open more connections (C) to find the limit"
    );
}

#[test]
fn a_process_busy_on_all_its_cores_is_not_one_thread_serializing_and_is_near_its_limit() {
    // Two CPU workers on two cores (measured on cpu-saturation's 2w-900):
    // the busiest thread is near a full core only because every thread is.
    let mut inputs = calm();
    inputs.target = Some(ProcessLoad {
        cpu_percent: 178.0,
        allowed_cores: 2,
        busiest_thread_cpu: 89.0,
        busiest_thread_busy: 93.0,
        threads_near_full_core: 2,
        io_wait_percent: None,
    });
    let diagnosis = diagnose(&inputs);
    assert_eq!(diagnosis.bottleneck, Bottleneck::None);
    assert_eq!(
        diagnosis.advice,
        "keeping up, but the target's CPU is 89% busy: a little more load saturates it"
    );
    // The same thread with half a core of the process to spare serializes.
    inputs.target = Some(ProcessLoad {
        cpu_percent: 150.0,
        ..inputs.target.unwrap()
    });
    assert_eq!(diagnose(&inputs).bottleneck, Bottleneck::TargetThread);
}

#[test]
fn a_full_pool_nobody_waits_for_is_close_to_its_limit_not_room_to_spare() {
    let mut inputs = calm();
    inputs.pool = Some(PoolGauges {
        kind: PoolKind::Workers,
        size: 1,
        in_use: 1,
        waiting: 0,
        ..inputs.pool.unwrap()
    });
    let diagnosis = diagnose(&inputs);
    assert_eq!(diagnosis.bottleneck, Bottleneck::None);
    assert_eq!(
        diagnosis.advice,
        "keeping up, but the pool is 100% busy: a little more load saturates it"
    );
}

#[test]
fn a_saturated_target_cpu_is_told_from_one_saturated_thread() {
    let mut inputs = calm();
    inputs.target = Some(ProcessLoad {
        cpu_percent: 99.0,
        allowed_cores: 1,
        busiest_thread_cpu: 99.0,
        busiest_thread_busy: 99.0,
        threads_near_full_core: 1,
        io_wait_percent: None,
    });
    let diagnosis = diagnose(&inputs);
    assert_eq!(diagnosis.bottleneck, Bottleneck::TargetCpu);
    assert_eq!(diagnosis.evidence, ["target CPU 99% of 1 core"]);
    // Two cores, one thread pegged, the process at half: an event loop.
    inputs.target = Some(ProcessLoad {
        cpu_percent: 104.0,
        allowed_cores: 2,
        busiest_thread_cpu: 97.0,
        busiest_thread_busy: 97.0,
        threads_near_full_core: 1,
        io_wait_percent: None,
    });
    let diagnosis = diagnose(&inputs);
    assert_eq!(diagnosis.bottleneck, Bottleneck::TargetThread);
    assert_eq!(
        diagnosis.evidence[0],
        "busiest target thread 97% of a core (97% with run-queue wait)"
    );
}

#[test]
fn the_generator_is_never_blamed_below_half_a_core() {
    let mut inputs = calm();
    inputs.achieved_rate = 600.0;
    inputs.generator = GeneratorLoad {
        busiest_worker_cpu: 45.0,
        // Starved by other processes: it waits for a CPU, it does not use one.
        busiest_worker_busy: 100.0,
        send_lag_p50_us: Some(40_000),
        send_lag_p50_us_before: Some(20_000),
    };
    assert_ne!(diagnose(&inputs).bottleneck, Bottleneck::Generator);
    inputs.generator.busiest_worker_cpu = 97.0;
    let diagnosis = diagnose(&inputs);
    assert_eq!(diagnosis.bottleneck, Bottleneck::Generator);
    assert!(
        diagnosis
            .evidence
            .contains(&"600 of 1000 req/s sent".to_string()),
        "{diagnosis:?}"
    );
    assert_eq!(diagnosis.advice, "add generator threads (T)");
}

#[test]
fn errors_rank_after_the_resource_that_causes_them() {
    let mut inputs = calm();
    inputs.failed_rate = 500.0;
    let diagnosis = diagnose(&inputs);
    assert_eq!(diagnosis.bottleneck, Bottleneck::Errors);
    assert_eq!(diagnosis.evidence, ["33% of requests failed (500/s)"]);
    // Shedding under an exhausted pool: the pool is the cause.
    inputs.pool = Some(PoolGauges {
        kind: PoolKind::Connections,
        origin: PoolOrigin::Embedded,
        size: 16,
        in_use: 16,
        waiting: 12,
        wait_p99_ms: None,
        hold_ms: Some(5.0),
    });
    let diagnosis = diagnose(&inputs);
    assert_eq!(diagnosis.bottleneck, Bottleneck::Pool);
    assert_eq!(diagnosis.runner_up, Some(Bottleneck::Errors));
}

#[test]
fn silence_with_an_idle_target_is_a_stall_and_outranks_everything() {
    let mut inputs = calm();
    inputs.longest_silence_secs = 2.5;
    inputs.failed_rate = 500.0;
    let diagnosis = diagnose(&inputs);
    assert_eq!(diagnosis.bottleneck, Bottleneck::Stall);
    assert_eq!(diagnosis.runner_up, Some(Bottleneck::Errors));
    // Silence while the target burns its cores is saturation, not a pause.
    inputs.target = Some(ProcessLoad {
        cpu_percent: 198.0,
        allowed_cores: 2,
        ..inputs.target.unwrap()
    });
    assert_eq!(diagnose(&inputs).bottleneck, Bottleneck::TargetCpu);
}

#[test]
fn the_lowest_capacity_wins_when_several_resources_saturate() {
    let mut inputs = calm();
    inputs.achieved_rate = 1_000.0;
    // The pool allows 16 / 5 ms = 3,200 req/s; the CPU, at 95 %, ~1,050.
    inputs.pool = Some(PoolGauges {
        kind: PoolKind::Connections,
        origin: PoolOrigin::Embedded,
        size: 16,
        in_use: 16,
        waiting: 30,
        wait_p99_ms: None,
        hold_ms: Some(5.0),
    });
    inputs.target = Some(ProcessLoad {
        cpu_percent: 190.0,
        allowed_cores: 2,
        busiest_thread_cpu: 95.0,
        busiest_thread_busy: 95.0,
        threads_near_full_core: 2,
        io_wait_percent: None,
    });
    let diagnosis = diagnose(&inputs);
    assert_eq!(diagnosis.bottleneck, Bottleneck::TargetCpu);
    assert_eq!(diagnosis.runner_up, Some(Bottleneck::Pool));
}

#[test]
fn disk_database_and_accept_queue_each_have_a_verdict() {
    let mut inputs = calm();
    inputs.target = Some(ProcessLoad {
        io_wait_percent: Some(45.0),
        ..inputs.target.unwrap()
    });
    assert_eq!(diagnose(&inputs).bottleneck, Bottleneck::IoWait);

    let mut inputs = calm();
    inputs.database = Some(ProcessLoad {
        cpu_percent: 195.0,
        allowed_cores: 2,
        ..ProcessLoad::default()
    });
    let diagnosis = diagnose(&inputs);
    assert_eq!(diagnosis.bottleneck, Bottleneck::Database);
    assert_eq!(diagnosis.evidence, ["database CPU 195% of 2 cores"]);

    let mut inputs = calm();
    inputs.listen_overflows = 37;
    let diagnosis = diagnose(&inputs);
    assert_eq!(diagnosis.bottleneck, Bottleneck::ListenQueue);
    assert_eq!(
        diagnosis.evidence,
        ["37 connections dropped at a full accept queue in 3 s"]
    );
}

#[test]
fn a_database_spending_tens_of_ms_per_request_is_slow_queries_before_its_cores_fill() {
    // The missing-index orders query: 10 req/s, each a sequential scan of
    // ~110 ms of database CPU, on 2 cores: 55 % busy, not saturated.
    let mut inputs = calm();
    inputs.offered_rate = Some(10.0);
    inputs.achieved_rate = 10.0;
    inputs.database = Some(ProcessLoad {
        cpu_percent: 111.0,
        allowed_cores: 2,
        ..ProcessLoad::default()
    });
    let diagnosis = diagnose(&inputs);
    assert_eq!(diagnosis.bottleneck, Bottleneck::Database);
    assert_eq!(
        diagnosis.evidence,
        [
            "database CPU 111% of 2 cores",
            "111 ms of database CPU per request"
        ]
    );

    // The same rate with the index: ~1 ms of CPU per request.
    inputs.database = Some(ProcessLoad {
        cpu_percent: 1.1,
        allowed_cores: 2,
        ..ProcessLoad::default()
    });
    assert_eq!(diagnose(&inputs).bottleneck, Bottleneck::None);

    // A busy database serving many cheap queries is not slow queries.
    inputs.achieved_rate = 5_000.0;
    inputs.database = Some(ProcessLoad {
        cpu_percent: 120.0,
        allowed_cores: 2,
        ..ProcessLoad::default()
    });
    assert_eq!(diagnose(&inputs).bottleneck, Bottleneck::None);
}

#[test]
fn verdicts_serialize_as_snake_case_labels() {
    let json = serde_json::to_value(diagnose(&calm())).unwrap();
    assert_eq!(json["bottleneck"], "none");
    assert!(json.get("runner_up").is_none());
    for bottleneck in [Bottleneck::TargetCpu, Bottleneck::ListenQueue] {
        let label = serde_json::to_value(bottleneck).unwrap();
        assert_eq!(label, bottleneck.label());
    }
}

#[test]
fn a_thread_that_never_idles_on_a_busy_machine_is_saturated_from_half_a_core() {
    let mut inputs = calm();
    let starved = |cpu: f32| ProcessLoad {
        cpu_percent: cpu + 2.0,
        allowed_cores: 2,
        busiest_thread_cpu: cpu,
        busiest_thread_busy: 98.0,
        threads_near_full_core: 0,
        io_wait_percent: None,
    };
    inputs.target = Some(starved(69.0));
    let diagnosis = diagnose(&inputs);
    assert_eq!(diagnosis.bottleneck, Bottleneck::TargetThread);
    assert_eq!(
        diagnosis.evidence[0],
        "busiest target thread 69% of a core (98% with run-queue wait)"
    );
    // Below half a core the thread waits on something else.
    inputs.target = Some(starved(40.0));
    assert_eq!(diagnose(&inputs).bottleneck, Bottleneck::None);
}

#[test]
fn no_bottleneck_without_the_target_in_view_claims_no_room() {
    let mut inputs = calm();
    inputs.target = None;
    inputs.pool = None;
    let diagnosis = diagnose(&inputs);
    assert_eq!(diagnosis.bottleneck, Bottleneck::None);
    assert!(
        diagnosis
            .advice
            .starts_with("nothing of the target is in view"),
        "{}",
        diagnosis.advice
    );
}
