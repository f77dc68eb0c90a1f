//! Chart geometry shared by the four charts and the time axis: fixed-width
//! y labels (so every graph starts at the same column), y ticks written on
//! the exact rows where ratatui's Braille canvas plots their values, stage
//! marks, and the time axis with stage names under each column of charts.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

use super::format;
use super::series::WindowSeries;
use super::theme::{Theme, colors};

/// Y labels are padded to this width in every chart so all graph areas start
/// at the same column offset and the shared time axis lines up with them.
pub const Y_LABEL_WIDTH: u16 = 5;
/// Label, then the y axis line.
pub const GRAPH_OFFSET: u16 = Y_LABEL_WIDTH + 1;
pub const MIN_CHART_WIDTH: u16 = 3 * GRAPH_OFFSET;

pub const STAGE_MARK: &str = "┊";

/// The row (from the top of the graph) where the Braille canvas plots `value`,
/// mirroring ratatui's canvas arithmetic: 4 dots per row.
pub fn row_of(value: f64, bounds: [f64; 2], height: u16) -> Option<u16> {
    let span = bounds[1] - bounds[0];
    if height == 0 || span <= 0.0 || value < bounds[0] || value > bounds[1] {
        return None;
    }
    let dots = f64::from(height) * 4.0 - 1.0;
    let dot = ((bounds[1] - value) * dots / span).round() as u16;
    Some(dot / 4)
}

pub fn draw_y_ticks(
    ticks: &[(f64, String)],
    bounds: [f64; 2],
    plot: Rect,
    theme: Theme,
    buf: &mut Buffer,
) {
    if plot.width < GRAPH_OFFSET {
        return;
    }
    let mut used = Vec::new();
    for (value, label) in ticks {
        let Some(row) = row_of(*value, bounds, plot.height) else {
            continue;
        };
        if used.contains(&row) {
            continue;
        }
        used.push(row);
        buf.set_string(plot.x, plot.y + row, pad_label(label), theme.label());
    }
}

pub fn pad_label(label: &str) -> String {
    let width = usize::from(Y_LABEL_WIDTH);
    let truncated: String = label.chars().take(width).collect();
    format!("{truncated:>width$}")
}

/// Where the Chart widget puts its graph, given our fixed-width y labels.
pub fn graph_area(plot: Rect) -> Rect {
    Rect {
        x: plot.x + GRAPH_OFFSET,
        width: plot.width.saturating_sub(GRAPH_OFFSET),
        ..plot
    }
}

/// The column of run second `t` inside a graph of `width` columns.
pub fn column_of(series: &WindowSeries, t: f64, graph: Rect) -> Option<u16> {
    let span = series.x1 - series.x0;
    if graph.width == 0 || span <= 0.0 || t < series.x0 || t > series.x1 {
        return None;
    }
    // Braille: two dots per column, rounded as ratatui's canvas does.
    let dots = f64::from(graph.width) * 2.0 - 1.0;
    let offset = (((t - series.x0) * dots / span).round() as u16) / 2;
    Some(graph.x + offset.min(graph.width - 1))
}

/// A dim vertical mark where a stage began, only in empty cells so it never
/// hides data.
pub fn mark_stage_changes(series: &WindowSeries, graph: Rect, theme: Theme, buf: &mut Buffer) {
    let style = Style::default().fg(theme.series(colors::STAGE_MARK));
    for mark in &series.marks {
        let Some(x) = column_of(series, mark.second, graph) else {
            continue;
        };
        for y in graph.top()..graph.bottom() {
            let cell = &mut buf[(x, y)];
            if cell.symbol() == " " {
                cell.set_symbol(STAGE_MARK)
                    .set_style(style.patch(theme.dim()));
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
