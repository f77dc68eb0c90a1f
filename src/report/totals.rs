//! Recorded counts added back into an interval, so that merged reports
//! (shards, a request mix's names) are summarized exactly as one run would
//! have been. Below `merge` and `requests`, which both use it.

use hdrhistogram::Histogram;

use crate::stats::Interval;
use crate::stats::STATUS_SLOTS;
use crate::stats::summary::Summary;

/// Adds a report's recorded counts into an interval, the inverse of
/// `Summary::from_interval`: rebuilding a summary from the sum gives what
/// one generator would have reported for all the requests.
pub fn accumulate(
    total: &mut Interval,
    summary: &Summary,
    latency: &Histogram<u64>,
    service: &Histogram<u64>,
) -> Result<(), String> {
    total.latency.add(latency).map_err(|e| format!("{e:?}"))?;
    total.service.add(service).map_err(|e| format!("{e:?}"))?;
    total.responses += summary.requests;
    total.bytes_read += summary.bytes;
    for status in &summary.status_codes {
        let slot = usize::from(status.code);
        total.status[if slot < STATUS_SLOTS { slot } else { 0 }] += status.count;
    }
    for error in &summary.errors {
        total.errors[error.kind.index()] += error.count;
    }
    total.late_sends += summary.late_sends;
    total.dropped_sends += summary.dropped_sends;
    total.connects += summary.connects;
    Ok(())
}
