//! The number panels under the charts: latency percentiles (last second and
//! whole stage), responses (status codes, errors by kind), connections and
//! processes, and the embedded server's live stats (in `server_panel`). Each is built from one
//! slice of the snapshot; `Traffic` condenses the last three for 80×24.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use super::format;
pub use super::server_panel::ServerPanel;
use super::server_panel::{fit, server_lines};
use super::theme::{Theme, colors, panel_block};
use crate::snapshot::{LatencyView, Snapshot};

/// Width the latency table needs inside its border.
pub const LATENCY_TABLE_WIDTH: u16 = 5 + 5 * 6;

pub struct LatencyPanel<'a> {
    pub snapshot: &'a Snapshot,
    pub theme: Theme,
}

impl Widget for LatencyPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let s = self.snapshot;
        let header = Line::from(Span::styled(
            format!(
                "{:5}{:>6}{:>6}{:>6}{:>6}{:>6}",
                "", "p50", "p90", "p99", "p99.9", "max"
            ),
            t.label(),
        ));
        let row = |label: &str, v: &LatencyView| {
            let cell = |us: u64| {
                // No responses means no latency, not a latency of zero.
                let text = if v.count == 0 {
                    "-".to_string()
                } else {
                    format::latency_us(us)
                };
                format!("{text:>6}")
            };
            Line::from(vec![
                Span::styled(format!("{label:5}"), t.label()),
                Span::styled(cell(v.p50_us), t.value()),
                Span::styled(cell(v.p90_us), t.value()),
                Span::styled(cell(v.p99_us), t.fg(colors::P99).patch(t.value())),
                Span::styled(cell(v.p999_us), t.value()),
                Span::styled(cell(v.max_us), t.value()),
            ])
        };
        let counts = Line::from(vec![
            Span::styled("stage: ", t.label()),
            Span::styled(format::count(s.stage_latency.count as f64), t.value()),
            Span::styled(" responses, mean ", t.label()),
            Span::styled(
                format::latency_us(s.stage_latency.mean_us as u64),
                t.value(),
            ),
        ]);
        let mut lines = vec![
            header,
            row("1s", &s.interval),
            row("stage", &s.stage_latency),
            counts,
        ];
        // The generator's own error and the per-phase times of the stage,
        // below the counts so that a short panel keeps the latency first.
        for (label, phase) in [
            ("lag", &s.stage_send_lag),
            ("conn", &s.stage_connect),
            ("ttfb", &s.stage_ttfb),
        ] {
            if phase.count > 0 {
                lines.push(row(label, phase));
            }
        }
        if !s.model.corrected() {
            lines.push(Line::from(Span::styled(
                "closed model: not corrected",
                t.warn(),
            )));
        }
        Paragraph::new(lines)
            .block(panel_block("Latency", t))
            .render(area, buf);
    }
}

fn status_style(theme: Theme, code: u16) -> Style {
    match code {
        200..=399 => theme.good(),
        400..=499 => theme.warn(),
        _ => theme.bad(),
    }
}

/// Status codes and errors of the current stage.
pub struct ResponsesPanel<'a> {
    pub snapshot: &'a Snapshot,
    pub theme: Theme,
}

impl Widget for ResponsesPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let s = self.snapshot;
        let total: u64 = s.status_codes.iter().map(|(_, n)| n).sum();
        let mut lines: Vec<Line<'_>> = s
            .status_codes
            .iter()
            .map(|&(code, n)| {
                let share = if total > 0 {
                    n as f64 * 100.0 / total as f64
                } else {
                    0.0
                };
                Line::from(vec![
                    Span::styled(format!("{code:<4}"), status_style(t, code)),
                    Span::styled(format!("{:>7}", format::count(n as f64)), t.value()),
                    Span::styled(format!(" {share:5.1}%"), t.label()),
                ])
            })
            .collect();
        if lines.is_empty() {
            lines.push(Line::from(Span::styled("no responses yet", t.label())));
        }
        if s.errors.is_empty() {
            // Transport errors only: answers >= 400 are the status lines above.
            lines.push(Line::from(Span::styled("no transport errors", t.label())));
        } else {
            for (kind, n) in &s.errors {
                lines.push(Line::from(vec![
                    Span::styled(format!("{:<15}", kind.as_str()), t.bad()),
                    Span::styled(format!("{:>6}", format::count(*n as f64)), t.value()),
                ]));
            }
        }
        Paragraph::new(lines)
            .block(panel_block("Responses (stage)", t))
            .render(area, buf);
    }
}

pub struct ConnectionsPanel<'a> {
    pub snapshot: &'a Snapshot,
    pub theme: Theme,
}

impl Widget for ConnectionsPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let s = self.snapshot;
        let c = &s.connection_stats;
        let kv = |k: &str, v: String| {
            Line::from(vec![
                Span::styled(format!("{k:<11}"), t.label()),
                Span::styled(v, t.value()),
            ])
        };
        let mut lines = vec![
            kv("open", c.open.to_string()),
            kv("connects", c.connects.to_string()),
            kv("reconnects", c.reconnects.to_string()),
        ];
        if let Some(r) = &s.resources {
            lines.push(kv(
                "loadtop",
                format!("{} thr {} sock", r.threads_generator, r.sockets_generator),
            ));
            if let (Some(threads), Some(sockets)) = (r.threads_target, r.sockets_target) {
                let busiest = r.target_signals.process.map_or_else(String::new, |p| {
                    format!(" · busiest {:.0}%", p.busiest_thread_cpu)
                });
                lines.push(kv(
                    "target",
                    format!("{threads} thr {sockets} sock{busiest}"),
                ));
            }
            // The target port's sockets by state, and connections lost at
            // a full accept queue: where a slow accept loop shows first.
            if let Some(states) = r.target_signals.sockets {
                let dropped = r.target_signals.listen.map_or(0, |listen| listen.overflows);
                lines.push(kv(
                    "sockets",
                    format!(
                        "est {} tw {} cw {} drop {dropped}",
                        states.established, states.time_wait, states.close_wait
                    ),
                ));
            }
        }
        Paragraph::new(lines)
            .block(panel_block("Connections", t))
            .render(area, buf);
    }
}

/// Responses, connections and server condensed to four lines for 80×24.
pub struct TrafficPanel<'a> {
    pub snapshot: &'a Snapshot,
    pub theme: Theme,
}

impl Widget for TrafficPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let s = self.snapshot;
        let width = usize::from(area.width.saturating_sub(2));
        let mut items: Vec<Vec<Span<'static>>> = s
            .status_codes
            .iter()
            .map(|&(code, n)| {
                vec![
                    Span::styled(code.to_string(), status_style(t, code)),
                    Span::styled(format!(" {}", format::count(n as f64)), t.value()),
                ]
            })
            .collect();
        if items.is_empty() {
            items.push(vec![Span::styled("no responses", t.label())]);
        }
        if s.errors.is_empty() {
            items.push(vec![Span::styled("no transport errors", t.label())]);
        }
        for (kind, n) in &s.errors {
            items.push(vec![
                Span::styled(kind.as_str(), t.bad()),
                Span::styled(format!(" {}", format::count(*n as f64)), t.value()),
            ]);
        }
        let c = &s.connection_stats;
        let pair = |n: u64, what: &str| {
            vec![
                Span::styled(n.to_string(), t.value()),
                Span::styled(format!(" {what}"), t.label()),
            ]
        };
        let conns = fit(
            vec![
                pair(c.open, "open conns"),
                pair(c.connects, "connects"),
                pair(c.reconnects, "reconnects"),
            ],
            width,
            t,
        );
        let mut lines = vec![fit(items, width, t), conns];
        lines.extend(server_lines(s, t, Some(width)));
        Paragraph::new(lines)
            .block(panel_block("Responses · conns · server", t))
            .render(area, buf);
    }
}

/// The latest session events (stage changes, knob changes, saves).
pub struct EventsPanel<'a> {
    pub snapshot: &'a Snapshot,
    pub theme: Theme,
}

impl Widget for EventsPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let room = usize::from(area.height.saturating_sub(1));
        let events = &self.snapshot.events;
        let lines: Vec<Line<'_>> = events[events.len().saturating_sub(room)..]
            .iter()
            .map(|e| {
                Line::from(vec![
                    Span::styled(format!("{:>6} ", format::clock_duration(e.at)), t.label()),
                    Span::raw(e.text.clone()),
                ])
            })
            .collect();
        Paragraph::new(lines)
            .block(
                Block::default()
                    .borders(Borders::TOP)
                    .border_style(t.border())
                    .title(Span::styled(" Events ", t.title())),
            )
            .render(area, buf);
    }
}
