//! The requests panel, shown when the run sends a mix: one row per request
//! name with its share of the stage's sends, last-second rate, and the
//! stage's p50, p99 and failures, so a slow endpoint stands out from the
//! fast ones it drags along. Pure: it reads `Snapshot::requests` and draws.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::format;
use super::theme::Theme;
use super::theme::panel_block;
use crate::snapshot::Snapshot;

/// Rows shown before the panel says how many more there are.
pub const MAX_ROWS: usize = 6;

/// Height the panel wants: its rows, a header line and the border.
pub fn wanted_height(snapshot: &Snapshot) -> u16 {
    match snapshot.requests.len() {
        0 => 0,
        n => n.min(MAX_ROWS + 1) as u16 + 3,
    }
}

pub struct RequestsPanel<'a> {
    pub snapshot: &'a Snapshot,
    pub theme: Theme,
}

impl Widget for RequestsPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let rows = &self.snapshot.requests;
        // Name column: what is left after the five figures (7+9+9+9+7 wide).
        let inner = usize::from(area.width.saturating_sub(2));
        let name_width = inner.saturating_sub(42).clamp(4, 40);
        let header = format!(
            "{:<name_width$} {:>6} {:>8} {:>8} {:>8} {:>7}",
            "request", "share", "req/s", "p50", "p99", "failed"
        );
        let mut lines = vec![Line::from(Span::styled(header, t.label()))];
        for row in rows.iter().take(MAX_ROWS) {
            let name: String = row.name.chars().take(name_width).collect();
            let failed_style = if row.failed > 0 { t.bad() } else { t.value() };
            lines.push(Line::from(vec![
                Span::styled(format!("{name:<name_width$} "), t.value()),
                Span::styled(format!("{:>5.1}% ", row.share * 100.0), t.dim()),
                Span::styled(format!("{:>8} ", format::rate(row.rps)), t.value()),
                Span::styled(
                    format!("{:>8} ", format::latency_us(row.latency.p50_us)),
                    t.value(),
                ),
                Span::styled(
                    format!("{:>8} ", format::latency_us(row.latency.p99_us)),
                    t.value(),
                ),
                Span::styled(format!("{:>7}", row.failed), failed_style),
            ]));
        }
        if rows.len() > MAX_ROWS {
            lines.push(Line::from(Span::styled(
                format!("… {} more in the report", rows.len() - MAX_ROWS),
                t.dim(),
            )));
        }
        Paragraph::new(lines)
            .block(panel_block("Requests (this stage)", t))
            .render(area, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{LatencyView, RequestRow};

    fn row(name: &str, share: f64, p99_us: u64, failed: u64) -> RequestRow {
        RequestRow {
            name: name.into(),
            share,
            rps: share * 500.0,
            latency: LatencyView {
                p50_us: p99_us / 3,
                p99_us,
                ..LatencyView::default()
            },
            failed,
        }
    }

    fn text_of(buf: &Buffer) -> String {
        crate::tui::buffer_rows(buf).join("\n")
    }

    #[test]
    fn each_request_name_gets_its_row_and_overflow_is_counted() {
        let mut snapshot = Snapshot::default();
        assert_eq!(wanted_height(&snapshot), 0);
        snapshot.requests = vec![
            row("GET /user", 0.95, 9_900, 0),
            row("GET /report", 0.05, 660_000, 3),
        ];
        assert_eq!(wanted_height(&snapshot), 5);
        let area = Rect::new(0, 0, 70, 5);
        let mut buf = Buffer::empty(area);
        RequestsPanel {
            snapshot: &snapshot,
            theme: Theme::new(true),
        }
        .render(area, &mut buf);
        let text = text_of(&buf);
        let report_line = text.lines().find(|l| l.contains("GET /report")).unwrap();
        assert!(report_line.contains("5.0%"), "{text}");
        assert!(report_line.contains("660"), "{text}");
        assert!(
            report_line.trim_end_matches('│').trim_end().ends_with('3'),
            "{text}"
        );

        snapshot.requests = (0..9)
            .map(|i| row(&format!("/p{i}"), 0.1, 1_000, 0))
            .collect();
        assert_eq!(wanted_height(&snapshot), (MAX_ROWS + 1) as u16 + 3);
        let area = Rect::new(0, 0, 70, wanted_height(&snapshot));
        let mut buf = Buffer::empty(area);
        RequestsPanel {
            snapshot: &snapshot,
            theme: Theme::new(true),
        }
        .render(area, &mut buf);
        assert!(text_of(&buf).contains("3 more in the report"));
    }
}
