//! The resource charts of [`TimeChart`]: CPU and memory of the target, the
//! generator, the machine and, when one is watched, the database.

use super::charts::{
    ChartSpec, GLYPH_AREA, GLYPH_DOT, GLYPH_LEVEL, GLYPH_LINE, LegendItem, Level, TimeChart,
    linear_ticks,
};
use super::format;
use super::series::{max_y, nice_ceiling};
use super::theme::colors;
use crate::diagnosis::{SATURATED_THREAD_PERCENT, thread_saturated};
use crate::monitor::ProcessSignals;

impl<'a> TimeChart<'a> {
    pub(super) fn cpu(&self) -> ChartSpec<'a> {
        let s = self.series;
        let peak = max_y([
            &s.cpu_target[..],
            &s.cpu_generator[..],
            &s.cpu_system[..],
            &s.cpu_database[..],
        ]);
        let top = nice_ceiling(peak).max(100.0);
        let res = self.snapshot.resources.as_ref();
        let target = res.and_then(|r| r.cpu_target);
        let generator = res.map(|r| r.cpu_generator);
        let system = res.map(|r| r.cpu_system);
        let pct = |v: Option<f32>| v.map_or("-".to_string(), |v| format!("{v:.0}%"));
        let mut spec = ChartSpec {
            title: "CPU (100% = 1 core)",
            short_title: "CPU",
            legend: vec![
                LegendItem::new(
                    GLYPH_LINE,
                    colors::TARGET_PROCESS,
                    format!("target {}", pct(target)),
                    format!("tgt {}", pct(target)),
                ),
                LegendItem::new(
                    GLYPH_DOT,
                    colors::GENERATOR,
                    format!("loadtop {}", pct(generator)),
                    format!("gen {}", pct(generator)),
                ),
                LegendItem::new(
                    GLYPH_AREA,
                    colors::SYSTEM,
                    format!("system {}", pct(system)),
                    format!("sys {}", pct(system)),
                ),
            ],
            datasets: vec![
                self.area(&s.cpu_system),
                self.dots(&s.cpu_generator, colors::GENERATOR),
                self.line(&s.cpu_target, colors::TARGET_PROCESS),
            ],
            y_bounds: [0.0, top],
            y_ticks: linear_ticks(top, |v| format!("{v:.0}%")),
            level: None,
        };
        let database = res.and_then(|r| r.cpu_database);
        if database.is_some() || !s.cpu_database.is_empty() {
            spec.legend.insert(1, database_legend(pct(database)));
            spec.datasets
                .push(self.line(&s.cpu_database, colors::DATABASE));
        }
        // The target's busiest thread, beside the target: a process well
        // under its cores can still be bound by one thread at a full core.
        let busiest = res
            .filter(|r| r.cpu_target.is_some())
            .and_then(|r| r.target_signals.process);
        if let Some(signals) = busiest {
            let (item, level) = busiest_thread_mark(&signals);
            spec.legend.insert(1, item);
            spec.level = Some(level);
        }
        spec
    }

    pub(super) fn memory(&self) -> ChartSpec<'a> {
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
        let mut spec = ChartSpec {
            title: "Memory RSS",
            short_title: "RSS",
            legend: vec![
                LegendItem::new(
                    GLYPH_LINE,
                    colors::TARGET_PROCESS,
                    format!("target {}", rss(res.and_then(|r| r.rss_target))),
                    format!("tgt {}", rss(res.and_then(|r| r.rss_target))),
                ),
                LegendItem::new(
                    GLYPH_DOT,
                    colors::GENERATOR,
                    format!("loadtop {}", rss(res.map(|r| r.rss_generator))),
                    format!("gen {}", rss(res.map(|r| r.rss_generator))),
                ),
                LegendItem::new(
                    GLYPH_AREA,
                    colors::SYSTEM,
                    format!("system used {used_pct} of {total} (full height)"),
                    format!("sys {used_pct}"),
                ),
            ],
            datasets: vec![
                self.area(&s.mem_system_share),
                self.dots(&s.rss_generator, colors::GENERATOR),
                self.line(&s.rss_target, colors::TARGET_PROCESS),
            ],
            y_bounds: [0.0, top],
            y_ticks: linear_ticks(top, |v| {
                if v > 0.0 {
                    format::bytes(v as u64)
                } else {
                    "0".to_string()
                }
            }),
            level: None,
        };
        let database = res.and_then(|r| r.rss_database);
        if database.is_some() || !s.rss_database.is_empty() {
            // PSS: shared buffers count once, not once per backend.
            spec.legend
                .insert(1, database_legend(format!("{} PSS", rss(database))));
            spec.datasets
                .push(self.line(&s.rss_database, colors::DATABASE));
        }
        spec
    }
}

/// The busiest target thread's legend entry and its dashed level on the
/// CPU chart. When the diagnosis would call that thread saturated (a full
/// core, or never idle while it runs half a core or more) both turn to a
/// warning that says which.
fn busiest_thread_mark(signals: &ProcessSignals) -> (LegendItem, Level) {
    let cpu = signals.busiest_thread_cpu;
    let busy = signals.busiest_thread_busy.max(cpu);
    let saturated = thread_saturated(cpu, busy);
    let why = if !saturated {
        String::new()
    } else if cpu >= SATURATED_THREAD_PERCENT {
        " (a full core)".to_string()
    } else {
        format!(" ({busy:.0}% with run-queue wait)")
    };
    let item = LegendItem {
        glyph: GLYPH_LEVEL,
        color: if saturated {
            colors::ERRORS
        } else {
            colors::TARGET_PROCESS
        },
        long: format!("busiest thread {cpu:.0}%{why}"),
        // Bare, so the short CPU legend still fits half an 80-column screen.
        short: format!("{cpu:.0}%{}", if saturated { "!" } else { "" }),
        warn: saturated,
    };
    let level = Level {
        value: f64::from(cpu),
        color: item.color,
    };
    (item, level)
}

/// The database's series in a CPU or memory legend (only when there is one).
fn database_legend(value: String) -> LegendItem {
    LegendItem::new(
        GLYPH_LINE,
        colors::DATABASE,
        format!("database {value}"),
        format!("db {value}"),
    )
}
