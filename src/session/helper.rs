//! The session's helper threads (the target probe, the samples and
//! controls forwarders) end with the session: dropping a [`Helper`] tells
//! its thread to stop and joins it, waiting at most a bound, so a thread
//! stuck in a call (an admin request to a saturated server, which has its
//! own timeout) cannot hang the exit; such a thread ends by itself once the
//! call returns and finds the session gone.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often a helper blocked on a channel it does not own checks whether
/// it should stop (a message still wakes it at once).
pub const STOP_CHECK: Duration = Duration::from_millis(100);

/// A running helper thread; stopped and joined (within `bound`) on drop.
pub struct Helper {
    stop: Arc<AtomicBool>,
    /// Disconnects when the thread's body has returned (or panicked).
    done: Receiver<()>,
    thread: Option<JoinHandle<()>>,
    bound: Duration,
}

impl Helper {
    /// Runs `body` on a thread named `name`; `body` should return soon
    /// after the flag it is given is set.
    pub fn spawn(
        name: &str,
        bound: Duration,
        body: impl FnOnce(&AtomicBool) + Send + 'static,
    ) -> Option<Helper> {
        let stop = Arc::new(AtomicBool::new(false));
        let (done_tx, done) = channel::<()>();
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let _done = done_tx;
                body(&flag);
            })
            .ok()?;
        Some(Helper {
            stop,
            done,
            thread: Some(thread),
            bound,
        })
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        match self.done.recv_timeout(self.bound) {
            Err(RecvTimeoutError::Disconnected) | Ok(()) => {
                if let Some(thread) = self.thread.take() {
                    let _ = thread.join();
                }
            }
            // Left to end by itself: it holds nothing the exit needs.
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
}

/// Receives from a channel the helper does not own until it closes or the
/// helper is told to stop.
pub fn recv_until_stopped<T>(source: &Receiver<T>, stop: &AtomicBool) -> Option<T> {
    loop {
        match source.recv_timeout(STOP_CHECK) {
            Ok(item) => return Some(item),
            Err(RecvTimeoutError::Disconnected) => return None,
            Err(RecvTimeoutError::Timeout) if stop.load(Ordering::Relaxed) => return None,
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[test]
    fn dropping_stops_and_joins_the_thread() {
        let (tx, rx) = channel::<u32>();
        let (seen_tx, seen_rx) = channel();
        let helper = Helper::spawn("test-helper", Duration::from_secs(5), move |stop| {
            while let Some(n) = recv_until_stopped(&rx, stop) {
                let _ = seen_tx.send(n);
            }
        })
        .unwrap();
        tx.send(7).unwrap();
        assert_eq!(seen_rx.recv_timeout(Duration::from_secs(5)), Ok(7));
        drop(helper);
        // The thread has returned: its sender is gone.
        assert_eq!(
            seen_rx.recv_timeout(Duration::from_secs(1)),
            Err(RecvTimeoutError::Disconnected)
        );
        drop(tx);
    }

    #[test]
    fn a_stuck_thread_is_left_after_the_bound() {
        let (release_tx, release_rx) = channel::<()>();
        let helper = Helper::spawn("test-stuck", Duration::from_millis(50), move |_| {
            let _ = release_rx.recv();
        })
        .unwrap();
        let began = Instant::now();
        drop(helper);
        assert!(
            began.elapsed() < Duration::from_secs(5),
            "drop waited for a stuck thread"
        );
        drop(release_tx);
    }
}

#[cfg(test)]
#[path = "helper_tests.rs"]
mod probe_tests;
