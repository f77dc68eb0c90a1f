//! The terminal guard: raw mode, alternate screen and a hidden cursor for as
//! long as the dashboard runs, restored on drop and from a panic hook (which
//! then chains to the hook that was installed before), so neither an error
//! nor a panic leaves the user's shell unusable. A panic on another thread
//! (the session's) also restores the terminal, so its message is readable,
//! and tells the event loop to stop drawing over it.

use std::io::{self, Stdout};
use std::panic::{self, PanicHookInfo};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::cursor::{Hide, Show};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

type PanicHook = Arc<dyn Fn(&PanicHookInfo<'_>) + Send + Sync + 'static>;

pub struct TerminalGuard {
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
    previous_hook: PanicHook,
    released: Arc<AtomicBool>,
}

/// Whether a guard holds the terminal (raw mode, alternate screen), so an
/// exit from a signal knows whether there is anything to put back.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Restores the terminal only if the dashboard has it: otherwise the escape
/// sequences would land in whatever stdout is (a pipe, a file).
pub fn restore_terminal_if_active() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        restore_terminal();
    }
}

/// Best effort: each step runs even when an earlier one failed.
pub fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), LeaveAlternateScreen, Show);
}

impl TerminalGuard {
    pub fn enter() -> io::Result<Self> {
        let previous_hook: PanicHook = Arc::from(panic::take_hook());
        let chained = Arc::clone(&previous_hook);
        let released = Arc::new(AtomicBool::new(false));
        let released_by_hook = Arc::clone(&released);
        panic::set_hook(Box::new(move |info| {
            released_by_hook.store(true, Ordering::SeqCst);
            restore_terminal();
            chained(info);
        }));
        let guard_hook = previous_hook;
        let setup = || -> io::Result<Terminal<CrosstermBackend<Stdout>>> {
            enable_raw_mode()?;
            execute!(io::stdout(), EnterAlternateScreen, Hide)?;
            Terminal::new(CrosstermBackend::new(io::stdout()))
        };
        ACTIVE.store(true, Ordering::SeqCst);
        match setup() {
            Ok(terminal) => Ok(TerminalGuard {
                terminal,
                previous_hook: guard_hook,
                released,
            }),
            Err(err) => {
                ACTIVE.store(false, Ordering::SeqCst);
                restore_terminal();
                reinstall(guard_hook);
                Err(err)
            }
        }
    }
}

impl TerminalGuard {
    /// A panic somewhere restored the terminal: drawing now would bury the
    /// panic message.
    pub fn released(&self) -> bool {
        self.released.load(Ordering::SeqCst)
    }
}

fn reinstall(hook: PanicHook) {
    panic::set_hook(Box::new(move |info| hook(info)));
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ACTIVE.store(false, Ordering::SeqCst);
        restore_terminal();
        // Put the previous hook back: a later panic should not touch a
        // terminal that is no longer ours.
        if !std::thread::panicking() {
            reinstall(Arc::clone(&self.previous_hook));
        }
    }
}
