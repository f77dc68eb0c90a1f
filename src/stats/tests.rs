//! Exactness of merging, part histograms and recycling.

use std::time::Duration;

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

/// Values spread over many buckets, including ones past a part's first
/// bucket and past the full bounds.
fn spread_values() -> Vec<u64> {
    let mut values: Vec<u64> = (0..2_000).map(|i| 1 + i * i * 37 % 5_000_000).collect();
    values.extend([0, 1, 2_047, 2_048, 65_535, 3_599_999_999, u64::MAX / 4]);
    values
}

#[test]
fn growing_histograms_summarize_and_encode_like_full_range_ones() {
    let mut full = Interval::with(new_latency_histogram(), new_latency_histogram(), None);
    let mut part = Interval::part();
    for value in spread_values() {
        full.record_response(value, value / 2, 200, 1);
        record_clamped_us(&mut part.latency, value);
        record_clamped_us(&mut part.service, value / 2);
        part.count_response(200, 1);
    }
    let second = Duration::from_secs(1);
    assert_eq!(
        summary::Summary::from_interval(&full, second),
        summary::Summary::from_interval(&part, second)
    );
    // Grown to the largest value, it spans what a full one does.
    assert_eq!(
        part.latency.distinct_values(),
        full.latency.distinct_values()
    );
    let mut small = Interval::part();
    record_clamped_us(&mut small.latency, 2_047);
    assert_eq!(small.latency.distinct_values(), 2_048);
    // Whole intervals grow too (a dozen stay alive per run, five histograms
    // each), and so do their phases: recording in place widens them.
    let mut whole = Interval::new();
    assert_eq!(whole.latency.distinct_values(), 2_048);
    whole.record_response(3_599_999_999, 3_599_999_999, 200, 1);
    assert_eq!(whole.latency.max(), full.latency.max());
    let phases = whole.phases_mut();
    assert_eq!(phases.send_lag.distinct_values(), 2_048);
    record_us(&mut phases.send_lag, 65_535);
    assert_eq!(
        phases.send_lag.max(),
        full.latency.highest_equivalent(65_535)
    );
    let widened = full_range(&part.latency);
    assert_eq!(widened.high(), full.latency.high());
    assert_eq!(widened.distinct_values(), full.latency.distinct_values());
    let counts = |h: &Histogram<u64>| {
        h.iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect::<Vec<_>>()
    };
    assert_eq!(counts(&widened), counts(&full.latency));
    assert!(matches!(
        full_range(&full.latency),
        std::borrow::Cow::Borrowed(_)
    ));
}

#[test]
fn parts_merged_across_sizes_equal_one_part_recording_everything() {
    let mut small = Interval::with_requests(2);
    let mut large = Interval::with_requests(2);
    let mut reference = Interval::part();
    for (i, value) in spread_values().into_iter().enumerate() {
        // Keep `small`'s part 0 within its first bucket.
        let target = if value < 2_000 {
            &mut small
        } else {
            &mut large
        };
        target.record_response_for(0, value, value, 200, 1);
        record_clamped_us(&mut reference.latency, value);
        record_clamped_us(&mut reference.service, value);
        reference.count_response(200, 1);
        if i % 3 == 0 {
            target.record_error_for(0, ErrorKind::Reset);
            reference.record_error(ErrorKind::Reset);
        }
    }
    // Worker intervals into a tick (listed), the tick into a stage (folded).
    let mut tick = Interval::with_requests(2);
    tick.merge(&small);
    tick.merge(&large);
    assert!(tick.requests.is_empty());
    let mut merged = Interval::new();
    merged.merge(&tick);
    assert_eq!(merged.requests.len(), 2);
    let second = Duration::from_secs(1);
    assert_eq!(
        summary::Summary::from_interval(&merged.requests[0], second),
        summary::Summary::from_interval(&reference, second)
    );
    assert!(merged.requests[1].is_empty());
}

#[test]
fn reset_empties_everything_and_keeps_the_part_sizes() {
    let mut recorder = Interval::with_requests(3);
    recorder.record_response_for(1, 50_000, 40_000, 503, 9);
    recorder.record_error_for(2, ErrorKind::Other);
    let mut interval = Interval::new();
    interval.merge(&recorder);
    recorder.reset();
    assert!(recorder.is_empty());
    interval.late_sends = 2;
    interval.connects = 1;
    interval.phases_mut().ttfb.record(7).expect("in range");
    let grown = interval.requests[1].latency.distinct_values();
    interval.reset();
    assert!(interval.is_empty());
    assert!(interval.requests.iter().all(Interval::is_empty));
    assert_eq!(interval.status_counts(), vec![]);
    assert_eq!(interval.requests[1].latency.distinct_values(), grown);
    // Reused, it records exactly like a fresh one.
    recorder.record_response_for(1, 10, 10, 200, 1);
    interval.merge(&recorder);
    let mut fresh = Interval::new();
    fresh.merge(&recorder);
    let second = Duration::from_secs(1);
    assert_eq!(
        summary::Summary::from_interval(&interval.requests[1], second),
        summary::Summary::from_interval(&fresh.requests[1], second)
    );
    assert_eq!(interval.responses, 1);
}

#[test]
fn out_of_range_status_is_counted_in_slot_zero() {
    let mut a = Interval::new();
    a.record_response(5, 5, 999, 0);
    assert_eq!(a.status_counts(), vec![(0, 1)]);
    assert_eq!(a.failed(), 1);
}

#[test]
fn a_lagging_reader_folds_listed_outcomes_instead_of_growing_without_bound() {
    let mut recorder = Interval::with_requests(2);
    for i in 0..40_000u64 {
        recorder.record_response_for((i % 2) as usize, 1 + i % 3_000, 1, 200, 1);
    }
    let mut pending = Interval::with_requests(2);
    pending.merge(&recorder);
    assert!(pending.requests.is_empty());
    pending.merge(&recorder);
    // Past the bound, the tick itself holds histograms, not a longer list.
    assert!(pending.listed.is_empty());
    assert_eq!(pending.requests[0].responses, 40_000);
    let mut stage = Interval::new();
    stage.merge(&pending);
    stage.merge(&recorder);
    assert_eq!(stage.responses, 120_000);
    assert_eq!(stage.requests[1].responses, 60_000);
    assert_eq!(stage.requests[1].latency.len(), 60_000);
}

#[test]
fn a_tick_without_traffic_still_gives_every_name_its_part() {
    let mut stage = Interval::new();
    stage.merge(&Interval::with_requests(3));
    assert_eq!(stage.requests.len(), 3);
    assert!(stage.requests.iter().all(Interval::is_empty));
}
