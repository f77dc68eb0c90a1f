//! The alarm's timing, lead, spin budget and coalescing.

use super::*;

fn on_worker_runtime(test: impl AsyncFnOnce(Rc<Alarm>)) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tokio::task::LocalSet::new().block_on(&runtime, async {
        let alarm = Alarm::new().unwrap();
        tokio::task::spawn_local(alarm.clone().drive());
        test(alarm).await;
    });
}

#[test]
fn waiters_wake_at_their_due_time_never_before_and_in_order() {
    on_worker_runtime(async |alarm| {
        let start = Instant::now();
        let order = Rc::new(RefCell::new(Vec::new()));
        // Out of order on purpose: the timer is re-armed for earlier ones.
        let dues = [900u64, 300, 600, 2_000];
        let mut tasks = Vec::new();
        for (index, offset) in dues.into_iter().enumerate() {
            let (alarm, order) = (alarm.clone(), order.clone());
            let due = start + Duration::from_micros(offset);
            tasks.push(tokio::task::spawn_local(async move {
                alarm.until(due).await;
                let woke = Instant::now();
                order.borrow_mut().push(index);
                woke.saturating_duration_since(due)
            }));
        }
        for task in tasks {
            let late = task.await.unwrap();
            // Loose: a loaded 2-core machine may hold the thread off
            // the CPU; tokio's timer alone would wake up to 1 ms late.
            assert!(late < Duration::from_millis(50), "late by {late:?}");
        }
        assert_eq!(*order.borrow(), vec![1, 2, 0, 3]);
    });
}

#[test]
fn a_past_due_time_is_ready_at_once() {
    on_worker_runtime(async |alarm| {
        alarm.until(Instant::now()).await;
        // Nothing was queued for a time that had already come.
        assert!(alarm.waiting.borrow().is_empty());
        assert_eq!(alarm.armed.get(), None);
    });
}

#[test]
fn the_timer_is_armed_early_by_the_learned_wake_delay_within_bounds() {
    on_worker_runtime(async |alarm| {
        assert_eq!(
            alarm.lead(Instant::now()),
            Duration::ZERO,
            "nothing learned yet"
        );
        let start = Instant::now();
        // Wake-ups 10 ms apart, each 100 µs after the timer fired.
        for n in 0..50u64 {
            alarm
                .fires_at
                .set(Some(start + Duration::from_millis(10 * n)));
            alarm.woke(start + Duration::from_millis(10 * n) + Duration::from_micros(100));
        }
        assert_eq!(alarm.lead(Instant::now()), Duration::from_micros(100));
        // A machine that wakes very late is still only led by MAX_LEAD.
        alarm.wake_delay.set(Duration::from_millis(5));
        assert_eq!(alarm.lead(Instant::now()), MAX_LEAD);
        // At a high rate (wake-ups 40 µs apart) the lead shrinks with the gap.
        alarm.wake_gap.set(Duration::from_micros(40));
        assert_eq!(alarm.lead(Instant::now()), Duration::from_micros(10));
    });
}

#[test]
fn dense_sends_space_the_wake_ups_and_sparse_ones_do_not() {
    assert_eq!(coalescing_for(1_000.0), Duration::ZERO);
    assert_eq!(coalescing_for(10_500.0), Duration::ZERO);
    assert_eq!(coalescing_for(20_000.0), Duration::from_micros(200));
    assert_eq!(coalescing_for(50_000.0), Duration::from_micros(80));
    on_worker_runtime(async |alarm| {
        let start = Instant::now();
        alarm.follow_rate(start);
        // 2,000 sends in a 100 ms window: 20,000 a second.
        alarm.woken_in_window.set(2_000);
        alarm.wake_delay.set(Duration::from_micros(100));
        alarm.wake_gap.set(Duration::from_millis(10));
        alarm.follow_rate(start + RATE_WINDOW);
        assert_eq!(alarm.coalesce.get(), Duration::from_micros(200));
        assert_eq!(
            alarm.lead(start),
            Duration::ZERO,
            "no spin while coalescing"
        );
        // The timer is not armed sooner than the coalescing allows.
        alarm.last_wake.set(Some(start));
        alarm.arm(start);
        let fires_at = alarm.fires_at.get().unwrap();
        assert!(fires_at >= start + Duration::from_micros(200));
        // The rate falls: wake-ups follow each send again.
        alarm.woken_in_window.set(100);
        alarm.follow_rate(start + RATE_WINDOW * 2);
        assert_eq!(alarm.coalesce.get(), Duration::ZERO);
    });
}

#[test]
fn moving_average_starts_at_the_first_sample_and_follows_slowly() {
    let first = moving_average(Duration::ZERO, Duration::from_micros(80));
    assert_eq!(first, Duration::from_micros(80));
    let next = moving_average(first, Duration::from_micros(160));
    assert_eq!(next, Duration::from_micros(90));
}

#[test]
fn spinning_ahead_of_sends_stops_when_the_window_budget_is_spent() {
    on_worker_runtime(async |alarm| {
        alarm.wake_gap.set(Duration::from_millis(10));
        alarm.wake_delay.set(Duration::from_micros(100));
        assert_eq!(alarm.lead(Instant::now()), Duration::from_micros(100));
        alarm.spun.set(SPIN_WINDOW / SPIN_BUDGET_SHARE);
        assert_eq!(alarm.lead(Instant::now()), Duration::ZERO, "budget spent");
        let next_window = alarm.spin_window.get().unwrap() + SPIN_WINDOW;
        assert!(alarm.spin_budget_left(next_window), "a new window");
        assert_eq!(alarm.spun.get(), Duration::ZERO);
    });
}
