//! The live dashboard. Data flows one way: the session publishes a
//! `Snapshot` on a watch channel; `view::render` draws it (pure, from the
//! snapshot and the view-only `AppState`); key presses become `Control`s sent
//! back to the session (`keys::on_key`, pure) or `ViewChange`s applied to the
//! `AppState`. `app::run` is the only part that touches the terminal, behind
//! the restore-on-drop-and-panic guard in `terminal`.

mod app;
mod axes;
mod charts;
mod db_panel;
mod diagnosis_line;
mod format;
mod header;
mod help;
mod keys;
mod panels;
mod requests;
mod resource_charts;
mod series;
mod server_panel;
mod state;
mod summary;
mod terminal;
mod theme;
mod view;

pub use app::{run, run_with_state};
pub use help::KEY_GROUPS;
pub use keys::{KeyOutcome, describe, latest_second, on_key};
pub use state::{AppState, DEFAULT_WINDOW_SECS, ViewChange, WINDOW_STEPS, apply};
pub use terminal::{restore_terminal, restore_terminal_if_active};
pub use view::{draw, render};

/// A rendered buffer as one string per row, for widget tests.
#[cfg(test)]
pub(crate) fn buffer_rows(buf: &ratatui::buffer::Buffer) -> Vec<String> {
    let area = buf.area;
    (0..area.height)
        .map(|y| (0..area.width).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("terminal I/O failed: {0}")]
    Io(#[from] std::io::Error),
    /// A thread panicked while the dashboard was up; the terminal was
    /// restored and the panic message printed by the panic hook.
    #[error("a thread panicked while the dashboard was running")]
    Panicked,
}
