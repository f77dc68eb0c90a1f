//! The four time charts (throughput, latency, CPU, memory) and the shared
//! time axis under them. Each chart is a title line that doubles as its
//! legend with the latest values, then a ratatui `Chart` without x labels;
//! the time axis (with stage names where stages change) is drawn once per
//! column instead, so four charts fit in 80×24.
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

use super::format;
use super::series::{WindowSeries, max_y, nice_ceiling};
use super::theme::{Theme, colors};
use crate::snapshot::Snapshot;

/// Y labels are padded to this width in every chart so all graph areas start
/// at the same column offset and the shared time axis lines up with them.
pub const Y_LABEL_WIDTH: u16 = 5;
/// Label, then the y axis line.
pub const GRAPH_OFFSET: u16 = Y_LABEL_WIDTH + 1;
const MIN_CHART_WIDTH: u16 = 3 * GRAPH_OFFSET;

pub const GLYPH_LINE: &str = "⣿";
pub const GLYPH_DOT: &str = "•";
pub const GLYPH_TARGET: &str = "┈";
pub const GLYPH_AREA: &str = "░";
const STAGE_MARK: &str = "┊";

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

struct LegendItem {
    glyph: &'static str,
    color: Color,
    long: String,
    short: String,
}

/// Everything that differs between the four charts.
struct ChartSpec<'a> {
    title: &'static str,
    short_title: &'static str,
    legend: Vec<LegendItem>,
    datasets: Vec<Dataset<'a>>,
    y_bounds: [f64; 2],
    y_labels: Vec<String>,
}

impl Widget for TimeChart<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.height < 2 || area.width < MIN_CHART_WIDTH {
            return;
        }
        let spec = self.spec(area.height - 1);
        let title_area = Rect { height: 1, ..area };
        legend_line(&spec, self.theme, area.width).render(title_area, buf);
        let plot = Rect {
            y: area.y + 1,
            height: area.height - 1,
            ..area
        };
        let labels: Vec<Line> = spec
            .y_labels
            .iter()
            .map(|l| Line::from(pad_label(l)).style(self.theme.label()))
            .collect();
        Chart::new(spec.datasets)
            .legend_position(None)
            .x_axis(Axis::default().bounds([self.series.x0, self.series.x1]))
            .y_axis(
                Axis::default()
                    .bounds(spec.y_bounds)
                    .labels(labels)
                    .labels_alignment(Alignment::Right)
                    .style(self.theme.border()),
            )
            .render(plot, buf);
        mark_stage_changes(self.series, graph_area(plot), self.theme, buf);
    }
}

impl<'a> TimeChart<'a> {
    fn spec(&self, plot_height: u16) -> ChartSpec<'a> {
        match self.kind {
            ChartKind::Throughput => self.throughput(),
            ChartKind::Latency => self.latency(plot_height),
            ChartKind::Cpu => self.cpu(),
            ChartKind::Memory => self.memory(),
        }
    }

    fn color(&self, color: Color) -> Style {
        Style::default().fg(self.theme.series(color))
    }

    fn throughput(&self) -> ChartSpec<'a> {
        let s = self.series;
        let top = nice_ceiling(max_y([&s.rps[..], &s.target_rps[..]]) * 1.05).max(10.0);
        let last = self.snapshot.timeline.last();
        let achieved = last.map_or(0.0, |p| p.rps);
        let mut legend = vec![LegendItem {
            glyph: GLYPH_LINE,
            color: colors::ACHIEVED,
            long: format!("{} req/s", format::count(achieved)),
            short: format::count(achieved),
        }];
        if let Some(target) = last.and_then(|p| p.target_rps) {
            legend.push(LegendItem {
                glyph: GLYPH_TARGET,
                color: colors::TARGET_RATE,
                long: format!("target {}", format::count(target)),
                short: format::count(target),
            });
        }
        ChartSpec {
            title: "Throughput",
            short_title: "req/s",
            legend,
            datasets: vec![
                Dataset::default()
                    .data(&s.target_rps)
                    .marker(Marker::Custom('┈'))
                    .graph_type(GraphType::Scatter)
                    .style(self.color(colors::TARGET_RATE)),
                Dataset::default()
                    .data(&s.rps)
                    .marker(Marker::Braille)
                    .graph_type(GraphType::Line)
                    .style(self.color(colors::ACHIEVED)),
            ],
            y_bounds: [0.0, top],
            y_labels: vec!["0".into(), format::count(top / 2.0), format::count(top)],
        }
    }

    /// log10 of microseconds, labelled in real units, so a p99 that jumps
    /// 100× stays on screen next to a p50 that did not move.
    fn latency(&self, plot_height: u16) -> ChartSpec<'a> {
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
        let decades = (hi - lo) as usize;
        let y_labels = if decades < usize::from(plot_height) {
            (0..=decades).map(|d| decade_label(lo as u32 + d as u32)).collect()
        } else {
            vec![decade_label(lo as u32), decade_label(hi as u32)]
        };
        let interval = &self.snapshot.interval;
        ChartSpec {
            title: "Latency",
            short_title: "Latency",
            legend: vec![
                LegendItem {
                    glyph: GLYPH_LINE,
                    color: colors::P99,
                    long: format!("p99 {}", format::latency_us(interval.p99_us)),
                    short: format!("p99 {}", format::latency_us(interval.p99_us)),
                },
                LegendItem {
                    glyph: GLYPH_DOT,
                    color: colors::P50,
                    long: format!("p50 {}", format::latency_us(interval.p50_us)),
                    short: format!("p50 {}", format::latency_us(interval.p50_us)),
                },
            ],
            datasets: vec![
                Dataset::default()
                    .data(&s.p50_log)
                    .marker(Marker::Dot)
                    .graph_type(GraphType::Scatter)
                    .style(self.color(colors::P50)),
                Dataset::default()
                    .data(&s.p99_log)
                    .marker(Marker::Braille)
                    .graph_type(GraphType::Line)
                    .style(self.color(colors::P99)),
            ],
            y_bounds: [lo, hi],
            y_labels,
        }
    }

    fn cpu(&self) -> ChartSpec<'a> {
        let s = self.series;
        let peak = max_y([&s.cpu_target[..], &s.cpu_generator[..], &s.cpu_system[..]]);
        let top = nice_ceiling(peak).max(100.0);
        let res = self.snapshot.resources.as_ref();
        let target = res.and_then(|r| r.cpu_target);
        let generator = res.map(|r| r.cpu_generator);
        let system = res.map(|r| r.cpu_system);
        let pct = |v: Option<f32>| v.map_or("-".to_string(), |v| format!("{v:.0}%"));
        ChartSpec {
            title: "CPU (100% = 1 core)",
            short_title: "CPU",
            legend: vec![
                LegendItem {
                    glyph: GLYPH_LINE,
                    color: colors::TARGET_PROCESS,
                    long: format!("target {}", pct(target)),
                    short: format!("tgt {}", pct(target)),
                },
                LegendItem {
                    glyph: GLYPH_DOT,
                    color: colors::GENERATOR,
                    long: format!("loadtop {}", pct(generator)),
                    short: format!("gen {}", pct(generator)),
                },
                LegendItem {
                    glyph: GLYPH_AREA,
                    color: colors::SYSTEM,
                    long: format!("system {}", pct(system)),
                    short: format!("sys {}", pct(system)),
                },
            ],
            datasets: vec![
                self.area(&s.cpu_system),
                self.dots(&s.cpu_generator, colors::GENERATOR),
                self.line(&s.cpu_target, colors::TARGET_PROCESS),
            ],
            y_bounds: [0.0, top],
            y_labels: vec!["0%".into(), format!("{:.0}%", top / 2.0), format!("{top:.0}%")],
        }
    }

    fn memory(&self) -> ChartSpec<'a> {
        let s = self.series;
        let top = s.memory_top;
        let res = self.snapshot.resources.as_ref();
        let rss = |v: Option<u64>| v.map_or("-".to_string(), format::bytes);
        let (used_pct, total) = match res {
            Some(r) if r.mem_total > 0 => (
                format!("{:.0}%", r.mem_used as f64 * 100.0 / r.mem_total as f64),
                format::bytes(r.mem_total),
            ),
            _ => ("-".to_string(), "-".to_string()),
        };
        ChartSpec {
            title: "Memory RSS",
            short_title: "RSS",
            legend: vec![
                LegendItem {
                    glyph: GLYPH_LINE,
                    color: colors::TARGET_PROCESS,
                    long: format!("target {}", rss(res.and_then(|r| r.rss_target))),
                    short: format!("tgt {}", rss(res.and_then(|r| r.rss_target))),
                },
                LegendItem {
                    glyph: GLYPH_DOT,
                    color: colors::GENERATOR,
                    long: format!("loadtop {}", rss(res.map(|r| r.rss_generator))),
                    short: format!("gen {}", rss(res.map(|r| r.rss_generator))),
                },
                LegendItem {
                    glyph: GLYPH_AREA,
                    color: colors::SYSTEM,
                    long: format!("system used {used_pct} of {total} (full height)"),
                    short: format!("sys {used_pct}"),
                },
            ],
            datasets: vec![
                self.area(&s.mem_system_share),
                self.dots(&s.rss_generator, colors::GENERATOR),
                self.line(&s.rss_target, colors::TARGET_PROCESS),
            ],
            y_bounds: [0.0, top],
            y_labels: vec!["0".into(), format::bytes((top / 2.0) as u64), format::bytes(top as u64)],
        }
    }

    fn area(&self, data: &'a [(f64, f64)]) -> Dataset<'a> {
        Dataset::default()
            .data(data)
            .marker(Marker::Custom('░'))
            .graph_type(GraphType::Bar)
            .style(self.color(colors::SYSTEM))
    }

    fn dots(&self, data: &'a [(f64, f64)], color: Color) -> Dataset<'a> {
        Dataset::default()
            .data(data)
            .marker(Marker::Dot)
            .graph_type(GraphType::Scatter)
            .style(self.color(color))
    }

    fn line(&self, data: &'a [(f64, f64)], color: Color) -> Dataset<'a> {
        Dataset::default()
            .data(data)
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(self.color(color))
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

fn pad_label(label: &str) -> String {
    let width = usize::from(Y_LABEL_WIDTH);
    let truncated: String = label.chars().take(width).collect();
    format!("{truncated:>width$}")
}

/// The legend as the chart's title line; the short form when the long one
/// does not fit.
fn legend_line(spec: &ChartSpec, theme: Theme, width: u16) -> Line<'static> {
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
            spans.push(Span::styled(format!(" {text}"), theme.value()));
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

/// Where the Chart widget puts its graph, given our fixed-width y labels.
fn graph_area(plot: Rect) -> Rect {
    Rect {
        x: plot.x + GRAPH_OFFSET,
        width: plot.width.saturating_sub(GRAPH_OFFSET),
        ..plot
    }
}

/// The column of run second `t` inside a graph of `width` columns.
fn column_of(series: &WindowSeries, t: f64, graph: Rect) -> Option<u16> {
    let span = series.x1 - series.x0;
    if graph.width == 0 || span <= 0.0 || t < series.x0 || t > series.x1 {
        return None;
    }
    let offset = ((t - series.x0) / span * f64::from(graph.width - 1)).round() as u16;
    Some(graph.x + offset.min(graph.width - 1))
}

/// A dim vertical mark where a stage began, only in empty cells so it never
/// hides data.
fn mark_stage_changes(series: &WindowSeries, graph: Rect, theme: Theme, buf: &mut Buffer) {
    let style = Style::default().fg(theme.series(colors::STAGE_MARK));
    for mark in &series.marks {
        let Some(x) = column_of(series, mark.second, graph) else {
            continue;
        };
        for y in graph.top()..graph.bottom() {
            let cell = &mut buf[(x, y)];
            if cell.symbol() == " " {
                cell.set_symbol(STAGE_MARK).set_style(style.patch(theme.dim()));
            }
        }
    }
}

/// The time axis under a column of charts: run clock at both ends and the
/// name of each stage where it begins.
pub struct TimeAxis<'a> {
    pub series: &'a WindowSeries,
    pub theme: Theme,
}

impl Widget for TimeAxis<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.height == 0 || area.width < MIN_CHART_WIDTH {
            return;
        }
        let row = Rect { height: 1, ..area };
        let graph = graph_area(row);
        let mut taken = vec![false; usize::from(area.width)];
        let mut place = |text: &str, x: u16, style: Style, buf: &mut Buffer| {
            let start = usize::from(x.saturating_sub(area.x));
            let avail = taken.len().saturating_sub(start);
            let mut len = text.chars().count().min(avail);
            // Shorten to the next label (keeping a gap) rather than overlap.
            if let Some(next) = taken[start..].iter().position(|&t| t) {
                len = len.min(next.saturating_sub(1));
            }
            if len < 3.min(text.chars().count()) || (start > 0 && taken[start - 1]) {
                return;
            }
            let shown: String = text.chars().take(len).collect();
            buf.set_string(x, area.y, &shown, style);
            taken[start..start + len].iter_mut().for_each(|t| *t = true);
        };
        let label = self.theme.label();
        let stage = Style::default()
            .fg(self.theme.series(colors::STAGE_MARK))
            .patch(self.theme.title());
        let right = format::clock(self.series.x1 as u64);
        let right_x = graph.right().saturating_sub(right.chars().count() as u16);
        place(&right, right_x, label, buf);
        for mark in self.series.marks.iter().rev() {
            if let Some(x) = column_of(self.series, mark.second, graph) {
                place(&format!("{STAGE_MARK}{}", mark.name), x, stage, buf);
            }
        }
        let left = format::clock(self.series.x0 as u64);
        let left_x = graph.x.saturating_sub(left.chars().count() as u16 + 1);
        place(&left, left_x, label, buf);
        if let Some(name) = &self.series.first_stage {
            place(name, graph.x, stage, buf);
        }
    }
}
