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
