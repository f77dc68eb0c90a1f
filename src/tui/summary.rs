//! The end-of-run screen: one row per stage (req/s, latency percentiles,
//! errors, target CPU and peak RSS, bottleneck, verdict), the threshold verdicts and where
//! the report was written. Shown once `snapshot.finished`, until quit.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Widget};

use super::format;
use super::theme::Theme;
use super::theme::panel_block;
use crate::snapshot::{Snapshot, Verdict};

pub struct Summary<'a> {
    pub snapshot: &'a Snapshot,
    pub theme: Theme,
}

/// Rows the summary wants: borders, header, stages, thresholds, report line.
pub fn wanted_height(snapshot: &Snapshot) -> u16 {
    stages_height(snapshot) + thresholds_height(snapshot) + 1
}

fn stages_height(snapshot: &Snapshot) -> u16 {
    snapshot.stage_rows.len() as u16 + 3
}

fn thresholds_height(snapshot: &Snapshot) -> u16 {
    if snapshot.thresholds.is_empty() {
        0
    } else {
        snapshot.thresholds.len() as u16 + 2
    }
}

fn verdict_cell(verdict: Verdict, theme: Theme) -> Span<'static> {
    match verdict {
        Verdict::Pass => Span::styled("PASS", theme.good()),
        Verdict::Fail => Span::styled("FAIL", theme.bad()),
        Verdict::Pending => Span::styled("-", theme.label()),
        Verdict::NotEvaluated => Span::styled("not evaluated", theme.warn()),
    }
}

impl Widget for Summary<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let s = self.snapshot;
        let [stages_area, thresholds_area, report_area] = Layout::vertical([
            Constraint::Length(stages_height(s)),
            Constraint::Length(thresholds_height(s)),
            Constraint::Length(1),
        ])
        .areas(area);

        let header = Row::new(
            [
                "stage",
                "req/s",
                "p50",
                "p99",
                "p99.9",
                "errors",
                "tgt CPU",
                "peak RSS",
                "bottleneck",
                "verdict",
            ]
            .map(|h| Cell::from(Span::styled(h, t.label()))),
        );
        let rows = s.stage_rows.iter().map(|r| {
            let errors = if r.errors == 0 {
                "0".to_string()
            } else {
                format!(
                    "{} {:.1}%",
                    format::count(r.errors as f64),
                    r.error_rate * 100.0
                )
            };
            let name = if r.cut {
                format!("{} (cut)", r.name)
            } else {
                r.name.clone()
            };
            Row::new(vec![
                Cell::from(Span::styled(name, t.title())),
                Cell::from(format::count(r.rps)),
                Cell::from(format::latency_us(r.p50_us)),
                Cell::from(format::latency_us(r.p99_us)),
                Cell::from(format::latency_us(r.p999_us)),
                Cell::from(errors),
                Cell::from(r.cpu_target_mean.map_or("-".into(), |c| format!("{c:.0}%"))),
                Cell::from(r.rss_target_peak.map_or("-".into(), format::bytes)),
                Cell::from(r.bottleneck.map_or("-", |b| b.label())),
                Cell::from(verdict_cell(r.verdict, t)),
            ])
        });
        let not_evaluated = s
            .thresholds
            .iter()
            .any(|th| th.verdict == Verdict::NotEvaluated);
        let stopped = not_evaluated || s.stage_rows.iter().any(|r| r.cut);
        let title = format!(
            "Run {} after {} · {} stage{}{}",
            if stopped { "stopped" } else { "finished" },
            format::clock_duration(s.elapsed),
            s.stage_rows.len(),
            if s.stage_rows.len() == 1 { "" } else { "s" },
            if not_evaluated {
                " · thresholds not evaluated (interrupted)"
            } else {
                ""
            }
        );
        let name_width = s
            .stage_rows
            .iter()
            .map(|r| r.name.chars().count() + if r.cut { 6 } else { 0 })
            .max()
            .unwrap_or(0)
            .clamp(6, 24) as u16;
        Table::new(
            rows,
            [
                Constraint::Length(name_width),
                Constraint::Length(7),
                Constraint::Length(6),
                Constraint::Length(6),
                Constraint::Length(6),
                // `10.3k 22.8%`, the widest errors cell, fits.
                Constraint::Length(12),
                Constraint::Length(7),
                Constraint::Length(8),
                // `target_thread`, the longest label.
                Constraint::Length(13),
                Constraint::Length(13),
            ],
        )
        .header(header)
        .column_spacing(1)
        .block(panel_block(&title, t))
        .render(stages_area, buf);

        if !s.thresholds.is_empty() {
            let lines: Vec<Line<'_>> = s
                .thresholds
                .iter()
                .map(|th| {
                    Line::from(vec![
                        verdict_cell(th.verdict, t),
                        Span::raw("  "),
                        Span::styled(th.expr.clone(), t.value()),
                        Span::styled(
                            format!("  [{}]", th.stage.as_deref().unwrap_or("whole run")),
                            t.label(),
                        ),
                        Span::styled("  observed ", t.label()),
                        Span::styled(th.observed.clone(), t.value()),
                    ])
                })
                .collect();
            Paragraph::new(lines)
                .block(panel_block("Thresholds", t))
                .render(thresholds_area, buf);
        }

        let report = match &s.report_path {
            Some(path) => Line::from(vec![
                Span::styled(" report: ", t.label()),
                Span::styled(path.display().to_string(), t.value()),
            ]),
            None => Line::from(Span::styled(" no report written", t.label())),
        };
        Paragraph::new(report)
            .block(Block::default().borders(Borders::NONE))
            .render(report_area, buf);
    }
}
