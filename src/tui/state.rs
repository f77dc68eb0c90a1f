//! View state of the dashboard: what the user looks at, never what the run
//! does. Key handling proposes a `ViewChange`; `apply` folds it in. Both are
//! pure so every key can be tested without a terminal.

/// Chart windows `z`/`Z` step through, in seconds.
pub const WINDOW_STEPS: [u64; 4] = [30, 60, 120, 300];
pub const DEFAULT_WINDOW_SECS: u64 = 60;

#[derive(Clone, Debug, PartialEq)]
pub struct AppState {
    /// Width of the charts' sliding window.
    pub window_secs: u64,
    /// Charts start no earlier than this run second (`w` sets it to now).
    pub window_start: Option<u64>,
    pub show_help: bool,
    /// `NO_COLOR`: no colours; markers, bold and reverse video instead.
    pub no_color: bool,
    /// One line of feedback for the last key (what was sent, or why not).
    pub last_hint: Option<String>,
    /// `Control::Quit` was sent; the next quit key leaves at once.
    pub quitting: bool,
}

impl Default for AppState {
    fn default() -> Self {
        AppState {
            window_secs: DEFAULT_WINDOW_SECS,
            window_start: None,
            show_help: false,
            no_color: false,
            last_hint: None,
            quitting: false,
        }
    }
}

impl AppState {
    /// Reads `NO_COLOR` (any non-empty value, as no-color.org defines it).
    pub fn from_env() -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        AppState {
            no_color,
            ..AppState::default()
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ViewChange {
    ToggleHelp,
    CloseHelp,
    ZoomIn,
    ZoomOut,
    /// Charts start from this run second.
    ResetWindow(u64),
    /// Feedback only; nothing else changes.
    Hint(String),
}

/// Folds a view change into the state; returns the new state.
pub fn apply(state: &AppState, change: ViewChange) -> AppState {
    let mut next = state.clone();
    match change {
        ViewChange::ToggleHelp => next.show_help = !state.show_help,
        ViewChange::CloseHelp => next.show_help = false,
        ViewChange::ZoomIn => {
            next.window_secs = WINDOW_STEPS
                .iter()
                .rev()
                .copied()
                .find(|&w| w < state.window_secs)
                .unwrap_or(WINDOW_STEPS[0]);
            next.last_hint = Some(format!("window {}s", next.window_secs));
        }
        ViewChange::ZoomOut => {
            next.window_secs = WINDOW_STEPS
                .iter()
                .copied()
                .find(|&w| w > state.window_secs)
                .unwrap_or(WINDOW_STEPS[WINDOW_STEPS.len() - 1]);
            next.last_hint = Some(format!("window {}s", next.window_secs));
        }
        ViewChange::ResetWindow(second) => {
            next.window_start = Some(second);
            next.last_hint = Some("charts restart from now".to_string());
        }
        ViewChange::Hint(text) => next.last_hint = Some(text),
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoom_steps_and_clamps() {
        let s = AppState::default();
        let s = apply(&s, ViewChange::ZoomIn);
        assert_eq!(s.window_secs, 30);
        let s = apply(&s, ViewChange::ZoomIn);
        assert_eq!(s.window_secs, 30);
        let s = apply(&s, ViewChange::ZoomOut);
        let s = apply(&s, ViewChange::ZoomOut);
        let s = apply(&s, ViewChange::ZoomOut);
        assert_eq!(s.window_secs, 300);
        let s = apply(&s, ViewChange::ZoomOut);
        assert_eq!(s.window_secs, 300);
        let s = apply(&s, ViewChange::ZoomIn);
        assert_eq!(s.window_secs, 120);
    }

    #[test]
    fn help_and_reset() {
        let s = apply(&AppState::default(), ViewChange::ToggleHelp);
        assert!(s.show_help);
        let s = apply(&s, ViewChange::CloseHelp);
        assert!(!s.show_help);
        let s = apply(&s, ViewChange::ResetWindow(42));
        assert_eq!(s.window_start, Some(42));
    }
}
