//! The latency histograms every part of loadtop agrees on: full-range ones
//! for decoded reports and totals, growing ones for everything the
//! generator records into, and the widening that makes the two encode alike.

use hdrhistogram::Histogram;

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

/// A growing latency histogram: same lowest value and precision as
/// [`new_latency_histogram`], so every value lands in the bucket it would
/// land in there and summaries and merges are exactly the same, but its
/// counts array grows on demand (requests that answer within 2 ms keep
/// 2,048 counts, 16 KiB, instead of ~23,500, 184 KiB). Every interval the
/// generator records into and merges holds five of them (latency, service,
/// send lag, connect, time to first byte), and a run keeps a dozen intervals
/// alive, so full-range ones would cost ~10 MiB for values that rarely pass
/// a few milliseconds. Growth is a rare reallocation when a larger value
/// than ever before arrives; a recycled histogram keeps its size, so steady
/// state allocates nothing. Record with [`record_clamped_us`], never
/// `saturating_record` (which clamps to the current size instead of growing).
pub fn new_growing_histogram() -> Histogram<u64> {
    let mut histogram = Histogram::new_with_bounds(LATENCY_LOWEST_US, 2, LATENCY_SIGFIG)
        .expect("constant histogram bounds are valid");
    histogram.auto(true);
    histogram
}

/// `histogram` with the full bounds of [`new_latency_histogram`]: a part
/// histogram widened before it is encoded, so a report carries the same
/// bytes whatever size the histogram had grown to. Borrowed when already full.
pub fn full_range(histogram: &Histogram<u64>) -> std::borrow::Cow<'_, Histogram<u64>> {
    if histogram.high() >= LATENCY_HIGHEST_US && !histogram.is_auto_resize() {
        return std::borrow::Cow::Borrowed(histogram);
    }
    let mut full = new_latency_histogram();
    // Part values are clamped to the full bounds, so they always fit.
    let _ = full.add(histogram);
    std::borrow::Cow::Owned(full)
}

/// Records `us` clamped into the full latency bounds; a part histogram
/// grows to hold it, a full-range one always can.
#[inline]
pub fn record_clamped_us(histogram: &mut Histogram<u64>, us: u64) {
    // Cannot fail: the value is within the full bounds, which a full-range
    // histogram covers and an auto-resizing one grows to cover.
    let _ = histogram.record(us.clamp(LATENCY_LOWEST_US, LATENCY_HIGHEST_US));
}

/// Records `us` into `histogram` (0 counts as 1 µs: the histogram's floor).
#[inline]
pub fn record_us(histogram: &mut Histogram<u64>, us: u64) {
    record_clamped_us(histogram, us);
}
