//! The event loop: reads the latest `Snapshot` from the session's watch
//! channel, redraws about ten times a second, turns key presses into
//! `Control`s on the session's channel and view changes on `AppState`.
//!
//! Quitting: the first q / Esc / Ctrl-C sends `Control::Quit` and keeps the
//! dashboard up (header shows STOPPING) until the session reports
//! `finished`; the summary then stays on screen and the next quit key leaves.
//! A second quit key before that leaves at once, as does any key once the
//! session is gone (its channel closed) without having finished.
//!
//! SIGTERM or SIGINT (`docker stop`, systemd, `timeout`) stop the session
//! through the signal handler's flag; the dashboard then leaves by itself
//! once the session has finished (report written), so the caller can print
//! the summary and exit. A second signal exits the process at once.

use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use crossterm::event::{self, Event};
use tokio::sync::watch;

use super::TuiError;
use super::keys::{KeyOutcome, describe, on_key};
use super::state::{AppState, ViewChange, apply};
use super::terminal::TerminalGuard;
use super::view;
use crate::session::Control;
use crate::snapshot::Snapshot;

const FRAME: Duration = Duration::from_millis(100);
/// Feedback lines fade after this long so the key hints come back.
const HINT_TTL: Duration = Duration::from_secs(4);
/// Bound on events handled between two frames (a held key must not starve
/// the redraw).
const MAX_EVENTS_PER_FRAME: usize = 64;

/// Runs the dashboard on the calling thread until the user leaves, with the
/// view state from the environment (`NO_COLOR`).
pub fn run(
    snapshot_rx: watch::Receiver<Snapshot>,
    control_tx: Sender<Control>,
) -> Result<(), TuiError> {
    run_with_state(AppState::from_env(), snapshot_rx, control_tx)
}

/// As `run`, starting from a given view state (e.g. a window from the CLI).
pub fn run_with_state(
    initial: AppState,
    mut snapshot_rx: watch::Receiver<Snapshot>,
    control_tx: Sender<Control>,
) -> Result<(), TuiError> {
    let mut guard = TerminalGuard::enter()?;
    let mut app = App {
        state: initial,
        snapshot: snapshot_rx.borrow_and_update().clone(),
        session_gone: false,
        signalled: false,
        awaiting_save: None,
        hint_at: None,
        control_tx,
    };
    loop {
        if guard.released() {
            return Err(TuiError::Panicked);
        }
        app.refresh(&mut snapshot_rx);
        if crate::signals::received() && app.on_signal() == Flow::Leave {
            return Ok(());
        }
        guard
            .terminal
            .draw(|frame| view::draw(frame, &app.state, &app.snapshot))?;
        let frame_start = Instant::now();
        let mut handled = 0;
        while handled < MAX_EVENTS_PER_FRAME {
            let timeout = FRAME.saturating_sub(frame_start.elapsed());
            if !event::poll(timeout)? {
                break;
            }
            handled += 1;
            // Resize needs nothing here: `draw` resizes to the new area.
            if let Event::Key(key) = event::read()?
                && app.on_key(key) == Flow::Leave
            {
                return Ok(());
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Stay,
    Leave,
}

struct App {
    state: AppState,
    snapshot: Snapshot,
    session_gone: bool,
    /// A signal stops the run: leave once it has finished.
    signalled: bool,
    /// `S` was sent (at this run time): the save event that follows
    /// replaces "saving report…".
    awaiting_save: Option<Duration>,
    hint_at: Option<Instant>,
    control_tx: Sender<Control>,
}

impl App {
    fn refresh(&mut self, snapshot_rx: &mut watch::Receiver<Snapshot>) {
        match snapshot_rx.has_changed() {
            Ok(true) => {
                let was_finished = self.snapshot.finished;
                self.snapshot = snapshot_rx.borrow_and_update().clone();
                if self.state.quitting && self.snapshot.finished && !was_finished {
                    self.set_hint("run stopped: summary below, q leaves".to_string());
                }
                if let Some(since) = self.awaiting_save {
                    self.show_save_result(since);
                }
            }
            Ok(false) => {}
            Err(_) if !self.session_gone => {
                // The sender is gone: keep its last word on screen.
                self.session_gone = true;
                self.snapshot = snapshot_rx.borrow().clone();
                if !self.snapshot.finished {
                    self.set_hint("the session ended without finishing: q leaves".to_string());
                }
            }
            Err(_) => {}
        }
        if self.hint_at.is_some_and(|at| at.elapsed() > HINT_TTL) {
            self.state.last_hint = None;
            self.hint_at = None;
        }
    }

    /// The session stops by itself on a signal; the dashboard waits for
    /// its last snapshot (the report is written by then) and leaves.
    fn on_signal(&mut self) -> Flow {
        if self.snapshot.finished || self.session_gone {
            return Flow::Leave;
        }
        if !self.signalled {
            self.signalled = true;
            self.state.quitting = true;
            self.set_hint("signal received: stopping and writing the report".to_string());
        }
        Flow::Stay
    }

    /// After `S`, the footer says where the report went (or why not)
    /// once the session has logged it, instead of "saving report…".
    fn show_save_result(&mut self, since: Duration) {
        let saved = self.snapshot.events.iter().rev().find(|e| {
            e.at >= since
                && (e.text.starts_with("report saved") || e.text.starts_with("report not saved"))
        });
        if let Some(event) = saved {
            let text = event.text.clone();
            self.awaiting_save = None;
            self.set_hint(text);
        }
    }

    fn set_hint(&mut self, hint: String) {
        self.state = apply(&self.state, ViewChange::Hint(hint));
        self.hint_at = Some(Instant::now());
    }

    fn on_key(&mut self, key: event::KeyEvent) -> Flow {
        match on_key(&self.state, &self.snapshot, key) {
            KeyOutcome::Control(Control::Quit) => {
                if self.snapshot.finished || self.state.quitting || self.session_gone {
                    return Flow::Leave;
                }
                if self.control_tx.send(Control::Quit).is_err() {
                    return Flow::Leave;
                }
                self.state.quitting = true;
                self.set_hint(describe(&self.snapshot, &Control::Quit));
            }
            KeyOutcome::Control(control) => {
                let note = describe(&self.snapshot, &control);
                if control == Control::SaveReport {
                    self.awaiting_save = Some(self.snapshot.elapsed);
                }
                if self.session_gone || self.control_tx.send(control).is_err() {
                    return Flow::Leave;
                }
                self.set_hint(note);
            }
            KeyOutcome::View(change) => {
                self.state = apply(&self.state, change);
                if self.state.last_hint.is_some() {
                    self.hint_at = Some(Instant::now());
                }
            }
            KeyOutcome::Ignored => {}
        }
        Flow::Stay
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::*;
    use crate::snapshot::Model;

    fn app(snapshot: Snapshot) -> (App, mpsc::Receiver<Control>) {
        let (control_tx, control_rx) = mpsc::channel();
        let app = App {
            state: AppState::default(),
            snapshot,
            session_gone: false,
            signalled: false,
            awaiting_save: None,
            hint_at: None,
            control_tx,
        };
        (app, control_rx)
    }

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    fn running() -> Snapshot {
        Snapshot {
            model: Model::Open { rate: 100.0 },
            connections: 8,
            ..Snapshot::default()
        }
    }

    #[test]
    fn first_quit_asks_the_session_second_leaves() {
        let (mut app, control_rx) = app(running());
        assert_eq!(app.on_key(key('q')), Flow::Stay);
        assert_eq!(control_rx.try_recv(), Ok(Control::Quit));
        assert!(app.state.quitting);
        assert_eq!(app.on_key(key('q')), Flow::Leave);
        assert!(control_rx.try_recv().is_err(), "Quit is sent once");
    }

    #[test]
    fn quit_on_the_summary_leaves_without_sending() {
        let (mut app, control_rx) = app(Snapshot {
            finished: true,
            ..running()
        });
        assert_eq!(app.on_key(key('q')), Flow::Leave);
        assert!(control_rx.try_recv().is_err());
    }

    #[test]
    fn controls_are_sent_with_feedback() {
        let (mut app, control_rx) = app(running());
        assert_eq!(app.on_key(key('C')), Flow::Stay);
        assert_eq!(control_rx.try_recv(), Ok(Control::SetConnections(16)));
        assert_eq!(app.state.last_hint.as_deref(), Some("connections 8 → 16"));
    }

    #[test]
    fn a_gone_session_ends_the_dashboard() {
        let (mut app, control_rx) = app(running());
        drop(control_rx);
        assert_eq!(app.on_key(key('c')), Flow::Leave);
        let (mut app, control_rx) = self::app(running());
        drop(control_rx);
        assert_eq!(app.on_key(key('q')), Flow::Leave);
    }

    #[test]
    fn closed_watch_keeps_the_last_snapshot_and_says_so() {
        let (snapshot_tx, mut snapshot_rx) = watch::channel(running());
        let (mut app, _control_rx) = app(Snapshot::default());
        snapshot_tx.send_replace(Snapshot {
            connections: 99,
            ..running()
        });
        app.refresh(&mut snapshot_rx);
        assert_eq!(app.snapshot.connections, 99);
        drop(snapshot_tx);
        app.refresh(&mut snapshot_rx);
        assert!(app.session_gone);
        assert_eq!(app.snapshot.connections, 99);
        assert!(
            app.state
                .last_hint
                .as_deref()
                .unwrap_or("")
                .contains("session ended")
        );
        assert_eq!(app.on_key(key('q')), Flow::Leave);
    }

    #[test]
    fn a_signal_stops_and_leaves_once_the_run_has_finished() {
        let (snapshot_tx, mut snapshot_rx) = watch::channel(running());
        let (mut app, _control_rx) = app(running());
        assert_eq!(app.on_signal(), Flow::Stay);
        assert!(app.state.quitting);
        assert!(
            app.state
                .last_hint
                .as_deref()
                .unwrap_or("")
                .contains("signal received")
        );
        snapshot_tx.send_replace(Snapshot {
            finished: true,
            ..running()
        });
        app.refresh(&mut snapshot_rx);
        assert_eq!(app.on_signal(), Flow::Leave);
    }

    #[test]
    fn after_save_the_footer_says_where_the_report_went() {
        let (snapshot_tx, mut snapshot_rx) = watch::channel(running());
        let (mut app, control_rx) = app(running());
        app.on_key(key('S'));
        assert_eq!(control_rx.try_recv(), Ok(Control::SaveReport));
        assert_eq!(app.state.last_hint.as_deref(), Some("saving report…"));
        snapshot_tx.send_replace(Snapshot {
            events: vec![crate::snapshot::EventView {
                at: Duration::from_secs(1),
                text: "report saved to r.json".into(),
            }],
            ..running()
        });
        app.refresh(&mut snapshot_rx);
        assert_eq!(
            app.state.last_hint.as_deref(),
            Some("report saved to r.json")
        );
    }

    #[test]
    fn view_keys_stay_local() {
        let (mut app, control_rx) = app(running());
        assert_eq!(app.on_key(key('?')), Flow::Stay);
        assert_eq!(app.on_key(key('Z')), Flow::Stay);
        assert!(app.state.show_help);
        assert_eq!(app.state.window_secs, 120);
        assert!(control_rx.try_recv().is_err());
    }
}
