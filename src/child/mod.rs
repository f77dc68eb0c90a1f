//! Child processes loadtop starts and must never leave behind: the embedded
//! server (`server::child`) and a profile's `command` target (through
//! `loadtop supervise-target`, `session::target`). One mechanism for both:
//! a [`Supervised`] process whose output is drained into a short [`Tail`]
//! (so a death can be explained), whose exit is described the same way,
//! and which is stopped on drop by asking (SIGTERM, or closing its stdin),
//! waiting a grace period, then killing and reaping it (never a zombie).
//! The child's side of the lifeline, a stdin pipe from the parent that the
//! kernel closes however the parent ends, is [`watch_parent`].
//!
//! Signals go through `nix` (`signal`, `signal_group`); `stop_by_signal`
//! is the same stop for a child that is not a [`Supervised`] one (the
//! database keeper's postmaster, asked with SIGQUIT).

mod parent;
mod stop;
mod tail;

use std::process::{Child, ChildStdin};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

pub use nix::sys::signal::Signal;
pub use parent::watch_parent;
pub use stop::{signal, signal_group, stop_by_signal, stop_with_grace};
pub use tail::Tail;

/// How a [`Supervised`] child is asked to stop before it is killed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ask {
    /// SIGTERM to the child; SIGKILL to it after the grace.
    Term,
    /// Close its stdin (it stops what it supervises itself); after the
    /// grace, SIGKILL to the child and to process group `group`.
    CloseStdin { group: u32 },
}

/// A running child, stopped (asked, given `grace`, killed, reaped) on drop.
/// A mutex around the `Child` so any thread can check it through `&self`.
#[derive(Debug)]
pub struct Supervised {
    child: Mutex<Child>,
    tail: Tail,
    ask: Ask,
    grace: Duration,
}

impl Supervised {
    pub fn new(child: Child, tail: Tail, ask: Ask, grace: Duration) -> Self {
        Supervised {
            child: Mutex::new(child),
            tail,
            ask,
            grace,
        }
    }

    /// Sets the group a [`Ask::CloseStdin`] child's stop also kills (known
    /// only once the child has reported it).
    pub fn set_ask(&mut self, ask: Ask) {
        self.ask = ask;
    }

    pub fn lock(&self) -> MutexGuard<'_, Child> {
        self.child.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn tail(&self) -> &Tail {
        &self.tail
    }

    /// Whether the child has exited (reaping it if so).
    pub fn has_exited(&self) -> bool {
        !matches!(self.lock().try_wait(), Ok(None))
    }

    /// How the child ended, as `std` words it (`exit status: 1`), or
    /// `still running`.
    pub fn status_text(&self) -> String {
        match self.lock().try_wait() {
            Ok(Some(status)) => status.to_string(),
            _ => "still running".to_string(),
        }
    }

    /// Gives up the child's stdin (for [`Ask::CloseStdin`], that is the ask).
    pub fn take_stdin(&self) -> Option<ChildStdin> {
        self.lock().stdin.take()
    }

    /// Asks, waits up to the grace, kills; always reaps. Does nothing to a
    /// child that has already exited (and been reaped).
    pub fn stop(&self) {
        let mut child = self.lock();
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        let ask = self.ask;
        stop_with_grace(
            &mut child,
            self.grace,
            |child| match ask {
                Ask::Term => signal(child.id(), Signal::SIGTERM),
                Ask::CloseStdin { .. } => {
                    drop(child.stdin.take());
                    true
                }
            },
            |child| !matches!(child.try_wait(), Ok(None)),
            |child, exited| {
                if exited {
                    return;
                }
                if let Ask::CloseStdin { group } = ask {
                    signal_group(group, Signal::SIGKILL);
                }
                let _ = child.kill();
            },
        );
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        self.stop();
    }
}
