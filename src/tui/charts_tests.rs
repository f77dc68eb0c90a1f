use super::*;
use crate::snapshot::TimelinePoint;
use crate::tui::state::AppState;

/// Renders one chart and returns its rows as strings.
fn rows(kind: ChartKind, snapshot: &Snapshot, width: u16, height: u16) -> Vec<String> {
    let series = WindowSeries::build(&AppState::default(), snapshot);
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    TimeChart {
        kind,
        series: &series,
        snapshot,
        theme: Theme::new(true),
    }
    .render(area, &mut buf);
    crate::tui::buffer_rows(&buf)
}

fn flat(us: u64, seconds: u64) -> Snapshot {
    Snapshot {
        timeline: (1..=seconds)
            .map(|second| TimelinePoint {
                second,
                rps: 500.0,
                p50_us: us,
                p99_us: us,
                ..TimelinePoint::default()
            })
            .collect(),
        ..Snapshot::default()
    }
}

#[test]
fn latency_labels_sit_on_the_rows_their_values_are_plotted() {
    // 10 ms exactly, in plots of several heights: the Braille line must
    // share its row with the `10ms` label.
    for height in 5..14 {
        let shown = rows(ChartKind::Latency, &flat(10_000, 30), 40, height);
        let label_row = shown.iter().position(|r| r.starts_with(" 10ms")).unwrap();
        let braille_row = shown
            .iter()
            .skip(1)
            .position(|r| r.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c)))
            .unwrap()
            + 1;
        assert_eq!(
            label_row,
            braille_row,
            "height {height}:\n{}",
            shown.join("\n")
        );
    }
}

#[test]
fn throughput_mid_label_matches_its_row() {
    for height in 5..14 {
        let shown = rows(ChartKind::Throughput, &flat(1_000, 30), 40, height);
        // 500 req/s on a 0..1000 axis is the middle label.
        let label_row = shown.iter().position(|r| r.starts_with("  500")).unwrap();
        let braille_row = shown
            .iter()
            .skip(1)
            .position(|r| r.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c)))
            .unwrap()
            + 1;
        assert_eq!(
            label_row,
            braille_row,
            "height {height}:\n{}",
            shown.join("\n")
        );
    }
}

#[test]
fn legend_shortens_to_fit() {
    let shown = rows(ChartKind::Cpu, &flat(1_000, 30), 30, 6);
    assert!(shown[0].starts_with("CPU "), "{}", shown[0]);
    let shown = rows(ChartKind::Cpu, &flat(1_000, 30), 90, 6);
    assert!(shown[0].starts_with("CPU (100% = 1 core)"), "{}", shown[0]);
}

/// `flat` with the target's CPU and its busiest thread's (CPU, and CPU
/// plus run-queue wait).
fn with_busiest_thread(target: f32, busiest: f32, busy: f32) -> Snapshot {
    let mut snapshot = flat(1_000, 30);
    for point in &mut snapshot.timeline {
        point.cpu_target = Some(target);
    }
    snapshot.resources = Some(crate::snapshot::ResourceView {
        cpu_target: Some(target),
        target_signals: crate::monitor::TargetSignals {
            process: Some(crate::monitor::ProcessSignals {
                busiest_thread_cpu: busiest,
                busiest_thread_busy: busy,
                ..crate::monitor::ProcessSignals::default()
            }),
            ..crate::monitor::TargetSignals::default()
        },
        ..crate::snapshot::ResourceView::default()
    });
    snapshot
}

#[test]
fn the_cpu_chart_marks_the_target_s_busiest_thread_and_warns_at_a_full_core() {
    // 0..100 % over 11 rows: 50 % is the middle row, dashed where no
    // series is drawn.
    let shown = rows(
        ChartKind::Cpu,
        &with_busiest_thread(60.0, 50.0, 60.0),
        100,
        12,
    );
    assert!(
        shown[0].contains("⣿ target 60%  ┄ busiest thread 50%  • loadtop"),
        "{}",
        shown[0]
    );
    let level_row = shown.iter().position(|r| r.contains("┄┄┄┄")).unwrap();
    let mid_label = shown.iter().position(|r| r.starts_with("  50%")).unwrap();
    assert_eq!(level_row, mid_label, "{}", shown.join("\n"));
    // The machine's CPU, an area always at least as high, does not hide it.
    let mut busy_machine = with_busiest_thread(60.0, 50.0, 60.0);
    for point in &mut busy_machine.timeline {
        point.cpu_system = Some(95.0);
    }
    let shown = rows(ChartKind::Cpu, &busy_machine, 100, 12);
    assert!(shown[mid_label].contains("┄┄┄┄"), "{}", shown.join("\n"));
    assert!(
        shown[mid_label + 1].contains("░░░░"),
        "{}",
        shown.join("\n")
    );

    // At 96 % one thread is a full core: said in words and as a warning.
    let hot = with_busiest_thread(110.0, 96.0, 97.0);
    let shown = rows(ChartKind::Cpu, &hot, 100, 12);
    assert!(
        shown[0].contains("┄ busiest thread 96% (a full core)"),
        "{}",
        shown[0]
    );
    let series = WindowSeries::build(&AppState::default(), &hot);
    let area = Rect::new(0, 0, 100, 12);
    let mut buf = Buffer::empty(area);
    TimeChart {
        kind: ChartKind::Cpu,
        series: &series,
        snapshot: &hot,
        theme: Theme::new(false),
    }
    .render(area, &mut buf);
    let text_x = shown[0].chars().position(|c| c == '┄').unwrap() as u16 + 2;
    assert_eq!(buf[(text_x, 0)].style().fg, Theme::new(false).warn().fg);
    // Narrow: the short form keeps the mark.
    let shown = rows(ChartKind::Cpu, &hot, 44, 6);
    assert!(shown[0].contains("tgt 110% ┄ 96%! • gen"), "{}", shown[0]);

    // Below a core but never idle (the machine's other work takes the rest),
    // as the diagnosis's target_thread judges it.
    let starved = with_busiest_thread(70.0, 64.0, 100.0);
    let shown = rows(ChartKind::Cpu, &starved, 110, 12);
    assert!(
        shown[0].contains("┄ busiest thread 64% (100% with run-queue wait)"),
        "{}",
        shown[0]
    );
    // Below half a core a waiting thread is not saturated.
    let waiting = with_busiest_thread(45.0, 40.0, 100.0);
    let shown = rows(ChartKind::Cpu, &waiting, 110, 12);
    assert!(shown[0].contains("┄ busiest thread 40%  •"), "{}", shown[0]);

    // Without the target's threads in view there is no mark.
    let shown = rows(ChartKind::Cpu, &flat(1_000, 30), 100, 12);
    assert!(!shown.join("\n").contains('┄'), "{}", shown.join("\n"));
}
