//! One rule per verdict, and the thresholds they share. Every threshold
//! says why it sits where it does.

use super::{Bottleneck, Diagnosis, Finding, Inputs, ProcessLoad};

/// A CPU at or above this share of what it may use is saturated: queues
/// grow without bound as utilisation nears 1 (an M/D/1 queue waits 4.5
/// service times on average at 90 %), and one-second tick counts rarely
/// read a busy CPU above 95–98 %.
pub const SATURATED_SHARE: f32 = 0.9;
/// One thread at or above this share of a core is saturated (same reason).
pub const SATURATED_THREAD_PERCENT: f32 = 90.0;
/// The generator is only ever blamed when its busiest worker uses at least
/// half a core: below that it is waiting on the network, not working. The
/// same floor applies to a target thread judged by its run-queue wait.
pub const GENERATOR_MIN_WORKER_CPU: f32 = 50.0;
/// Send lag at which the pacer is visibly late: above the microsecond
/// pacer's worst tail on a quiet machine (~1 ms).
pub const GENERATOR_LAG_US: u64 = 1_000;
/// Achieved below this share of the offered rate means the generator is
/// not delivering the schedule.
pub const DELIVERED_SHARE: f64 = 0.95;
/// A process waiting on block I/O this much of the time is disk-bound:
/// interactive services rarely wait on disk more than a few percent.
pub const IO_WAIT_PERCENT: f32 = 30.0;
/// Database CPU spent per answered request at or above which the queries
/// are slow in themselves, whether or not the database's cores are full: a
/// primary-key lookup costs a backend well under a millisecond, and 20 ms of
/// CPU per request bounds a core at 50 req/s, so the database is where the
/// time goes (a sequential scan of a large table, a missing index).
pub const SLOW_QUERY_CPU_MS: f64 = 20.0;
/// ... but only when the database is visibly busy, so an idle database's
/// tick noise at a very low rate cannot read as a slow query.
pub const SLOW_QUERY_MIN_CPU_SHARE: f32 = 0.1;
/// One thread serializes the work only while the rest of the process
/// leaves at least this much of a core unused: a process that fills all
/// its cores but half a core is CPU-bound as a whole, whichever of its
/// threads happens to be the busiest.
pub const THREAD_SPARE_CORE_PERCENT: f32 = 50.0;
/// A resource at or above this share of its limit (a pool's slots, the
/// target's cores) is close to it even while nothing waits: at 80 % an
/// M/M/1 queue already waits four service times, and a little more load
/// saturates it. The `none` verdict then says which, instead of claiming
/// room to spare.
pub const NEAR_LIMIT_SHARE: f32 = 0.8;
/// Failed requests above this share of all are a verdict of their own.
pub const ERROR_SHARE: f64 = 0.05;
/// A shedding server keeps its pool full with nobody waiting: requests
/// beyond `max_inflight` are refused at once (503) instead of queueing. A
/// one-instant read of the gauges often catches a slot freed a moment
/// before the next request takes it, so while the server sheds (at least
/// [`ERROR_SHARE`] of the requests) this many idle slots still count as a
/// full pool.
pub const SHEDDING_IDLE_SLOTS: u32 = 1;
/// No response for this long while requests are outstanding is a stall:
/// several times any healthy service time on loopback, and longer than the
/// ticks (250 ms) that measure it.
pub const STALL_SECS: f64 = 1.0;
/// A stall is only a pause when the target is not busy: below this share
/// of its cores.
pub const STALL_MAX_CPU_SHARE: f32 = 0.5;

fn cores_percent(process: &ProcessLoad) -> f32 {
    process.allowed_cores.max(1) as f32 * 100.0
}

/// Rate the resource allows: achieved rate scaled to full utilisation.
fn scaled_capacity(achieved: f64, utilisation: f32) -> Option<f64> {
    (utilisation > 0.0 && achieved > 0.0).then(|| achieved / f64::from(utilisation))
}

pub(super) fn stall(inputs: &Inputs) -> Option<Finding> {
    if inputs.longest_silence_secs < STALL_SECS {
        return None;
    }
    let target_busy = inputs
        .target
        .is_some_and(|t| t.cpu_percent >= STALL_MAX_CPU_SHARE * cores_percent(&t));
    if target_busy {
        return None;
    }
    let mut evidence = vec![format!(
        "no response for {:.1} s with requests outstanding",
        inputs.longest_silence_secs
    )];
    if let Some(target) = inputs.target {
        evidence.push(format!("target CPU {:.0}%", target.cpu_percent));
    }
    Some(Finding {
        bottleneck: Bottleneck::Stall,
        capacity: None,
        evidence,
        advice:
            "a pause in the target (GC, a lock, a stop-the-world): check its logs for that moment"
                .into(),
    })
}

pub(super) fn generator(inputs: &Inputs) -> Option<Finding> {
    let load = inputs.generator;
    if load.busiest_worker_cpu < GENERATOR_MIN_WORKER_CPU
        || load.busiest_worker_busy < SATURATED_THREAD_PERCENT
    {
        return None;
    }
    let lag_growing = match (load.send_lag_p50_us, load.send_lag_p50_us_before) {
        (Some(now), Some(before)) => now >= GENERATOR_LAG_US && now > before,
        (Some(now), None) => now >= GENERATOR_LAG_US,
        _ => false,
    };
    let short = inputs
        .offered_rate
        .is_some_and(|offered| inputs.achieved_rate < offered * DELIVERED_SHARE);
    // Closed model: a worker that never idles is the limit by itself.
    if inputs.offered_rate.is_some() && !lag_growing && !short {
        return None;
    }
    let mut evidence = vec![format!(
        "busiest worker {:.0}% of a core ({:.0}% with run-queue wait)",
        load.busiest_worker_cpu, load.busiest_worker_busy
    )];
    if let Some(lag) = load.send_lag_p50_us {
        evidence.push(format!("send lag p50 {lag} µs"));
    }
    if let Some(offered) = inputs.offered_rate {
        evidence.push(format!(
            "{:.0} of {offered:.0} req/s sent",
            inputs.achieved_rate
        ));
    }
    Some(Finding {
        bottleneck: Bottleneck::Generator,
        capacity: scaled_capacity(inputs.achieved_rate, load.busiest_worker_busy / 100.0),
        evidence,
        advice: "add generator threads (T)".into(),
    })
}

pub(super) fn target_cpu(inputs: &Inputs) -> Option<Finding> {
    let target = inputs.target?;
    let share = target.cpu_percent / cores_percent(&target);
    if share < SATURATED_SHARE {
        return None;
    }
    Some(Finding {
        bottleneck: Bottleneck::TargetCpu,
        capacity: scaled_capacity(inputs.achieved_rate, share),
        evidence: vec![format!(
            "target CPU {:.0}% of {} core{}",
            target.cpu_percent,
            target.allowed_cores,
            if target.allowed_cores == 1 { "" } else { "s" }
        )],
        advice: "the target needs more CPU or less work per request: lower the rate (r) or give it cores"
            .into(),
    })
}

pub(super) fn target_thread(inputs: &Inputs) -> Option<Finding> {
    let target = inputs.target?;
    let share = target.cpu_percent / cores_percent(&target);
    // With one core, a saturated thread is a saturated process (target_cpu).
    let thread_saturated = thread_saturated(target.busiest_thread_cpu, target.busiest_thread_busy);
    let spare = cores_percent(&target) - target.cpu_percent;
    if target.allowed_cores < 2
        || share >= SATURATED_SHARE
        || spare < THREAD_SPARE_CORE_PERCENT
        || !thread_saturated
    {
        return None;
    }
    Some(Finding {
        bottleneck: Bottleneck::TargetThread,
        capacity: scaled_capacity(
            inputs.achieved_rate,
            target.busiest_thread_busy.max(target.busiest_thread_cpu) / 100.0,
        ),
        evidence: vec![
            format!(
                "busiest target thread {:.0}% of a core ({:.0}% with run-queue wait)",
                target.busiest_thread_cpu,
                target.busiest_thread_busy.max(target.busiest_thread_cpu)
            ),
            format!(
                "process {:.0}% of {} cores",
                target.cpu_percent, target.allowed_cores
            ),
        ],
        advice: "one thread serializes the work: more server threads or workers, or move the work off the event loop"
            .into(),
    })
}

/// Whether one thread is saturated, from its CPU and its CPU plus run-queue
/// wait (both in percent of a core). A thread that never idles is
/// saturated even when the machine gives it less than a core (its run-queue
/// wait fills the rest), as long as it runs half a core: below that it
/// waits on something else.
pub fn thread_saturated(cpu: f32, busy: f32) -> bool {
    cpu >= SATURATED_THREAD_PERCENT
        || (busy >= SATURATED_THREAD_PERCENT && cpu >= GENERATOR_MIN_WORKER_CPU)
}

pub(super) fn database(inputs: &Inputs) -> Option<Finding> {
    let db = inputs.database?;
    let share = db.cpu_percent / cores_percent(&db);
    let io = db.io_wait_percent.unwrap_or(0.0);
    // Milliseconds of database CPU per answered request (percent of a core
    // is 10 ms of CPU per second).
    let cpu_ms_per_request = (inputs.achieved_rate > 0.0)
        .then(|| f64::from(db.cpu_percent) * 10.0 / inputs.achieved_rate);
    let slow_queries = share >= SLOW_QUERY_MIN_CPU_SHARE
        && cpu_ms_per_request.is_some_and(|ms| ms >= SLOW_QUERY_CPU_MS);
    if share < SATURATED_SHARE && io < IO_WAIT_PERCENT && !slow_queries {
        return None;
    }
    let mut evidence = vec![format!(
        "database CPU {:.0}% of {} cores",
        db.cpu_percent, db.allowed_cores
    )];
    if let Some(ms) = cpu_ms_per_request.filter(|_| slow_queries) {
        evidence.push(format!("{} of database CPU per request", millis(ms)));
    }
    if let Some(io) = db.io_wait_percent {
        evidence.push(format!("database I/O wait {io:.0}%"));
    }
    Some(Finding {
        bottleneck: Bottleneck::Database,
        capacity: scaled_capacity(inputs.achieved_rate, share.max(io / 100.0)),
        evidence,
        advice: "slow queries: check the plan (an index, i) or lower the rate (r)".into(),
    })
}

pub(super) fn io_wait(inputs: &Inputs) -> Option<Finding> {
    let io = inputs.target?.io_wait_percent?;
    (io >= IO_WAIT_PERCENT).then(|| Finding {
        bottleneck: Bottleneck::IoWait,
        capacity: scaled_capacity(inputs.achieved_rate, io / 100.0),
        evidence: vec![format!("target waiting on disk {io:.0}% of the time")],
        advice: "the target blocks on disk: cache, batch or move the I/O off the request path"
            .into(),
    })
}

pub(super) fn listen_queue(inputs: &Inputs) -> Option<Finding> {
    let overflows = inputs.listen_overflows;
    (overflows > 0).then(|| Finding {
        bottleneck: Bottleneck::ListenQueue,
        capacity: None,
        evidence: vec![format!(
            "{overflows} connections dropped at a full accept queue in {:.0} s",
            inputs.window_secs
        )],
        advice: "the target accepts too slowly: a larger backlog (somaxconn) or fewer new connections (c)"
            .into(),
    })
}

pub(super) fn errors(inputs: &Inputs) -> Option<Finding> {
    let total = inputs.achieved_rate + inputs.failed_rate;
    let share = if total > 0.0 {
        inputs.failed_rate / total
    } else {
        0.0
    };
    (share >= ERROR_SHARE).then(|| Finding {
        bottleneck: Bottleneck::Errors,
        capacity: None,
        evidence: vec![format!(
            "{:.0}% of requests failed ({:.0}/s)",
            share * 100.0,
            inputs.failed_rate
        )],
        advice: "the target fails before it saturates: see the Responses panel for which errors"
            .into(),
    })
}

/// No rule holds: say how much room is left.
pub(super) fn headroom(inputs: &Inputs) -> Diagnosis {
    let mut evidence = Vec::new();
    // The resource nearest its limit, as (share, what it is).
    let mut nearest: Option<(f32, &str)> = None;
    let mut near = |share: f32, what: &'static str| {
        if share >= NEAR_LIMIT_SHARE && nearest.is_none_or(|(top, _)| share > top) {
            nearest = Some((share, what));
        }
    };
    if let Some(pool) = inputs.pool.as_ref().filter(|p| p.size > 0) {
        let share = f64::from(pool.in_use) / f64::from(pool.size);
        evidence.push(format!("pool {:.0}% busy", share * 100.0));
        near(share as f32, "the pool");
    }
    if let Some(target) = inputs.target {
        evidence.push(format!(
            "target CPU {:.0}% of {:.0}%",
            target.cpu_percent,
            cores_percent(&target)
        ));
        near(
            target.cpu_percent / cores_percent(&target),
            "the target's CPU",
        );
    }
    evidence.push(format!(
        "generator's busiest worker {:.0}%",
        inputs.generator.busiest_worker_cpu
    ));
    // Without the target's process or pool in view, no saturated resource
    // was found because none was looked at: say so rather than claim room.
    let advice = if inputs.target.is_none() && inputs.pool.is_none() {
        "nothing of the target is in view: give its --pid (or metrics) to judge its resources"
            .to_string()
    } else if let Some((share, what)) = nearest {
        format!(
            "keeping up, but {what} is {:.0}% busy: a little more load saturates it",
            share * 100.0
        )
    } else if inputs.offered_rate.is_none() {
        // A closed model has no rate to raise: its load is its connections.
        "room to spare: open more connections (C) to find the limit".to_string()
    } else {
        "room to spare: raise the rate (R) to find the limit".to_string()
    };
    Diagnosis {
        bottleneck: Bottleneck::None,
        evidence,
        advice,
        runner_up: None,
    }
}

pub(super) fn millis(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else if ms < 10.0 && (ms - ms.round()).abs() >= 0.05 {
        // A measured hold of 6.7 ms: rounding it to 7 would make the
        // capacity beside it look miscomputed.
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}
