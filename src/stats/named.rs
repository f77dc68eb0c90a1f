//! Per-name outcomes of a tick, kept as a list until they reach an interval
//! that keeps per-name histograms.
//!
//! A generator thread's tick holds a few outcomes per name (1,000 req/s over
//! 64 names is 2 per name per 250 ms tick), while one per-name histogram pair
//! is at least 32 KB of counts to clear and walk. So recorders and tick
//! intervals keep the outcomes of a mix as a list (a push per request into a
//! recycled `Vec`: no allocation once it has grown to a tick's worth), and
//! only the session's intervals (a stage, a second, the run) fold them into
//! per-name histograms: the cost per tick is one record per request, whatever
//! the number of names.

use super::{ErrorKind, Interval, record_clamped_us};

/// Beyond this many listed outcomes a merge folds them into histograms,
/// so an interval that keeps absorbing ticks (a reader that lags) stays
/// bounded in memory.
pub(super) const MAX_LISTED: usize = 1 << 16;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Outcome {
    Response {
        status: u16,
        latency_us: u64,
        service_us: u64,
        bytes: u64,
    },
    Error(ErrorKind),
}

/// One request's outcome and the index of its name in the mix.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Named {
    pub(super) slot: u16,
    pub(super) outcome: Outcome,
}

/// Records `outcomes` into `parts` (grown to `names` parts first).
pub(super) fn fold(parts: &mut Vec<Interval>, names: usize, outcomes: &[Named]) {
    if parts.len() < names {
        parts.resize_with(names, Interval::part);
    }
    for named in outcomes {
        let Some(part) = parts.get_mut(usize::from(named.slot)) else {
            continue;
        };
        match named.outcome {
            Outcome::Response {
                status,
                latency_us,
                service_us,
                bytes,
            } => {
                record_clamped_us(&mut part.latency, latency_us);
                record_clamped_us(&mut part.service, service_us);
                part.count_response(status, bytes);
            }
            Outcome::Error(kind) => part.record_error(kind),
        }
    }
}
