//! The charts' data for one frame: the timeline points inside the sliding
//! window turned into `(x, y)` series once, plus where stages change. Built
//! from at most a few hundred points, so doing it per frame is cheap.

use super::state::AppState;
use crate::snapshot::{Snapshot, TimelinePoint};
use crate::units::MIB;

/// Latencies are plotted as log10 of microseconds; zero would be -inf.
const MIN_PLOTTED_US: f64 = 1.0;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StageMark {
    /// Run second at which the stage started.
    pub second: f64,
    pub name: String,
}

#[derive(Clone, Debug, Default)]
pub struct WindowSeries {
    /// x bounds: run seconds.
    pub x0: f64,
    pub x1: f64,
    pub rps: Vec<(f64, f64)>,
    pub target_rps: Vec<(f64, f64)>,
    /// Failed requests per second, only the seconds that had any.
    pub errors: Vec<(f64, f64)>,
    pub p50_log: Vec<(f64, f64)>,
    pub p99_log: Vec<(f64, f64)>,
    pub cpu_target: Vec<(f64, f64)>,
    pub cpu_generator: Vec<(f64, f64)>,
    pub cpu_system: Vec<(f64, f64)>,
    pub rss_target: Vec<(f64, f64)>,
    pub rss_generator: Vec<(f64, f64)>,
    /// The database's processes together (memory as PSS); empty without one.
    pub cpu_database: Vec<(f64, f64)>,
    pub rss_database: Vec<(f64, f64)>,
    /// Upper bound of the memory chart's RSS axis, in bytes.
    pub memory_top: f64,
    /// System memory in use as a share of all memory, scaled so the whole
    /// chart height is all memory: the shade fills the chart when the machine
    /// runs out, while the RSS lines keep their own axis.
    pub mem_system_share: Vec<(f64, f64)>,
    pub marks: Vec<StageMark>,
    /// Name of the stage at the window's left edge.
    pub first_stage: Option<String>,
}

impl WindowSeries {
    pub fn build(state: &AppState, snapshot: &Snapshot) -> Self {
        let latest = snapshot
            .timeline
            .last()
            .map_or(snapshot.elapsed.as_secs(), |p| p.second);
        let width = state.window_secs.max(1);
        // The window slides once the run is longer than it; before that (or
        // after `w`) the lines grow from the left edge.
        let start = latest
            .saturating_sub(width)
            .max(state.window_start.unwrap_or(0));
        let mut series = WindowSeries {
            x0: start as f64,
            x1: (start + width) as f64,
            ..WindowSeries::default()
        };
        let visible: Vec<&TimelinePoint> = snapshot
            .timeline
            .iter()
            .filter(|p| p.second >= start && p.second <= start + width)
            .collect();
        let stage_name = |index: usize| {
            snapshot
                .stage_rows
                .get(index)
                .map(|row| row.name.clone())
                .or_else(|| {
                    snapshot
                        .stage
                        .as_ref()
                        .filter(|s| s.index == index)
                        .map(|s| s.name.clone())
                })
                .unwrap_or_else(|| format!("stage {}", index + 1))
        };
        // A point closes its second, so the one at `start` describes the
        // second before the window: name the stage from the next one.
        series.first_stage = visible
            .iter()
            .find(|p| p.second > start)
            .or(visible.first())
            .map(|p| stage_name(p.stage));
        let mut previous_stage = None;
        for point in &visible {
            let x = point.second as f64;
            if previous_stage.is_some_and(|s| s != point.stage) && x - 1.0 > series.x0 {
                series.marks.push(StageMark {
                    // The point closes its second, so the stage began one earlier.
                    second: x - 1.0,
                    name: stage_name(point.stage),
                });
            }
            previous_stage = Some(point.stage);
            series.rps.push((x, point.rps));
            if point.errors > 0 {
                series.errors.push((x, point.errors as f64));
            }
            if let Some(target) = point.target_rps {
                series.target_rps.push((x, target));
            }
            // A second without responses has no latency; plotting it as 1µs
            // would draw a cliff that never happened.
            if point.p99_us > 0 {
                series.p50_log.push((x, log_us(point.p50_us)));
                series.p99_log.push((x, log_us(point.p99_us)));
            }
            push_opt(&mut series.cpu_target, x, point.cpu_target.map(f64::from));
            push_opt(
                &mut series.cpu_generator,
                x,
                point.cpu_generator.map(f64::from),
            );
            push_opt(&mut series.cpu_system, x, point.cpu_system.map(f64::from));
            push_opt(
                &mut series.rss_target,
                x,
                point.rss_target.map(|b| b as f64),
            );
            push_opt(
                &mut series.rss_generator,
                x,
                point.rss_generator.map(|b| b as f64),
            );
            push_opt(
                &mut series.cpu_database,
                x,
                point.cpu_database.map(f64::from),
            );
            push_opt(
                &mut series.rss_database,
                x,
                point.rss_database.map(|b| b as f64),
            );
            push_opt(
                &mut series.mem_system_share,
                x,
                point.mem_system_used.map(|b| b as f64),
            );
        }
        let peak_rss = max_y([
            &series.rss_target[..],
            &series.rss_generator[..],
            &series.rss_database[..],
        ]);
        series.memory_top = nice_ceiling(peak_rss * 1.1 / MIB).max(1.0) * MIB;
        let total = snapshot.resources.as_ref().map_or(0, |r| r.mem_total) as f64;
        if total > 0.0 {
            let scale = series.memory_top / total;
            series
                .mem_system_share
                .iter_mut()
                .for_each(|p| p.1 = (p.1 * scale).min(series.memory_top));
        } else {
            series.mem_system_share.clear();
        }
        series
    }
}

fn push_opt(series: &mut Vec<(f64, f64)>, x: f64, y: Option<f64>) {
    if let Some(y) = y {
        series.push((x, y));
    }
}

pub fn log_us(us: u64) -> f64 {
    (us as f64).max(MIN_PLOTTED_US).log10()
}

/// Largest y of any of the series.
pub fn max_y<'a>(series: impl IntoIterator<Item = &'a [(f64, f64)]>) -> f64 {
    series
        .into_iter()
        .flat_map(|s| s.iter().map(|p| p.1))
        .fold(0.0, f64::max)
}

/// A round upper bound at or above `value` (1, 2, 2.5, 5 × 10^n), so axis
/// labels come out as numbers a person would write.
pub fn nice_ceiling(value: f64) -> f64 {
    if value <= 0.0 || !value.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(value.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * magnitude >= value {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::StageRow;

    fn point(second: u64, stage: usize) -> TimelinePoint {
        TimelinePoint {
            second,
            stage,
            rps: 100.0,
            p50_us: 1_000,
            p99_us: 100_000,
            ..TimelinePoint::default()
        }
    }

    fn snapshot(seconds: u64) -> Snapshot {
        Snapshot {
            timeline: (1..=seconds).map(|s| point(s, (s / 40) as usize)).collect(),
            stage_rows: ["low", "mid", "high"]
                .iter()
                .map(|n| StageRow {
                    name: n.to_string(),
                    ..StageRow::default()
                })
                .collect(),
            ..Snapshot::default()
        }
    }

    #[test]
    fn window_slides_and_marks_stage_changes() {
        let series = WindowSeries::build(&AppState::default(), &snapshot(100));
        assert_eq!((series.x0, series.x1), (40.0, 100.0));
        assert_eq!(series.rps.len(), 61);
        assert_eq!(series.first_stage.as_deref(), Some("mid"));
        assert_eq!(
            series.marks,
            vec![StageMark {
                second: 79.0,
                name: "high".into()
            }]
        );
        assert_eq!(series.p99_log[0].1, 5.0);
    }

    #[test]
    fn young_run_grows_from_the_left_and_reset_starts_later() {
        let series = WindowSeries::build(&AppState::default(), &snapshot(10));
        assert_eq!((series.x0, series.x1), (0.0, 60.0));
        let state = AppState {
            window_start: Some(95),
            ..AppState::default()
        };
        let series = WindowSeries::build(&state, &snapshot(100));
        assert_eq!(series.x0, 95.0);
        assert_eq!(series.rps.len(), 6);
    }

    #[test]
    fn nice_ceilings() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(870.0), 1000.0);
        assert_eq!(nice_ceiling(1100.0), 2000.0);
        assert_eq!(nice_ceiling(2400.0), 2500.0);
        assert_eq!(nice_ceiling(130.0), 200.0);
    }
}
