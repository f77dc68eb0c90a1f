//! The pools the diagnosis judges: the embedded server's (the simulated
//! `/pool`, the real database pool, `/cpu`'s worker gate) and the ones a URL
//! target's `metrics_url` page gives, each as [`PoolGauges`] with its hold
//! measured by Little's law; the one nearest exhaustion is judged.

use crate::diagnosis::pool_metrics::ScrapedPool;
use crate::diagnosis::{PoolGauges, PoolKind, PoolOrigin, pool_pressure};
use crate::snapshot::ServerView;

/// The server's pool nearest exhaustion: the simulated `/pool`, the real
/// database pool behind `/db/*`, or `/cpu`'s `cpu_workers` gate (a gate of
/// one passes the work between runtime threads, so no thread and not the
/// process looks saturated: only the gate's queue shows the limit).
pub(super) fn server_pool(view: &ServerView, achieved_rate: f64) -> Option<PoolGauges> {
    // The measured hold, which the `hold_ms` knob only sets a floor for;
    // the knob stands in while nothing is held.
    let held_ms = |in_use: u32| littles_hold_ms(in_use, achieved_rate);
    let gauges = |kind, size: u64, in_use: u64, waiting: u64| {
        let in_use = u32::try_from(in_use).unwrap_or(u32::MAX);
        PoolGauges {
            kind,
            origin: PoolOrigin::Embedded,
            size: u32::try_from(size).unwrap_or(u32::MAX),
            in_use,
            waiting: u32::try_from(waiting).unwrap_or(u32::MAX),
            wait_p99_ms: None,
            hold_ms: held_ms(in_use),
        }
    };
    let simulated = (view.pool_size > 0).then(|| {
        let pool = gauges(
            PoolKind::Connections,
            view.pool_size,
            view.pool_in_use,
            view.pool_waiters,
        );
        PoolGauges {
            hold_ms: pool
                .hold_ms
                .or((view.hold_ms > 0).then_some(view.hold_ms as f64)),
            ..pool
        }
    });
    // Only the `/db` routes hold a connection, so its measured hold is the
    // query's when they carry the traffic.
    let database = view
        .db
        .as_ref()
        .filter(|db| db.up && db.pool_size > 0)
        .map(|db| PoolGauges {
            wait_p99_ms: Some(db.acquire_wait_p99_us as f64 / 1000.0),
            ..gauges(PoolKind::Connections, db.pool_size, db.in_use, db.waiting)
        });
    let cpu_workers = (view.cpu_workers > 0).then(|| {
        gauges(
            PoolKind::Workers,
            view.cpu_workers,
            view.cpu_in_use,
            view.cpu_waiting,
        )
    });
    nearest([simulated, database, cpu_workers].into_iter().flatten())
}

/// Little's law: slots held over the rate they serve is how long each is
/// held (timer overshoot, slow requests and all).
fn littles_hold_ms(in_use: u32, achieved_rate: f64) -> Option<f64> {
    (in_use > 0 && achieved_rate > 0.0).then(|| f64::from(in_use) / achieved_rate * 1000.0)
}

/// A pool read from a URL target's `metrics_url`, when the page gave its
/// size and its slots in use (a pool without them cannot be judged).
pub(super) fn scraped_pool(pool: &ScrapedPool, achieved_rate: f64) -> Option<PoolGauges> {
    if !pool.judgeable() {
        return None;
    }
    let count = |value: Option<u64>| u32::try_from(value.unwrap_or(0)).unwrap_or(u32::MAX);
    let in_use = count(pool.used);
    Some(PoolGauges {
        kind: PoolKind::Connections,
        origin: PoolOrigin::MetricsUrl {
            name: pool.name.clone(),
        },
        size: count(pool.max),
        in_use,
        waiting: count(pool.pending),
        wait_p99_ms: None,
        hold_ms: littles_hold_ms(in_use, achieved_rate),
    })
}

/// The pool nearest exhaustion: an exhausted one (all busy, some waiting)
/// first, then the highest share busy.
pub(super) fn nearest(pools: impl Iterator<Item = PoolGauges>) -> Option<PoolGauges> {
    let pressure = |pool: &PoolGauges| {
        pool_pressure(pool.size.into(), pool.in_use.into(), pool.waiting.into())
    };
    pools.reduce(|a, b| if pressure(&b) > pressure(&a) { b } else { a })
}

/// The scraped pool the dashboard shows: the one nearest exhaustion.
pub(super) fn nearest_scraped(pools: &[ScrapedPool]) -> Option<&ScrapedPool> {
    pools
        .iter()
        .filter(|pool| pool.judgeable())
        .reduce(|a, b| if b.pressure() > a.pressure() { b } else { a })
}
