//! Recording and merging of request outcomes.
//!
//! Each generator thread owns one [`Interval`] and records into it without
//! locks or messages; every tick the thread swaps it out (`mem::replace`) and
//! hands it to the aggregator, which merges the threads' intervals into one.
//! Everything downstream (timeline, stage summaries, reports) is built from
//! merged intervals, and percentiles always come from HDR histograms.
//!
//! Cost per tick follows traffic, not the number of request names: recorder
//! and tick intervals list a mix's per-name outcomes (see `named`) and only
//! the session's intervals fold them into per-name histograms, which start
//! at one bucket (2,048 counts) and grow only as far as the largest value
//! that name has seen (see [`new_growing_histogram`]); the whole-run histograms
//! span the full range. Swapped-out intervals are [`reset`](Interval::reset)
//! and reused rather than dropped and allocated again.

mod error_kind;
mod histogram;
mod named;
mod span;
pub mod summary;

pub use error_kind::ErrorKind;
pub use histogram::{
    LATENCY_HIGHEST_US, LATENCY_LOWEST_US, LATENCY_SIGFIG, full_range, new_growing_histogram,
    new_latency_histogram, record_clamped_us, record_us,
};
pub use span::Span;

use hdrhistogram::Histogram;

/// The generator's own timings, kept for the whole run only (not per request
/// name), so a mix of many names costs no more per tick.
#[derive(Clone, Debug)]
pub struct Phases {
    /// Open model: actual send minus intended send (the pacer's own error).
    pub send_lag: Histogram<u64>,
    /// TCP connect plus TLS handshake, once per connection opened.
    pub connect: Histogram<u64>,
    /// From the actual send to the first byte of the response.
    pub ttfb: Histogram<u64>,
}

impl Default for Phases {
    fn default() -> Self {
        Phases {
            send_lag: new_growing_histogram(),
            connect: new_growing_histogram(),
            ttfb: new_growing_histogram(),
        }
    }
}

impl Phases {
    pub fn merge(&mut self, other: &Phases) {
        let _ = self.send_lag.add(&other.send_lag);
        let _ = self.connect.add(&other.connect);
        let _ = self.ttfb.add(&other.ttfb);
    }
}

/// Status codes 100..=599 counted exactly; anything outside lands in slot 0.
pub const STATUS_SLOTS: usize = 600;

/// Everything recorded during one interval (or any merge of intervals).
#[derive(Clone, Debug)]
pub struct Interval {
    /// Open model: from the intended send time (coordinated omission corrected).
    /// Closed model: from the actual send time (identical to `service`).
    pub latency: Histogram<u64>,
    /// From the actual send time: the server's service time as the client saw it.
    pub service: Histogram<u64>,
    /// Completed responses (any status).
    pub responses: u64,
    pub bytes_read: u64,
    pub status: Box<[u64; STATUS_SLOTS]>,
    pub errors: [u64; ErrorKind::COUNT],
    /// Open model: sends that left after their intended time because every
    /// connection was busy (the schedule fell behind).
    pub late_sends: u64,
    /// Open model: scheduled sends abandoned because the backlog outgrew the
    /// connections (k6's "dropped iterations").
    pub dropped_sends: u64,
    /// Successful TCP connects, including the first one of each connection.
    pub connects: u64,
    /// Per request name of a request mix, indexed like the mix's names;
    /// empty for a single request (which then costs nothing extra), and in
    /// the intervals that list per-name outcomes instead (see `named`).
    pub requests: Vec<Interval>,
    /// Names of the mix (0 for a single request).
    names: usize,
    /// Per-name outcomes not yet folded into `requests`.
    listed: Vec<named::Named>,
    /// Recorders and tick intervals list per-name outcomes; every other
    /// interval folds them into `requests` as it merges them.
    lists: bool,
    /// First send to last completion (kept on the whole, not per name).
    pub span: Option<Span>,
    /// Send lag, connect time and time to first byte: whole-run intervals
    /// only (`None` in the per-name parts).
    pub phases: Option<Box<Phases>>,
}

impl Default for Interval {
    fn default() -> Self {
        Self::new()
    }
}

impl Interval {
    pub fn new() -> Self {
        Interval::with(
            new_growing_histogram(),
            new_growing_histogram(),
            Some(Box::default()),
        )
    }

    /// A per-name part: growing histograms like every interval (see
    /// [`new_growing_histogram`]), no phase histograms.
    pub fn part() -> Self {
        Interval::with(new_growing_histogram(), new_growing_histogram(), None)
    }

    fn with(latency: Histogram<u64>, service: Histogram<u64>, phases: Option<Box<Phases>>) -> Self {
        Interval {
            latency,
            service,
            responses: 0,
            bytes_read: 0,
            status: Box::new([0; STATUS_SLOTS]),
            errors: [0; ErrorKind::COUNT],
            late_sends: 0,
            dropped_sends: 0,
            connects: 0,
            requests: Vec::new(),
            names: 0,
            listed: Vec::new(),
            lists: false,
            span: None,
            phases,
        }
    }

    /// Empties the interval but keeps every allocation (histogram counts,
    /// per-name parts), so a swapped-out interval can be handed back to a
    /// recorder instead of a fresh one being allocated each tick.
    pub fn reset(&mut self) {
        self.latency.reset();
        self.service.reset();
        self.responses = 0;
        self.bytes_read = 0;
        self.status.fill(0);
        self.errors = [0; ErrorKind::COUNT];
        self.late_sends = 0;
        self.dropped_sends = 0;
        self.connects = 0;
        self.span = None;
        self.listed.clear();
        if let Some(phases) = &mut self.phases {
            phases.send_lag.reset();
            phases.connect.reset();
            phases.ttfb.reset();
        }
        // A part with nothing recorded has nothing to clear (a mix of many
        // names, each seen only now and then, pays only for those seen).
        for part in &mut self.requests {
            if !part.is_empty() {
                part.reset();
            }
        }
    }

    /// Nothing recorded since creation or the last reset.
    pub fn is_empty(&self) -> bool {
        self.attempts() == 0
            && self.listed.is_empty()
            && self.latency.is_empty()
            && self.service.is_empty()
            && self.late_sends == 0
            && self.dropped_sends == 0
            && self.connects == 0
            && self.span.is_none()
            && self
                .phases
                .as_deref()
                .is_none_or(|p| p.send_lag.is_empty() && p.connect.is_empty() && p.ttfb.is_empty())
    }

    /// The phase histograms (created on first use in a per-name part).
    pub fn phases_mut(&mut self) -> &mut Phases {
        self.phases.get_or_insert_with(Box::default)
    }

    /// A recorder (or tick) interval for a mix of `names` requests: it
    /// lists per-name outcomes, which the intervals it is merged into fold
    /// into `names` per-request parts (none when `names` < 2: a single
    /// request is the whole).
    pub fn with_requests(names: usize) -> Self {
        let mut interval = Interval::new();
        if names > 1 {
            interval.names = names;
            interval.lists = true;
        }
        interval
    }

    fn add_named(&mut self, index: usize, outcome: named::Outcome) {
        if self.lists {
            // Names are at most 64, so the slot always fits.
            let slot = u16::try_from(index).unwrap_or(u16::MAX);
            self.listed.push(named::Named { slot, outcome });
        } else {
            named::fold(
                &mut self.requests,
                self.names,
                &[named::Named {
                    slot: u16::try_from(index).unwrap_or(u16::MAX),
                    outcome,
                }],
            );
        }
    }

    /// Records a response to request `index` of the mix, overall and by name.
    #[inline]
    pub fn record_response_for(
        &mut self,
        index: usize,
        latency_us: u64,
        service_us: u64,
        status: u16,
        bytes: u64,
    ) {
        self.record_response(latency_us, service_us, status, bytes);
        if self.names > 0 || index < self.requests.len() {
            self.add_named(
                index,
                named::Outcome::Response {
                    status,
                    latency_us,
                    service_us,
                    bytes,
                },
            );
        }
    }

    #[inline]
    pub fn record_error_for(&mut self, index: usize, kind: ErrorKind) {
        self.record_error(kind);
        if self.names > 0 || index < self.requests.len() {
            self.add_named(index, named::Outcome::Error(kind));
        }
    }

    /// Hot path: no allocation, no lock.
    #[inline]
    pub fn record_response(&mut self, latency_us: u64, service_us: u64, status: u16, bytes: u64) {
        record_clamped_us(&mut self.latency, latency_us);
        record_clamped_us(&mut self.service, service_us);
        self.count_response(status, bytes);
    }

    #[inline]
    fn count_response(&mut self, status: u16, bytes: u64) {
        self.responses += 1;
        self.bytes_read += bytes;
        let slot = usize::from(status);
        let slot = if (100..STATUS_SLOTS).contains(&slot) {
            slot
        } else {
            0
        };
        self.status[slot] += 1;
    }

    #[inline]
    pub fn record_error(&mut self, kind: ErrorKind) {
        self.errors[kind.index()] += 1;
    }

    pub fn error_count(&self) -> u64 {
        self.errors.iter().sum()
    }

    /// Requests that ended, successfully or not.
    pub fn attempts(&self) -> u64 {
        self.responses + self.error_count()
    }

    /// Responses with status >= 400 plus transport errors.
    pub fn failed(&self) -> u64 {
        let bad_status: u64 = self.status[400..].iter().sum::<u64>() + self.status[0];
        bad_status + self.error_count()
    }

    /// Exact: histograms are added bucket by bucket, counters summed.
    pub fn merge(&mut self, other: &Interval) {
        // Both sides share the same bounds, so `add` cannot fail.
        let _ = self.latency.add(&other.latency);
        let _ = self.service.add(&other.service);
        self.responses += other.responses;
        self.bytes_read += other.bytes_read;
        for (mine, theirs) in self.status.iter_mut().zip(other.status.iter()) {
            *mine += theirs;
        }
        for (mine, theirs) in self.errors.iter_mut().zip(other.errors.iter()) {
            *mine += theirs;
        }
        self.late_sends += other.late_sends;
        self.dropped_sends += other.dropped_sends;
        self.connects += other.connects;
        self.span = Span::union(self.span, other.span);
        if let Some(phases) = &other.phases {
            self.phases_mut().merge(phases);
        }
        self.names = self.names.max(other.names);
        let parts = other
            .requests
            .len()
            .max(if self.lists { 0 } else { other.names });
        if self.requests.len() < parts {
            self.requests.resize_with(parts, Interval::part);
        }
        if self.lists && self.listed.len() + other.listed.len() <= named::MAX_LISTED {
            self.listed.extend_from_slice(&other.listed);
        } else {
            named::fold(&mut self.requests, self.names, &self.listed);
            self.listed.clear();
            named::fold(&mut self.requests, self.names, &other.listed);
        }
        for (mine, theirs) in self.requests.iter_mut().zip(&other.requests) {
            // Most parts of a tick are empty or nearly so: skip the empty
            // ones outright (a part's `add` walks only up to its largest value).
            if !theirs.is_empty() {
                mine.merge(theirs);
            }
        }
    }

    /// Non-zero status counts, ascending by code (slot 0 is reported as 0).
    pub fn status_counts(&self) -> Vec<(u16, u64)> {
        self.status
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(code, n)| (code as u16, *n))
            .collect()
    }
}

#[cfg(test)]
mod tests;
