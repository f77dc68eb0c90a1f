//! The pool rule: a pool whose every slot is busy with requests waiting, or
//! full while it sheds its excess, bounds throughput at its size over its
//! hold time (Little's law).

use super::rules::{ERROR_SHARE, SHEDDING_IDLE_SLOTS, millis};
use super::{Bottleneck, Finding, Inputs, PoolGauges, PoolKind, PoolOrigin};

pub(super) fn pool(inputs: &Inputs) -> Option<Finding> {
    let PoolGauges {
        kind,
        origin,
        size,
        in_use,
        waiting,
        wait_p99_ms,
        hold_ms,
    } = inputs.pool.clone()?;
    let exhausted = in_use >= size && waiting > 0;
    let requests = inputs.achieved_rate + inputs.failed_rate;
    let sheds =
        inputs.shed_rate > 0.0 && requests > 0.0 && inputs.shed_rate / requests >= ERROR_SHARE;
    let full_and_shedding = sheds && in_use > 0 && in_use + SHEDDING_IDLE_SLOTS >= size;
    if size == 0 || !(exhausted || full_and_shedding) {
        return None;
    }
    // Counted full while it sheds, the pool holds `size` requests: by
    // Little's law each is held size / rate served, which a read that
    // caught an idle slot would understate.
    let hold_ms = if full_and_shedding && !exhausted && inputs.achieved_rate > 0.0 {
        Some(f64::from(size) / inputs.achieved_rate * 1000.0)
    } else {
        hold_ms
    };
    let capacity = hold_ms
        .filter(|hold| *hold > 0.0)
        .map(|hold| f64::from(size) / (hold / 1000.0));
    let slots = match kind {
        PoolKind::Connections => "slots",
        PoolKind::Workers => "CPU workers",
    };
    let busy = match &origin {
        PoolOrigin::Embedded => format!("{in_use}/{size} {slots} busy"),
        // Named after the page, so a reader can find it among the target's own.
        PoolOrigin::MetricsUrl { name: Some(name) } => {
            format!("pool \"{name}\" (metrics_url): {in_use}/{size} used")
        }
        PoolOrigin::MetricsUrl { name: None } => {
            format!("pool (metrics_url): {in_use}/{size} used")
        }
    };
    let mut evidence = vec![busy, format!("{waiting} waiting")];
    // The database pool's wait p99 spans the server's whole history: with
    // nobody waiting now it is an earlier queue's, not this window's.
    if let Some(p99) = wait_p99_ms.filter(|_| waiting > 0) {
        evidence.push(format!("wait p99 {}", millis(p99)));
    }
    if inputs.shed_rate > 0.0 {
        evidence.push(format!("{:.0} shed/s (503)", inputs.shed_rate));
    }
    if let (Some(capacity), Some(hold)) = (capacity, hold_ms) {
        let mut line = format!("capacity ≈ {size} / {} = {capacity:.0} req/s", millis(hold));
        if let Some(offered) = inputs.offered_rate.filter(|o| *o > capacity) {
            line.push_str(&format!(" < {offered:.0} offered"));
        }
        evidence.push(line);
    }
    Some(Finding {
        bottleneck: Bottleneck::Pool,
        capacity,
        evidence,
        // Shedding already turns the wait into fast 503s: the choice left is
        // more slots or accepting the refusals.
        advice: match (kind, origin, sheds) {
            (_, PoolOrigin::MetricsUrl { .. }, _) => {
                "raise the pool's max (hikari maximumPoolSize / db.client.connection.max) or shed load"
            }
            (PoolKind::Connections, PoolOrigin::Embedded, false) => {
                "raise pool_size (P) or shed load (s)"
            }
            (PoolKind::Workers, PoolOrigin::Embedded, false) => {
                "raise cpu_workers (the admin knob) or shed load (s)"
            }
            (PoolKind::Connections, PoolOrigin::Embedded, true) => {
                "raise pool_size (P), or accept the shed: the excess is refused at once"
            }
            (PoolKind::Workers, PoolOrigin::Embedded, true) => {
                "raise cpu_workers (the admin knob), or accept the shed: the excess is refused at once"
            }
        }
        .into(),
    })
}
