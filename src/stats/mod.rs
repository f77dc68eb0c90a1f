//! Recording and merging of request outcomes.
//!
//! Each generator thread owns one [`Interval`] and records into it without
//! locks or messages; every tick the thread swaps it out (`mem::replace`) and
//! hands it to the aggregator, which merges the threads' intervals into one.
//! Everything downstream (timeline, stage summaries, reports) is built from
//! merged intervals, and percentiles always come from HDR histograms.

mod span;
pub mod summary;

pub use span::Span;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Latencies are recorded in microseconds.
pub const LATENCY_LOWEST_US: u64 = 1;
/// One hour: far above any request timeout, so only pathological values saturate.
pub const LATENCY_HIGHEST_US: u64 = 3_600_000_000;
pub const LATENCY_SIGFIG: u8 = 3;

/// A latency histogram with the bounds every part of loadtop agrees on, so
/// histograms from any thread, stage or report can be added exactly.
pub fn new_latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(LATENCY_LOWEST_US, LATENCY_HIGHEST_US, LATENCY_SIGFIG)
        .expect("constant histogram bounds are valid")
}

/// Why a request produced no response. Failures are data, counted per kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    ConnectRefused,
    ConnectTimeout,
    RequestTimeout,
    /// The peer reset or closed the connection before a full response.
    Reset,
    /// The bytes received were not a valid HTTP/1.1 response.
    Malformed,
    /// Any other I/O failure.
    Other,
    /// The TLS handshake failed (untrusted certificate, no shared protocol).
    Tls,
}

impl ErrorKind {
    pub const COUNT: usize = 7;
    pub const ALL: [ErrorKind; ErrorKind::COUNT] = [
        ErrorKind::ConnectRefused,
        ErrorKind::ConnectTimeout,
        ErrorKind::RequestTimeout,
        ErrorKind::Reset,
        ErrorKind::Malformed,
        ErrorKind::Other,
        ErrorKind::Tls,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::ConnectRefused => "connect_refused",
            ErrorKind::ConnectTimeout => "connect_timeout",
            ErrorKind::RequestTimeout => "request_timeout",
            ErrorKind::Reset => "reset",
            ErrorKind::Malformed => "malformed",
            ErrorKind::Other => "other",
            ErrorKind::Tls => "tls",
        }
    }
}

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
            send_lag: new_latency_histogram(),
            connect: new_latency_histogram(),
            ttfb: new_latency_histogram(),
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

/// Records `us` into `histogram`, clamped into its bounds (0 counts as 1 µs:
/// the histogram's floor).
#[inline]
pub fn record_us(histogram: &mut Histogram<u64>, us: u64) {
    histogram.saturating_record(us.max(LATENCY_LOWEST_US));
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
    /// empty for a single request (which then costs nothing extra).
    pub requests: Vec<Interval>,
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
        Interval {
            latency: new_latency_histogram(),
            service: new_latency_histogram(),
            responses: 0,
            bytes_read: 0,
            status: Box::new([0; STATUS_SLOTS]),
            errors: [0; ErrorKind::COUNT],
            late_sends: 0,
            dropped_sends: 0,
            connects: 0,
            requests: Vec::new(),
            span: None,
            phases: Some(Box::default()),
        }
    }

    /// A per-name part: no phase histograms.
    fn part() -> Self {
        Interval {
            phases: None,
            ..Interval::new()
        }
    }

    /// The phase histograms (created on first use in a per-name part).
    pub fn phases_mut(&mut self) -> &mut Phases {
        self.phases.get_or_insert_with(Box::default)
    }

    /// An interval that also keeps `names` per-request intervals (none when
    /// `names` < 2: a single request is the whole).
    pub fn with_requests(names: usize) -> Self {
        let mut interval = Interval::new();
        if names > 1 {
            interval.requests = (0..names).map(|_| Interval::part()).collect();
        }
        interval
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
        if let Some(request) = self.requests.get_mut(index) {
            request.record_response(latency_us, service_us, status, bytes);
        }
    }

    #[inline]
    pub fn record_error_for(&mut self, index: usize, kind: ErrorKind) {
        self.record_error(kind);
        if let Some(request) = self.requests.get_mut(index) {
            request.record_error(kind);
        }
    }

    /// Hot path: no allocation, no lock.
    #[inline]
    pub fn record_response(&mut self, latency_us: u64, service_us: u64, status: u16, bytes: u64) {
        self.latency
            .saturating_record(latency_us.max(LATENCY_LOWEST_US));
        self.service
            .saturating_record(service_us.max(LATENCY_LOWEST_US));
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
        if self.requests.len() < other.requests.len() {
            self.requests
                .resize_with(other.requests.len(), Interval::part);
        }
        for (mine, theirs) in self.requests.iter_mut().zip(&other.requests) {
            mine.merge(theirs);
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
mod tests {
    use super::*;

    #[test]
    fn merge_adds_histograms_and_counters_exactly() {
        let mut a = Interval::new();
        let mut b = Interval::new();
        for v in 1..=100 {
            a.record_response(v, v, 200, 10);
        }
        for v in 101..=200 {
            b.record_response(v, v, 503, 10);
        }
        b.record_error(ErrorKind::Reset);
        a.merge(&b);
        assert_eq!(a.responses, 200);
        assert_eq!(a.latency.len(), 200);
        assert_eq!(a.latency.value_at_quantile(0.5), 100);
        assert_eq!(a.status_counts(), vec![(200, 100), (503, 100)]);
        assert_eq!(a.failed(), 101);
        assert_eq!(a.attempts(), 201);
        assert_eq!(a.bytes_read, 2000);
    }

    #[test]
    fn per_request_intervals_follow_the_whole_and_merge_into_empty_ones() {
        let mut worker = Interval::with_requests(2);
        worker.record_response_for(0, 10, 10, 200, 1);
        worker.record_response_for(1, 500, 400, 500, 1);
        worker.record_error_for(1, ErrorKind::Reset);
        let mut stage = Interval::new();
        stage.merge(&worker);
        stage.merge(&worker);
        assert_eq!(stage.responses, 4);
        assert_eq!(stage.requests.len(), 2);
        assert_eq!(stage.requests[0].responses, 2);
        assert_eq!(stage.requests[1].failed(), 4);
        assert_eq!(stage.requests[1].latency.max(), 500);
        assert!(Interval::with_requests(1).requests.is_empty());
    }

    #[test]
    fn out_of_range_status_is_counted_in_slot_zero() {
        let mut a = Interval::new();
        a.record_response(5, 5, 999, 0);
        assert_eq!(a.status_counts(), vec![(0, 1)]);
        assert_eq!(a.failed(), 1);
    }
}
