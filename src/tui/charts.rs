//! The four time charts (throughput, latency, CPU, memory). Each chart is a title line that doubles as its
//! legend with the latest values, then a ratatui `Chart` without x labels;
//! the time axis (`axes::TimeAxis`, with stage names where stages change) is
//! drawn once per column instead, so four charts fit in 80×24.
//!
//! Overlapping series stay readable because each uses its own glyph, drawn
//! back to front: a `░` area or `┈`/`•` marks first, the headline series as a
//! Braille line last, so it is never broken by the others.

use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Widget};

use super::axes::{
    MIN_CHART_WIDTH, draw_y_ticks, graph_area, mark_stage_changes, pad_label, row_of,
};
use super::format;
use super::series::{WindowSeries, max_y, nice_ceiling};
use super::theme::{Theme, colors};
use crate::snapshot::Snapshot;

pub const GLYPH_LINE: &str = "⣿";
pub const GLYPH_DOT: &str = "•";
pub const GLYPH_TARGET: &str = "┈";
pub const GLYPH_AREA: &str = "░";
pub const GLYPH_ERROR: &str = "×";
pub const GLYPH_LEVEL: &str = "┄";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartKind {
    Throughput,
    Latency,
    Cpu,
    Memory,
}

pub struct TimeChart<'a> {
    pub kind: ChartKind,
    pub series: &'a WindowSeries,
    pub snapshot: &'a Snapshot,
    pub theme: Theme,
}

pub(super) struct LegendItem {
    pub(super) glyph: &'static str,
    pub(super) color: Color,
    pub(super) long: String,
    pub(super) short: String,
    /// The figure is at a limit: its text is drawn as a warning.
    pub(super) warn: bool,
}

impl LegendItem {
    /// An item whose figure is not at a limit.
    pub(super) fn new(glyph: &'static str, color: Color, long: String, short: String) -> Self {
        LegendItem {
            glyph,
            color,
            long,
            short,
            warn: false,
        }
    }
}

/// A horizontal reference at one value (the target's busiest thread on the
/// CPU chart), drawn dashed after the series on the graph's blank cells and
/// over the `░` area (the machine's CPU, which is always at least as high,
/// so it would hide the level), never over a line or a mark.
pub(super) struct Level {
    pub(super) value: f64,
    pub(super) color: Color,
}

/// Everything that differs between the four charts.
pub(super) struct ChartSpec<'a> {
    pub(super) title: &'static str,
    pub(super) short_title: &'static str,
    pub(super) legend: Vec<LegendItem>,
    pub(super) datasets: Vec<Dataset<'a>>,
    pub(super) y_bounds: [f64; 2],
    /// (value, label): drawn on the row where the canvas plots that value.
    pub(super) y_ticks: Vec<(f64, String)>,
    pub(super) level: Option<Level>,
}

impl Widget for TimeChart<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.height < 2 || area.width < MIN_CHART_WIDTH {
            return;
        }
        let spec = self.spec();
        let title_area = Rect { height: 1, ..area };
        legend_line(&spec, self.theme, area.width).render(title_area, buf);
        let plot = Rect {
            y: area.y + 1,
            height: area.height - 1,
            ..area
        };
        // Blank labels only reserve the column: ratatui spreads labels evenly
        // by rounding, which can put `10ms` a row away from where 10 ms is
        // plotted, so `draw_y_ticks` writes them on the exact rows instead.
        let blank = pad_label("");
        let labels = [blank.clone(), blank];
        let y_bounds = spec.y_bounds;
        let ticks = spec.y_ticks;
        let level = spec.level;
        Chart::new(spec.datasets)
            .legend_position(None)
            .x_axis(Axis::default().bounds([self.series.x0, self.series.x1]))
            .y_axis(
                Axis::default()
                    .bounds(y_bounds)
                    .labels(labels)
                    .labels_alignment(Alignment::Right)
                    .style(self.theme.border()),
            )
            .render(plot, buf);
        if let Some(level) = level {
            draw_level(&level, y_bounds, graph_area(plot), self.theme, buf);
        }
        mark_stage_changes(self.series, graph_area(plot), self.theme, buf);
        draw_y_ticks(&ticks, y_bounds, plot, self.theme, buf);
    }
}

impl<'a> TimeChart<'a> {
    fn spec(&self) -> ChartSpec<'a> {
        match self.kind {
            ChartKind::Throughput => self.throughput(),
            ChartKind::Latency => self.latency(),
            ChartKind::Cpu => self.cpu(),
            ChartKind::Memory => self.memory(),
        }
    }

    fn color(&self, color: Color) -> Style {
        Style::default().fg(self.theme.series(color))
    }

    fn throughput(&self) -> ChartSpec<'a> {
        let s = self.series;
        let top =
            nice_ceiling(max_y([&s.rps[..], &s.target_rps[..], &s.errors[..]]) * 1.05).max(10.0);
        let last = self.snapshot.timeline.last();
        let achieved = last.map_or(0.0, |p| p.rps);
        let mut legend = vec![LegendItem::new(
            GLYPH_LINE,
            colors::ACHIEVED,
            format!("{} req/s", format::count(achieved)),
            format::count(achieved),
        )];
        if let Some(target) = last.and_then(|p| p.target_rps) {
            legend.push(LegendItem::new(
                GLYPH_TARGET,
                colors::TARGET_RATE,
                format!("target {}", format::count(target)),
                format::count(target),
            ));
        }
        if !s.errors.is_empty() {
            let last_errors = last.map_or(0, |p| p.errors) as f64;
            legend.push(LegendItem::new(
                GLYPH_ERROR,
                colors::ERRORS,
                format!("errors {}/s", format::count(last_errors)),
                format!("err {}", format::count(last_errors)),
            ));
        }
        ChartSpec {
            title: "Throughput",
            short_title: "req/s",
            legend,
            datasets: vec![
                Dataset::default()
                    .data(&s.target_rps)
                    .marker(Marker::Custom('┈'))
                    .graph_type(GraphType::Line)
                    .style(self.color(colors::TARGET_RATE)),
                Dataset::default()
                    .data(&s.errors)
                    .marker(Marker::Custom('×'))
                    .graph_type(GraphType::Scatter)
                    .style(self.color(colors::ERRORS)),
                Dataset::default()
                    .data(&s.rps)
                    .marker(Marker::Braille)
                    .graph_type(GraphType::Line)
                    .style(self.color(colors::ACHIEVED)),
            ],
            y_bounds: [0.0, top],
            y_ticks: linear_ticks(top, format::count),
            level: None,
        }
    }

    /// log10 of microseconds, labelled in real units, so a p99 that jumps
    /// 100× stays on screen next to a p50 that did not move.
    fn latency(&self) -> ChartSpec<'a> {
        let s = self.series;
        let lowest = s.p50_log.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let highest = max_y([&s.p99_log[..]]);
        let (lo, hi) = if lowest.is_finite() {
            let lo = lowest.floor().max(0.0);
            let hi = (highest + 0.05).ceil().max(lo + 2.0);
            (lo, hi)
        } else {
            (2.0, 5.0)
        };
        // Decades that would share a row are skipped by `draw_y_ticks`; the
        // top and bottom ones go first so the range is always labelled.
        let mut y_ticks = vec![(lo, decade_label(lo as u32)), (hi, decade_label(hi as u32))];
        y_ticks.extend(((lo as u32 + 1)..(hi as u32)).map(|d| (f64::from(d), decade_label(d))));
        let interval = &self.snapshot.interval;
        let shown = |us: u64| {
            if interval.count == 0 {
                "-".to_string()
            } else {
                format::latency_us(us)
            }
        };
        ChartSpec {
            title: "Latency",
            short_title: "Latency",
            legend: vec![
                LegendItem::new(
                    GLYPH_LINE,
                    colors::P99,
                    format!("p99 {}", shown(interval.p99_us)),
                    format!("p99 {}", shown(interval.p99_us)),
                ),
                LegendItem::new(
                    GLYPH_DOT,
                    colors::P50,
                    format!("p50 {}", shown(interval.p50_us)),
                    format!("p50 {}", shown(interval.p50_us)),
                ),
            ],
            datasets: vec![
                Dataset::default()
                    .data(&s.p50_log)
                    .marker(Marker::Dot)
                    .graph_type(GraphType::Line)
                    .style(self.color(colors::P50)),
                Dataset::default()
                    .data(&s.p99_log)
                    .marker(Marker::Braille)
                    .graph_type(GraphType::Line)
                    .style(self.color(colors::P99)),
            ],
            y_bounds: [lo, hi],
            y_ticks,
            level: None,
        }
    }

    pub(super) fn area(&self, data: &'a [(f64, f64)]) -> Dataset<'a> {
        Dataset::default()
            .data(data)
            .marker(Marker::Custom('░'))
            .graph_type(GraphType::Area)
            .fill_to_y(0.0)
            .style(self.color(colors::SYSTEM))
    }

    pub(super) fn dots(&self, data: &'a [(f64, f64)], color: Color) -> Dataset<'a> {
        Dataset::default()
            .data(data)
            .marker(Marker::Dot)
            .graph_type(GraphType::Line)
            .style(self.color(color))
    }

    pub(super) fn line(&self, data: &'a [(f64, f64)], color: Color) -> Dataset<'a> {
        Dataset::default()
            .data(data)
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(self.color(color))
    }
}

pub(super) fn linear_ticks(top: f64, label: impl Fn(f64) -> String) -> Vec<(f64, String)> {
    [top, 0.0, top / 2.0]
        .into_iter()
        .map(|v| (v, label(v)))
        .collect()
}

/// Dashes across `graph` on the row where the canvas plots `level.value`,
/// on blank and area cells only.
fn draw_level(level: &Level, bounds: [f64; 2], graph: Rect, theme: Theme, buf: &mut Buffer) {
    let Some(row) = row_of(level.value, bounds, graph.height) else {
        return;
    };
    let style = Style::default().fg(theme.series(level.color));
    for x in graph.left()..graph.right() {
        let cell = &mut buf[(x, graph.y + row)];
        if cell.symbol() == " " || cell.symbol() == GLYPH_AREA {
            cell.set_symbol(GLYPH_LEVEL).set_style(style);
        }
    }
}

fn decade_label(exponent: u32) -> String {
    match exponent {
        0 => "1µs",
        1 => "10µs",
        2 => "100µs",
        3 => "1ms",
        4 => "10ms",
        5 => "100ms",
        6 => "1s",
        7 => "10s",
        8 => "100s",
        _ => "1ks",
    }
    .to_string()
}

/// The legend as the chart's title line; the short form when the long one
/// does not fit.
fn legend_line(spec: &ChartSpec<'_>, theme: Theme, width: u16) -> Line<'static> {
    let build = |long: bool| {
        let title = if long { spec.title } else { spec.short_title };
        let mut spans = vec![Span::styled(title.to_string(), theme.title())];
        for item in &spec.legend {
            spans.push(Span::raw(if long { "  " } else { " " }));
            spans.push(Span::styled(
                item.glyph,
                Style::default().fg(theme.series(item.color)),
            ));
            let text = if long { &item.long } else { &item.short };
            let style = if item.warn {
                theme.warn()
            } else {
                theme.value()
            };
            spans.push(Span::styled(format!(" {text}"), style));
        }
        Line::from(spans)
    };
    let long = build(true);
    if long.width() <= usize::from(width) {
        long
    } else {
        build(false)
    }
}

#[cfg(test)]
#[path = "charts_tests.rs"]
mod tests;
