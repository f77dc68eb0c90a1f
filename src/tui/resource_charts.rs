//! The resource charts of [`TimeChart`]: CPU and memory of the target, the
//! generator, the machine and, when one is watched, the database.

use super::charts::{
    ChartSpec, GLYPH_AREA, GLYPH_DOT, GLYPH_LINE, LegendItem, TimeChart, linear_ticks,
};
use super::format;
use super::series::{max_y, nice_ceiling};
use super::theme::colors;

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
            y_ticks: linear_ticks(top, |v| format!("{v:.0}%")),
        };
        let database = res.and_then(|r| r.cpu_database);
        if database.is_some() || !s.cpu_database.is_empty() {
            spec.legend.insert(1, database_legend(pct(database)));
            spec.datasets
                .push(self.line(&s.cpu_database, colors::DATABASE));
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
            y_ticks: linear_ticks(top, |v| {
                if v > 0.0 {
                    format::bytes(v as u64)
                } else {
                    "0".to_string()
                }
            }),
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

/// The database's series in a CPU or memory legend (only when there is one).
fn database_legend(value: String) -> LegendItem {
    LegendItem {
        glyph: GLYPH_LINE,
        color: colors::DATABASE,
        short: format!("db {value}"),
        long: format!("database {value}"),
    }
}
