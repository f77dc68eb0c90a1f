//! The help overlay (`?`) listing every key, and the footer line: the key
//! hints that fit the width, or the feedback of the last key press.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use super::theme::Theme;

/// (keys, what they do) by group; the single source for overlay and docs.
pub const KEY_GROUPS: [(&str, &[(&str, &str)]); 4] = [
    (
        "Load",
        &[
            ("c / C", "connections ÷2 / ×2"),
            ("r / R", "rate ÷1.25 / ×1.25 (open)"),
            ("t / T", "threads −1 / +1"),
            ("n", "next stage now"),
            ("h", "hold / release this stage"),
            ("space", "pause / resume sending"),
        ],
    ),
    (
        "Server (embedded target)",
        &[
            ("p / P", "pool size down / up"),
            ("o / O", "hold time ÷2 / ×2"),
            ("s", "load shedding on / off"),
            ("i", "orders index on / off"),
        ],
    ),
    (
        "View",
        &[
            ("z / Z", "window 30→60→120→300 s"),
            ("w", "restart charts from now"),
            ("?", "this help (Esc closes)"),
        ],
    ),
    (
        "Run",
        &[
            ("S", "save a report now"),
            ("q Esc ^C", "stop the run, show summary"),
            ("q again", "leave at once"),
        ],
    ),
];

pub struct HelpOverlay {
    pub theme: Theme,
}

impl Widget for HelpOverlay {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let mut columns: [Vec<Line<'_>>; 2] = [Vec::new(), Vec::new()];
        for (i, (group, keys)) in KEY_GROUPS.iter().enumerate() {
            let column = &mut columns[usize::from(i >= 2)];
            if !column.is_empty() {
                column.push(Line::raw(""));
            }
            column.push(Line::from(Span::styled(*group, t.title())));
            for (key, what) in keys.iter() {
                column.push(Line::from(vec![
                    Span::styled(format!(" {key:<9}"), t.key()),
                    Span::raw(*what),
                ]));
            }
        }
        let height = columns.iter().map(Vec::len).max().unwrap_or(0) as u16 + 2;
        let width = 80u16.min(area.width);
        let height = height.min(area.height);
        let popup = Rect {
            x: area.x + (area.width - width) / 2,
            y: area.y + (area.height - height) / 2,
            width,
            height,
        };
        Clear.render(popup, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.key())
            .title(Span::styled(" Keys — ? or Esc closes ", t.title()));
        let inner = block.inner(popup);
        block.render(popup, buf);
        let half = inner.width / 2;
        let [left, right] = columns;
        Paragraph::new(left).render(
            Rect {
                width: half,
                ..inner
            },
            buf,
        );
        Paragraph::new(right).render(
            Rect {
                x: inner.x + half + 1,
                width: inner.width.saturating_sub(half + 1),
                ..inner
            },
            buf,
        );
    }
}

pub struct Footer<'a> {
    pub hint: Option<&'a str>,
    pub finished: bool,
    /// The embedded server is the target: its knob keys apply.
    pub server: bool,
    pub theme: Theme,
}

const FOOTER_KEYS: [(&str, &str); 11] = [
    ("?", "help"),
    ("q", "quit"),
    ("c/C", "conns"),
    ("r/R", "rate"),
    ("t/T", "threads"),
    ("n", "next"),
    ("h", "hold"),
    ("␣", "pause"),
    ("p/P o/O s", "server"),
    ("z/Z", "zoom"),
    ("S", "save"),
];

impl Widget for Footer<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        if let Some(hint) = self.hint {
            buf.set_style(area, t.hint());
            Line::from(format!(" {hint}"))
                .style(t.hint())
                .render(area, buf);
            return;
        }
        let keys: &[(&str, &str)] = if self.finished {
            &[("q", "quit"), ("z/Z", "zoom"), ("?", "help")]
        } else {
            &FOOTER_KEYS
        };
        let mut spans = Vec::new();
        let mut used = 0usize;
        for (key, what) in keys
            .iter()
            .filter(|(_, what)| self.server || *what != "server")
        {
            let width = key.chars().count() + what.chars().count() + 3;
            if used + width > usize::from(area.width) {
                break;
            }
            used += width;
            spans.push(Span::styled(format!(" {key}"), t.key()));
            spans.push(Span::styled(format!(" {what} "), t.label()));
        }
        Line::from(spans).render(area, buf);
    }
}
