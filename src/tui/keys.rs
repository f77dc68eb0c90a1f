//! Key presses → what they mean: a `Control` for the session (values
//! absolute, computed from the snapshot on screen) or a `ViewChange` for the
//! dashboard alone. Pure: the event loop sends and applies the outcome.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::state::{AppState, ViewChange};
use crate::server::knobs::KnobPatch;
use crate::session::Control;
use crate::snapshot::{Model, Snapshot};

/// The engine's own bounds for threads and connections.
pub use crate::load::{MAX_CONNECTIONS, MAX_THREADS};
/// Bounds that keep a held-down key from asking for something absurd.
pub const MAX_RATE: f64 = 10_000_000.0;
pub const MAX_POOL_SIZE: u64 = 10_000;
/// The server's own bound on `db_pool_size`.
pub const MAX_DB_POOL_SIZE: u64 = 1_000;
pub const MAX_HOLD_MS: u64 = 60_000;
/// Rate keys multiply or divide by this.
pub const RATE_STEP: f64 = 1.25;

#[derive(Clone, Debug, PartialEq)]
pub enum KeyOutcome {
    /// Send to the session.
    Control(Control),
    /// Change only what is shown.
    View(ViewChange),
    Ignored,
}

pub fn on_key(state: &AppState, snapshot: &Snapshot, key: KeyEvent) -> KeyOutcome {
    if !matches!(key.kind, KeyEventKind::Press | KeyEventKind::Repeat) {
        return KeyOutcome::Ignored;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        // Raw mode delivers Ctrl-C as a key, not a signal.
        KeyCode::Char('c') if ctrl => KeyOutcome::Control(Control::Quit),
        KeyCode::Char('q') | KeyCode::Char('Q') => KeyOutcome::Control(Control::Quit),
        KeyCode::Esc if state.show_help => KeyOutcome::View(ViewChange::CloseHelp),
        KeyCode::Esc => KeyOutcome::Control(Control::Quit),
        KeyCode::Char('?') => KeyOutcome::View(ViewChange::ToggleHelp),
        KeyCode::Char('z') => KeyOutcome::View(ViewChange::ZoomIn),
        KeyCode::Char('Z') => KeyOutcome::View(ViewChange::ZoomOut),
        KeyCode::Char('w') => KeyOutcome::View(ViewChange::ResetWindow(latest_second(snapshot))),
        KeyCode::Char(_) if ctrl => KeyOutcome::Ignored,
        KeyCode::Char(c) if snapshot.finished && is_load_key(c) => {
            hint("the run has finished: q quits")
        }
        KeyCode::Char(c) => load_key(snapshot, c),
        _ => KeyOutcome::Ignored,
    }
}

fn is_load_key(c: char) -> bool {
    "cCrRtTnh pPoOsSi".contains(c)
}

fn load_key(snapshot: &Snapshot, c: char) -> KeyOutcome {
    let control = match c {
        'c' => Control::SetConnections((snapshot.connections / 2).max(1)),
        'C' => Control::SetConnections((snapshot.connections.max(1) * 2).min(MAX_CONNECTIONS)),
        'r' | 'R' => {
            let Model::Open { rate } = snapshot.model else {
                return hint(
                    "rate applies to the open model (run with --rate); \
                     closed model: change connections with c/C",
                );
            };
            // At small rates the factor rounds away; always move by at least 1.
            let next = if c == 'r' {
                (rate / RATE_STEP).round().min(rate - 1.0)
            } else {
                (rate * RATE_STEP).round().max(rate + 1.0)
            };
            Control::SetRate(next.clamp(1.0, MAX_RATE))
        }
        't' if snapshot.threads <= 1 => return hint("threads: already at the minimum of 1"),
        't' => Control::SetThreads(snapshot.threads - 1),
        'T' if snapshot.threads >= MAX_THREADS => {
            return hint(&format!("threads: already at the maximum of {MAX_THREADS}"));
        }
        'T' => Control::SetThreads(snapshot.threads + 1),
        'n' => Control::NextStage,
        'h' => Control::ToggleHold,
        ' ' => Control::TogglePause,
        'S' => Control::SaveReport,
        'p' | 'P' | 'o' | 'O' | 's' | 'i' => return knob_key(snapshot, c),
        _ => return KeyOutcome::Ignored,
    };
    KeyOutcome::Control(control)
}

fn knob_key(snapshot: &Snapshot, c: char) -> KeyOutcome {
    let Some(server) = &snapshot.server else {
        return hint("server knobs need the embedded target (a profile without target.url)");
    };
    let mut change = KnobPatch::default();
    match (c, &server.db) {
        // With a real database the panel shows its pool: p/P size that one.
        ('p', Some(db)) => {
            change.db_pool_size = Some(pool_step_down(db.pool_size).min(MAX_DB_POOL_SIZE))
        }
        ('P', Some(db)) => {
            change.db_pool_size = Some(pool_step_up(db.pool_size).min(MAX_DB_POOL_SIZE))
        }
        _ => {}
    }
    if change.db_pool_size.is_some() {
        return KeyOutcome::Control(Control::Knobs(Box::new(change)));
    }
    match c {
        'p' => change.pool_size = Some(pool_step_down(server.pool_size)),
        'P' => change.pool_size = Some(pool_step_up(server.pool_size)),
        'o' => change.hold_ms = Some(server.hold_ms / 2),
        'O' => {
            let next = if server.hold_ms == 0 {
                10
            } else {
                server.hold_ms * 2
            };
            change.hold_ms = Some(next.min(MAX_HOLD_MS));
        }
        's' => change.load_shedding = Some(!server.load_shedding),
        'i' => {
            let Some(db) = &server.db else {
                return hint(
                    "the orders index needs a database ([server] database = \"embedded\")",
                );
            };
            change.orders_index = Some(!db.orders_index);
        }
        _ => return KeyOutcome::Ignored,
    }
    KeyOutcome::Control(Control::Knobs(Box::new(change)))
}

/// Steps of about a quarter, never less than one, so small pools (the ones
/// that exhaust in demos) move one slot at a time.
fn pool_step_down(size: u64) -> u64 {
    size.saturating_sub((size / 4).max(1)).max(1)
}

fn pool_step_up(size: u64) -> u64 {
    (size + (size / 4).max(1)).min(MAX_POOL_SIZE)
}

fn hint(text: &str) -> KeyOutcome {
    KeyOutcome::View(ViewChange::Hint(text.to_string()))
}

/// The newest second on the timeline (the charts' "now").
pub fn latest_second(snapshot: &Snapshot) -> u64 {
    snapshot
        .timeline
        .last()
        .map_or(snapshot.elapsed.as_secs(), |p| p.second)
}

/// One line saying what a sent control asks for, for the footer.
pub fn describe(snapshot: &Snapshot, control: &Control) -> String {
    match control {
        Control::SetConnections(n) => format!("connections {} → {n}", snapshot.connections),
        Control::SetRate(r) => match snapshot.model {
            Model::Open { rate } => format!("rate {rate:.0} → {r:.0} req/s"),
            Model::Closed => format!("rate → {r:.0} req/s"),
        },
        Control::SetThreads(n) => format!("threads {} → {n}", snapshot.threads),
        Control::NextStage => "next stage".to_string(),
        Control::ToggleHold => {
            let held = snapshot.stage.as_ref().is_some_and(|s| s.held);
            if held {
                "releasing stage"
            } else {
                "holding stage"
            }
            .to_string()
        }
        Control::TogglePause => if snapshot.paused {
            "resuming"
        } else {
            "pausing"
        }
        .to_string(),
        Control::Knobs(change) => describe_knobs(snapshot, change),
        Control::SaveReport => "saving report…".to_string(),
        Control::Quit => "stopping: waiting for the run to finish (q again leaves now)".to_string(),
    }
}

fn describe_knobs(snapshot: &Snapshot, change: &KnobPatch) -> String {
    let server = snapshot.server.as_ref();
    let mut parts = Vec::new();
    if let Some(size) = change.pool_size {
        let was = server.map_or(0, |s| s.pool_size);
        parts.push(format!("pool size {was} → {size}"));
    }
    if let Some(ms) = change.hold_ms {
        let was = server.map_or(0, |s| s.hold_ms);
        parts.push(format!("hold {was}ms → {ms}ms"));
    }
    if let Some(on) = change.load_shedding {
        parts.push(format!("load shedding {}", if on { "on" } else { "off" }));
    }
    if let Some(size) = change.db_pool_size {
        let was = server
            .and_then(|s| s.db.as_ref())
            .map_or(0, |db| db.pool_size);
        parts.push(format!("database pool {was} → {size}"));
    }
    if let Some(on) = change.orders_index {
        parts.push(if on {
            "building the orders index".to_string()
        } else {
            "dropping the orders index".to_string()
        });
    }
    parts.join(", ")
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
