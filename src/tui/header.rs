//! The two header lines: what is loaded and how (target, load model, threads,
//! connections, flags), then where the run is (stage, its progress gauge,
//! elapsed/total). Also the banners: one highlighted line per reason the
//! numbers on screen cannot be trusted.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{LineGauge, Paragraph, Widget};

use super::format;
use super::theme::Theme;
use crate::snapshot::{Model, SaturatedParty, Snapshot};

pub struct Header<'a> {
    pub snapshot: &'a Snapshot,
    pub theme: Theme,
    /// Quit was sent and the run is winding down.
    pub stopping: bool,
}

impl Widget for Header<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.height == 0 {
            return;
        }
        let [top, bottom] =
            Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
        self.render_load_line(top, buf);
        self.render_stage_line(bottom, buf);
    }
}

impl Header<'_> {
    fn flags(&self) -> Vec<&'static str> {
        let s = self.snapshot;
        let mut flags = Vec::new();
        if s.finished {
            flags.push("FINISHED");
        } else if self.stopping {
            flags.push("STOPPING");
        }
        if s.paused {
            flags.push("PAUSED");
        }
        if s.stage.as_ref().is_some_and(|st| st.held) {
            flags.push("HELD");
        }
        flags
    }

    fn render_load_line(&self, area: Rect, buf: &mut Buffer) {
        let s = self.snapshot;
        let t = self.theme;
        let build = |verbose: bool| {
            let target = if s.target.is_empty() {
                "starting…".to_string()
            } else {
                s.target.clone()
            };
            let mut spans = vec![
                Span::styled("loadtop ", t.title()),
                Span::styled(target, t.value()),
                Span::styled(" │ ", t.border()),
            ];
            match s.model {
                Model::Open { rate } => {
                    spans.push(Span::styled(
                        format!("open {} req/s", format::rate(rate)),
                        t.value(),
                    ));
                    spans.push(Span::raw(if verbose {
                        " (latency corrected)"
                    } else {
                        " (corrected)"
                    }));
                    spans.push(Span::styled(" │ ", t.border()));
                    spans.push(Span::styled(format!("{} conns", s.connections), t.value()));
                }
                Model::Closed => {
                    spans.push(Span::styled(
                        format!("closed {} conns", s.connections),
                        t.value(),
                    ));
                    spans.push(Span::styled(
                        if verbose {
                            " (latency NOT corrected)"
                        } else {
                            " (NOT corrected)"
                        },
                        t.warn(),
                    ));
                }
            }
            spans.push(Span::styled(" │ ", t.border()));
            spans.push(Span::styled(
                format!(
                    "{} thread{}",
                    s.threads,
                    if s.threads == 1 { "" } else { "s" }
                ),
                t.value(),
            ));
            Line::from(spans)
        };
        let line = build(true);
        let line = if line.width() <= usize::from(area.width) {
            line
        } else {
            let mut short = build(false);
            // Drop the product name before anything that informs.
            short.spans.remove(0);
            short
        };
        line.render(area, buf);
    }

    fn render_stage_line(&self, area: Rect, buf: &mut Buffer) {
        let s = self.snapshot;
        let t = self.theme;
        let run = match s.total {
            Some(total) => format!(
                "run {}/{}",
                format::clock_duration(s.elapsed),
                format::clock_duration(total)
            ),
            None => format!("run {}", format::clock_duration(s.elapsed)),
        };
        let Some(stage) = &s.stage else {
            let mut line = Line::from(vec![Span::styled(run, t.label())]);
            for flag in self.flags() {
                line.spans.push(Span::raw(" "));
                line.spans.push(Span::styled(format!(" {flag} "), t.flag()));
            }
            line.render(area, buf);
            return;
        };
        let mut label = Line::from(vec![
            Span::styled("stage ", t.label()),
            Span::styled(format!("{}/{} ", stage.index + 1, stage.count), t.value()),
            Span::styled(stage.name.clone(), t.title()),
            Span::raw(" "),
        ]);
        // Flags sit here, beside the stage, where the flexible gauge makes room.
        for flag in self.flags() {
            label
                .spans
                .push(Span::styled(format!(" {flag} "), t.flag()));
            label.spans.push(Span::raw(" "));
        }
        let (ratio, clock) = match stage.duration {
            Some(d) if !d.is_zero() => (
                Some((stage.elapsed.as_secs_f64() / d.as_secs_f64()).clamp(0.0, 1.0)),
                format!(
                    " {}/{} · {run}",
                    format::clock_duration(stage.elapsed),
                    format::clock_duration(d)
                ),
            ),
            _ => (
                None,
                format!(
                    " {} open-ended · {run}",
                    format::clock_duration(stage.elapsed)
                ),
            ),
        };
        let clock = Line::from(Span::styled(clock, t.label()));
        let label_width = label.width() as u16;
        let clock_width = clock.width() as u16;
        let [label_area, gauge_area, clock_area] = Layout::horizontal([
            Constraint::Length(label_width),
            Constraint::Fill(1),
            Constraint::Length(clock_width),
        ])
        .areas(area);
        label.render(label_area, buf);
        if let Some(ratio) = ratio {
            LineGauge::default()
                .ratio(ratio)
                .filled_style(t.gauge())
                .unfilled_style(t.border())
                // Distinct glyphs keep progress readable under NO_COLOR.
                .filled_symbol("━")
                .unfilled_symbol("╌")
                .label(format!("{:>3.0}%", ratio * 100.0))
                .render(gauge_area, buf);
        }
        clock.render(clock_area, buf);
    }
}

/// One banner: the full text, and what follows it when there is room.
#[derive(Clone, Debug, PartialEq)]
pub struct Banner {
    pub text: String,
    pub explanation: &'static str,
}

/// The banners for this snapshot, most serious first.
pub fn banners(snapshot: &Snapshot) -> Vec<Banner> {
    let alerts = &snapshot.alerts;
    let mut banners = Vec::new();
    if let Some(reason) = &alerts.target_exited {
        banners.push(Banner {
            text: format!("target exited: {reason}"),
            explanation: " (numbers since then are connection errors)",
        });
    }
    if let Some(alert) = &alerts.saturated {
        banners.push(match alert.party {
            SaturatedParty::Generator => Banner {
                text: format!("generator saturated: {}", alert.reason),
                explanation: " (numbers show loadtop's limit, not the target's)",
            },
            SaturatedParty::Target => Banner {
                text: format!("target saturated: {}", alert.reason),
                explanation: " (corrected latency counts the wait for a free connection)",
            },
        });
    }
    if !alerts.thresholds_failing.is_empty() {
        banners.push(Banner {
            text: format!(
                "thresholds failing: {}",
                alerts.thresholds_failing.join(", ")
            ),
            explanation: "",
        });
    }
    banners
}

pub struct Banners<'a> {
    pub banners: &'a [Banner],
    pub theme: Theme,
}

impl Widget for Banners<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let lines: Vec<Line<'_>> = self
            .banners
            .iter()
            .map(|b| {
                let full = format!(" ⚠ {}{}", b.text, b.explanation);
                let text = if full.chars().count() <= usize::from(area.width) {
                    full
                } else {
                    format!(" ⚠ {}", b.text)
                };
                Line::from(text).style(self.theme.banner())
            })
            .collect();
        // Fill the whole row so the banner reads as a bar, not a word.
        buf.set_style(area, self.theme.banner());
        Paragraph::new(lines).render(area, buf);
    }
}
