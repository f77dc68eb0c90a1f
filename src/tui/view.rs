//! The whole screen for one frame, pure: `render(state, snapshot)` lays out
//! header, banners, charts, panels (or the final summary), footer and the
//! help overlay. Below 120 columns or 30 rows panels are condensed so 80×24
//! still shows all four charts; bigger terminals get full panels and events.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::Widget;

use super::axes::TimeAxis;
use super::charts::{ChartKind, TimeChart};
use super::header::{Banners, Header, banners as banner_list};
use super::help::{Footer, HelpOverlay};
use super::panels::{
    ConnectionsPanel, EventsPanel, LATENCY_TABLE_WIDTH, LatencyPanel, ResponsesPanel, ServerPanel,
    TrafficPanel,
};
use super::requests::{self, RequestsPanel};
use super::series::WindowSeries;
use super::state::AppState;
use super::summary::{Summary, wanted_height};
use super::theme::Theme;
use crate::snapshot::Snapshot;

/// Banners beyond this many would push the charts off an 80×24 screen.
const MAX_BANNERS: usize = 3;
const COMPACT_PANEL_HEIGHT: u16 = 6;
const FULL_PANEL_HEIGHT: u16 = 9;
const EVENTS_HEIGHT: u16 = 4;

pub fn draw(frame: &mut Frame<'_>, state: &AppState, snapshot: &Snapshot) {
    let area = frame.area();
    render(state, snapshot, area, frame.buffer_mut());
}

pub fn is_compact(area: Rect) -> bool {
    area.width < 120 || area.height < 30
}

pub fn render(state: &AppState, snapshot: &Snapshot, area: Rect, buf: &mut Buffer) {
    let theme = Theme::new(state.no_color);
    let mut banners = banner_list(snapshot);
    banners.truncate(MAX_BANNERS);
    let [
        header_area,
        banner_area,
        diagnosis_area,
        body_area,
        footer_area,
    ] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(banners.len() as u16),
        Constraint::Length(super::diagnosis_line::wanted_height(snapshot)),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);

    Header {
        snapshot,
        theme,
        stopping: state.quitting,
    }
    .render(header_area, buf);
    Banners {
        banners: &banners,
        theme,
    }
    .render(banner_area, buf);
    if let Some(diagnosis) = snapshot
        .alerts
        .diagnosis
        .as_ref()
        .filter(|_| !snapshot.finished)
    {
        super::diagnosis_line::DiagnosisLine { diagnosis, theme }.render(diagnosis_area, buf);
    }

    let series = WindowSeries::build(state, snapshot);
    if snapshot.finished {
        render_finished(snapshot, &series, theme, body_area, buf);
    } else {
        render_live(snapshot, &series, theme, area, body_area, buf);
    }

    Footer {
        hint: state.last_hint.as_deref(),
        finished: snapshot.finished,
        server: snapshot.server.is_some(),
        theme,
    }
    .render(footer_area, buf);
    if state.show_help {
        HelpOverlay { theme }.render(area, buf);
    }
}

fn render_live(
    snapshot: &Snapshot,
    series: &WindowSeries,
    theme: Theme,
    screen: Rect,
    body: Rect,
    buf: &mut Buffer,
) {
    let compact = is_compact(screen);
    let panel_height = if compact {
        COMPACT_PANEL_HEIGHT
    } else {
        FULL_PANEL_HEIGHT
    };
    let events_height = if !compact && screen.height >= 36 && !snapshot.events.is_empty() {
        EVENTS_HEIGHT
    } else {
        0
    };
    // A mix gets its own row on big screens; on small ones the requests
    // panel stands in for the traffic panel (it has failures per name).
    let requests_height = if compact {
        0
    } else {
        requests::wanted_height(snapshot)
    };
    let [charts_area, panels_area, requests_area, events_area] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(panel_height),
        Constraint::Length(requests_height),
        Constraint::Length(events_height),
    ])
    .areas(body);
    render_charts(snapshot, series, theme, charts_area, buf);
    if compact {
        let [latency, traffic] = Layout::horizontal([
            Constraint::Length(LATENCY_TABLE_WIDTH + 2),
            Constraint::Fill(1),
        ])
        .areas(panels_area);
        LatencyPanel { snapshot, theme }.render(latency, buf);
        if snapshot.requests.is_empty() {
            TrafficPanel { snapshot, theme }.render(traffic, buf);
        } else {
            RequestsPanel { snapshot, theme }.render(traffic, buf);
        }
    } else {
        let [latency, responses, connections, server] = Layout::horizontal([
            Constraint::Length(LATENCY_TABLE_WIDTH + 4),
            Constraint::Fill(1),
            Constraint::Fill(1),
            Constraint::Length(36),
        ])
        .areas(panels_area);
        LatencyPanel { snapshot, theme }.render(latency, buf);
        ResponsesPanel { snapshot, theme }.render(responses, buf);
        ConnectionsPanel { snapshot, theme }.render(connections, buf);
        ServerPanel { snapshot, theme }.render(server, buf);
    }
    if requests_height > 0 {
        RequestsPanel { snapshot, theme }.render(requests_area, buf);
    }
    if events_height > 0 {
        EventsPanel { snapshot, theme }.render(events_area, buf);
    }
}

/// Two columns of two charts, each column closed by its own time axis.
fn render_charts(
    snapshot: &Snapshot,
    series: &WindowSeries,
    theme: Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let grid: [&[ChartKind]; 2] = [
        &[ChartKind::Throughput, ChartKind::Latency],
        &[ChartKind::Cpu, ChartKind::Memory],
    ];
    render_chart_columns(snapshot, series, theme, area, &grid, buf);
}

fn render_chart_columns(
    snapshot: &Snapshot,
    series: &WindowSeries,
    theme: Theme,
    area: Rect,
    grid: &[&[ChartKind]; 2],
    buf: &mut Buffer,
) {
    let columns = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)])
        .spacing(1)
        .split(area);
    for (column, kinds) in columns.iter().zip(grid) {
        let mut constraints: Vec<Constraint> = kinds.iter().map(|_| Constraint::Fill(1)).collect();
        constraints.push(Constraint::Length(1));
        let rows = Layout::vertical(constraints).split(*column);
        let axis = rows[rows.len() - 1];
        for (&kind, &chart_area) in kinds.iter().zip(rows.iter()) {
            TimeChart {
                kind,
                series,
                snapshot,
                theme,
            }
            .render(chart_area, buf);
        }
        TimeAxis { series, theme }.render(axis, buf);
    }
}

/// The summary at the bottom, with as many charts above it as fit: all
/// four, or throughput and latency side by side, or none.
fn render_finished(
    snapshot: &Snapshot,
    series: &WindowSeries,
    theme: Theme,
    body: Rect,
    buf: &mut Buffer,
) {
    let wanted = wanted_height(snapshot).min(body.height);
    let [charts_area, summary_area] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(wanted)]).areas(body);
    if charts_area.height >= 15 {
        render_charts(snapshot, series, theme, charts_area, buf);
    } else if charts_area.height >= 6 {
        let grid: [&[ChartKind]; 2] = [&[ChartKind::Throughput], &[ChartKind::Latency]];
        render_chart_columns(snapshot, series, theme, charts_area, &grid, buf);
    }
    Summary { snapshot, theme }.render(summary_area, buf);
}
