//! Integration tests: the dashboard's screens, rendered with ratatui's
//! `TestBackend` from hand-built snapshots (see `fixtures`), checked by insta
//! snapshots (reviewed by eye) and by assertions on what must be visible.

pub(crate) mod e2e;
mod fixtures;
mod real;
pub(crate) mod saturated;
mod schedule;
mod verdict;

use loadtop::snapshot::Snapshot;
use loadtop::tui::{AppState, KEY_GROUPS, draw};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

fn screen(state: &AppState, snapshot: &Snapshot, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| draw(frame, state, snapshot)).unwrap();
    terminal
}

fn text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn screen_text(state: &AppState, snapshot: &Snapshot, width: u16, height: u16) -> String {
    text(screen(state, snapshot, width, height).backend().buffer())
}

fn assert_contains(haystack: &str, needles: &[&str]) {
    for needle in needles {
        assert!(
            haystack.contains(needle),
            "missing {needle:?} in:\n{haystack}"
        );
    }
}

#[test]
fn healthy_run_80x24() {
    let snapshot = fixtures::healthy();
    let terminal = screen(&AppState::default(), &snapshot, 80, 24);
    let shown = text(terminal.backend().buffer());
    assert_contains(
        &shown,
        &[
            "embedded /pool",
            "open 1000 req/s",
            "2/3",
            "medium",
            "p99",
            "p50",
            "Latency",
            "CPU",
            "pool 3/10",
            "? help",
        ],
    );
    // The window spans the warmup→medium change: its name sits on the axis.
    assert!(shown.contains("┊medium"), "{shown}");
    insta::assert_snapshot!("healthy_80x24", terminal.backend());
}

#[test]
fn healthy_run_120x40() {
    let snapshot = fixtures::healthy();
    let terminal = screen(&AppState::default(), &snapshot, 120, 40);
    let shown = text(terminal.backend().buffer());
    assert_contains(
        &shown,
        &[
            "open 1000 req/s (latency corrected)",
            "Responses",
            "Connections",
            "Server",
            "Events",
            "stage 2/3 medium started",
            "p99.9",
        ],
    );
    insta::assert_snapshot!("healthy_120x40", terminal.backend());
}

#[test]
fn pool_exhaustion_shows_the_p99_spike_in_real_units() {
    let snapshot = fixtures::pool_exhaustion();
    for (width, height) in [(80, 24), (120, 40)] {
        let terminal = screen(&AppState::default(), &snapshot, width, height);
        let shown = text(terminal.backend().buffer());
        // Log scale labelled in real units spans the 1 ms → 250 ms jump.
        assert_contains(&shown, &["1ms", "100ms", "1s", "5/5", "p99 2"]);
        assert!(
            shown.contains("52 waiting") || shown.contains("waiting   52"),
            "{shown}"
        );
        insta::assert_snapshot!(
            format!("pool_exhaustion_{width}x{height}"),
            terminal.backend()
        );
    }
}

#[test]
fn target_exited_banner() {
    let snapshot = fixtures::target_exited();
    for (width, height) in [(80, 24), (120, 40)] {
        let terminal = screen(&AppState::default(), &snapshot, width, height);
        let shown = text(terminal.backend().buffer());
        assert_contains(
            &shown,
            &[
                "target exited: killed by signal 9",
                "closed 50 conns",
                "NOT corrected",
                "connect_refused",
                "no server stats",
            ],
        );
        insta::assert_snapshot!(
            format!("target_exited_{width}x{height}"),
            terminal.backend()
        );
    }
}

#[test]
fn an_external_targets_scraped_pool_takes_the_server_panel() {
    let mut snapshot = fixtures::target_exited();
    assert!(snapshot.server.is_none());
    snapshot.scraped_pool = Some(loadtop::diagnosis::pool_metrics::ScrapedPool {
        name: Some("orders".into()),
        max: Some(10),
        used: Some(10),
        idle: Some(0),
        pending: Some(37),
        timeouts: None,
    });
    for (width, height) in [(80, 24), (120, 40)] {
        let shown = screen_text(&AppState::default(), &snapshot, width, height);
        assert_contains(&shown, &["pool \"orders\"", "10/10 used · 37 pending"]);
        assert!(!shown.contains("no server stats"), "{shown}");
    }
}

#[test]
fn target_saturation_banner_names_the_target_and_suggests_connections_not_threads() {
    let snapshot = fixtures::target_saturated();
    let terminal = screen(&AppState::default(), &snapshot, 120, 40);
    let shown = text(terminal.backend().buffer());
    assert_contains(
        &shown,
        &[
            "target saturated: all 16 connections waiting; open more connections (C) or lower the rate",
        ],
    );
    assert!(!shown.contains("generator saturated"), "{shown}");
    let banner = shown
        .lines()
        .find(|line| line.contains("target saturated"))
        .unwrap();
    assert!(!banner.contains("thread"), "{banner}");
}

#[test]
fn generator_saturated_and_threshold_banners() {
    let snapshot = fixtures::generator_saturated();
    let terminal = screen(&AppState::default(), &snapshot, 80, 24);
    let shown = text(terminal.backend().buffer());
    assert_contains(
        &shown,
        &[
            "generator saturated: worker threads at 97% CPU",
            "thresholds failing: p99 < 50ms",
        ],
    );
    // The banner row is highlighted across the whole width.
    let buffer = terminal.backend().buffer();
    let row = (0..buffer.area.height)
        .find(|&y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
                .contains("generator saturated")
        })
        .unwrap();
    assert_eq!(buffer[(buffer.area.width - 1, row)].bg, Color::Red);
    insta::assert_snapshot!("generator_saturated_80x24", terminal.backend());
    let wide = screen(&AppState::default(), &snapshot, 120, 40);
    insta::assert_snapshot!("generator_saturated_120x40", wide.backend());
}

#[test]
fn finished_run_shows_the_summary() {
    let snapshot = fixtures::finished();
    for (width, height) in [(80, 24), (120, 40)] {
        let terminal = screen(&AppState::default(), &snapshot, width, height);
        let shown = text(terminal.backend().buffer());
        assert_contains(
            &shown,
            &[
                "Run finished",
                "warmup",
                "medium",
                "high",
                "FAIL",
                "PASS",
                "errors < 0.1%",
                "reports/loadtop-run.json",
                "FINISHED",
                "q quit",
            ],
        );
        insta::assert_snapshot!(format!("finished_{width}x{height}"), terminal.backend());
    }
}

#[test]
fn help_overlay_lists_every_key() {
    let state = AppState {
        show_help: true,
        ..AppState::default()
    };
    let snapshot = fixtures::healthy();
    let terminal = screen(&state, &snapshot, 80, 24);
    let shown = text(terminal.backend().buffer());
    for (_, keys) in KEY_GROUPS {
        for (key, what) in keys {
            assert!(shown.contains(key), "key {key:?} missing:\n{shown}");
            assert!(shown.contains(what), "{what:?} missing:\n{shown}");
        }
    }
    insta::assert_snapshot!("help_80x24", terminal.backend());
}

#[test]
fn no_color_uses_no_colours_but_keeps_markers() {
    let state = AppState {
        no_color: true,
        ..AppState::default()
    };
    for snapshot in [
        fixtures::pool_exhaustion(),
        fixtures::generator_saturated(),
        fixtures::finished(),
    ] {
        let terminal = screen(&state, &snapshot, 120, 40);
        let buffer = terminal.backend().buffer();
        for cell in buffer.content() {
            assert_eq!(cell.fg, Color::Reset, "coloured cell {cell:?}");
            assert_eq!(cell.bg, Color::Reset, "coloured cell {cell:?}");
        }
    }
    let terminal = screen(&state, &fixtures::pool_exhaustion(), 80, 24);
    let shown = text(terminal.backend().buffer());
    // Series stay apart by glyph: Braille p99, dotted p50, legend glyphs.
    assert_contains(&shown, &["⣿ p99", "• p50", "░"]);
    assert!(
        shown
            .chars()
            .any(|c| ('\u{2801}'..='\u{28ff}').contains(&c))
    );
    insta::assert_snapshot!("no_color_pool_exhaustion_80x24", terminal.backend());
}

#[test]
fn colour_mode_colours_the_series() {
    let terminal = screen(&AppState::default(), &fixtures::healthy(), 80, 24);
    let buffer = terminal.backend().buffer();
    assert!(buffer.content().iter().any(|c| c.fg == Color::LightGreen));
    assert!(buffer.content().iter().any(|c| c.fg == Color::LightRed));
}

#[test]
fn zoom_and_reset_move_the_time_axis() {
    let snapshot = fixtures::healthy();
    let wide_window = AppState {
        window_secs: 300,
        ..AppState::default()
    };
    let shown = screen_text(&wide_window, &snapshot, 80, 24);
    assert_contains(&shown, &["5:00", "0:00"]);
    let narrow = AppState {
        window_secs: 30,
        ..AppState::default()
    };
    let shown = screen_text(&narrow, &snapshot, 80, 24);
    assert_contains(&shown, &["0:45", "1:15"]);
    let reset = AppState {
        window_start: Some(70),
        ..AppState::default()
    };
    let shown = screen_text(&reset, &snapshot, 80, 24);
    assert_contains(&shown, &["1:10", "2:10"]);
}

#[test]
fn paused_held_and_hint_are_visible() {
    let mut snapshot = fixtures::healthy();
    snapshot.paused = true;
    snapshot.stage.as_mut().unwrap().held = true;
    let state = AppState {
        last_hint: Some("connections 50 → 25".into()),
        ..AppState::default()
    };
    let shown = screen_text(&state, &snapshot, 80, 24);
    assert_contains(&shown, &["PAUSED", "HELD", "connections 50 → 25"]);
}

#[test]
fn any_size_renders_without_panicking() {
    let state = AppState {
        show_help: true,
        ..AppState::default()
    };
    let snapshots = [
        Snapshot::default(),
        fixtures::healthy(),
        fixtures::pool_exhaustion(),
        fixtures::finished(),
        fixtures::target_exited(),
    ];
    for snapshot in &snapshots {
        for (w, h) in [
            (1, 1),
            (10, 3),
            (20, 5),
            (40, 12),
            (60, 16),
            (79, 23),
            (100, 30),
            (250, 70),
        ] {
            screen(&state, snapshot, w, h);
            screen(&AppState::default(), snapshot, w, h);
        }
    }
}

#[test]
fn large_terminal_uses_the_space() {
    let shown = screen_text(&AppState::default(), &fixtures::pool_exhaustion(), 200, 60);
    assert_contains(
        &shown,
        &[
            "Events",
            "server knobs: pool size 10 → 5",
            "FULL",
            "Responses (stage)",
        ],
    );
}
