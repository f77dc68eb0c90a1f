//! SIGINT and SIGTERM for the whole process, installed once at start (before
//! any input is read, so a profile or body file that never arrives, e.g. a
//! FIFO with no writer, can still be interrupted).
//!
//! Until a run is armed, a signal exits at once with 130: nothing has been
//! measured. While a run is armed, the first signal only sets the run's flag
//! (the session stops and writes its report); a second one exits at once,
//! after putting the terminal back if the dashboard had it. Children are not
//! left behind by such an exit: they watch a pipe from this process (see
//! `server::child` and `session::target`).
//!
//! Whoever waits on something other than the flag (the session blocks on
//! its event channel) registers a waker with [`on_interrupt`], called right
//! after the flag is set, so the signal is noticed at once, not polled.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// 128 + SIGINT, as shells report Ctrl-C.
const INTERRUPTED: i32 = 130;

#[derive(Default)]
struct State {
    received: AtomicUsize,
    /// The running session's stop flag, once armed.
    run: Mutex<Option<Arc<AtomicBool>>>,
    /// Called once the flag is set, each under the id its guard removes.
    wakers: Mutex<Vec<(u64, Waker)>>,
}

type Waker = Box<dyn Fn() + Send>;

/// Removes its waker when dropped.
#[must_use = "the waker is removed when the guard drops"]
pub struct WakerGuard(u64);

impl Drop for WakerGuard {
    fn drop(&mut self) {
        let mut wakers = state()
            .wakers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        wakers.retain(|(id, _)| *id != self.0);
    }
}

/// Calls `wake` (on the signal thread) each time a signal sets an armed
/// run's flag, until the guard drops. A signal that came before is not
/// replayed: check the flag after registering.
pub fn on_interrupt(wake: impl Fn() + Send + 'static) -> WakerGuard {
    static NEXT_ID: AtomicU64 = AtomicU64::new(0);
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    state()
        .wakers
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((id, Box::new(wake)));
    WakerGuard(id)
}

static STATE: OnceLock<State> = OnceLock::new();

fn state() -> &'static State {
    STATE.get_or_init(State::default)
}

/// Starts listening for SIGINT and SIGTERM (idempotent).
pub fn install() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        let _ = std::thread::Builder::new()
            .name("loadtop-signals".into())
            .spawn(listen);
    });
}

/// From now on the first signal stops the run through `flag` rather than
/// the process; a signal that came before is passed on at once.
pub fn arm(flag: Arc<AtomicBool>) {
    install();
    let state = state();
    if state.received.load(Ordering::SeqCst) > 0 {
        flag.store(true, Ordering::SeqCst);
    }
    *state.run.lock().unwrap_or_else(PoisonError::into_inner) = Some(flag);
}

/// Whether SIGINT or SIGTERM has arrived.
pub fn received() -> bool {
    STATE
        .get()
        .is_some_and(|s| s.received.load(Ordering::SeqCst) > 0)
}

fn listen() {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    runtime.block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return;
        };
        loop {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            on_signal();
        }
    });
}

fn on_signal() {
    let state = state();
    let count = state.received.fetch_add(1, Ordering::SeqCst) + 1;
    let run = state
        .run
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    match run {
        Some(flag) if count == 1 => {
            flag.store(true, Ordering::SeqCst);
            let wakers = state.wakers.lock().unwrap_or_else(PoisonError::into_inner);
            wakers.iter().for_each(|(_, wake)| wake());
        }
        Some(_) => exit_now("interrupted again: leaving without waiting for the run to stop"),
        None => exit_now("interrupted"),
    }
}

// A second signal (or one before any run) must end the process even while
// the run is stuck; the terminal is restored first.
#[allow(clippy::exit)]
fn exit_now(message: &str) -> ! {
    crate::tui::restore_terminal_if_active();
    eprintln!("loadtop: {message}");
    std::process::exit(INTERRUPTED);
}
