//! The per-stage summary table printed after a staged run: one row per
//! stage with throughput, latency percentiles, failures, the target's
//! resources, the bottleneck and the threshold verdict, columns aligned for a terminal.

use crate::stats::summary::Summary;

use super::{failed_count, format_bytes, format_duration_us, format_percent};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StageTableRow {
    pub name: String,
    pub summary: Summary,
    /// Percent of one core.
    pub target_cpu_mean: Option<f32>,
    pub target_rss_peak: Option<u64>,
    /// The database's processes, percent of one core; the `db cpu` column
    /// appears only when some stage has it.
    pub database_cpu_mean: Option<f32>,
    /// `None` when the stage has no thresholds.
    pub verdict: Option<bool>,
    /// Ended before its planned length: shown as `NAME (cut)`.
    pub cut: bool,
    /// The run stopped before its plan ended: no verdict is given.
    pub not_evaluated: bool,
    /// What limited the stage (`pool`, `none`, …), where it was judged.
    pub bottleneck: Option<&'static str>,
}

const HEADER: [&str; 11] = [
    "stage",
    "req/s",
    "p50",
    "p99",
    "p99.9",
    "errors",
    "err%",
    "tgt cpu",
    "tgt rss",
    "bottleneck",
    "verdict",
];
/// Where the `db cpu` column goes: after the target's, before the verdict.
const DATABASE_COLUMN: usize = 9;

fn cells(row: &StageTableRow, database: bool) -> Vec<String> {
    let mut cells = fixed_cells(row).to_vec();
    if database {
        let cpu = row
            .database_cpu_mean
            .map_or_else(|| "-".to_string(), |cpu| format!("{cpu:.0}%"));
        cells.insert(DATABASE_COLUMN, cpu);
    }
    cells
}

fn fixed_cells(row: &StageTableRow) -> [String; 11] {
    let s = &row.summary;
    [
        if row.cut {
            format!("{} (cut)", row.name)
        } else {
            row.name.clone()
        },
        format!("{:.1}", s.rps),
        format_duration_us(s.latency.p50_us),
        format_duration_us(s.latency.p99_us),
        format_duration_us(s.latency.p999_us),
        failed_count(s).to_string(),
        format_percent(s.error_rate),
        row.target_cpu_mean
            .map_or_else(|| "-".to_string(), |cpu| format!("{cpu:.0}%")),
        row.target_rss_peak
            .map_or_else(|| "-".to_string(), format_bytes),
        row.bottleneck.unwrap_or("-").to_string(),
        match row.verdict {
            Some(_) if row.not_evaluated => "not evaluated".to_string(),
            Some(true) => "pass".to_string(),
            Some(false) => "FAIL".to_string(),
            None => "-".to_string(),
        },
    ]
}

/// Header plus one line per row; the stage name is left-aligned, every
/// other column right-aligned, columns two spaces apart.
pub fn render_stage_table(rows: &[StageTableRow]) -> String {
    let database = rows.iter().any(|row| row.database_cpu_mean.is_some());
    let body: Vec<Vec<String>> = rows.iter().map(|row| cells(row, database)).collect();
    let mut header: Vec<String> = HEADER.map(String::from).to_vec();
    if database {
        header.insert(DATABASE_COLUMN, "db cpu".to_string());
    }
    let mut widths: Vec<usize> = header.iter().map(String::len).collect();
    for line in &body {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for line in std::iter::once(&header).chain(&body) {
        for (i, (cell, &width)) in line.iter().zip(&widths).enumerate() {
            if i == 0 {
                out.push_str(&format!("{cell:<width$}"));
            } else {
                out.push_str(&format!("  {cell:>width$}"));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Interval;
    use std::time::Duration;

    fn row(name: &str, latency_us: u64, status: u16, verdict: Option<bool>) -> StageTableRow {
        let mut interval = Interval::new();
        for _ in 0..100 {
            interval.record_response(latency_us, latency_us, status, 10);
        }
        StageTableRow {
            name: name.into(),
            summary: Summary::from_interval(&interval, Duration::from_secs(4)),
            target_cpu_mean: verdict.map(|_| 153.4),
            target_rss_peak: verdict.map(|_| 3 * 1024 * 1024),
            database_cpu_mean: None,
            verdict,
            cut: false,
            not_evaluated: false,
            bottleneck: verdict.map(|_| "pool"),
        }
    }

    #[test]
    fn columns_align_and_cells_carry_units() {
        let rows = [
            row("warmup", 812, 200, None),
            row("pool-exhaustion-long-name", 1_520_000, 503, Some(false)),
            row("steady", 4_210, 200, Some(true)),
        ];
        let table = render_stage_table(&rows);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("stage "));
        assert!(lines[0].ends_with("verdict"));
        // Right-aligned columns make every line equally long.
        assert!(lines.iter().all(|l| l.len() == lines[0].len()), "{table}");
        // Each header ends where its column's cells end.
        let p99_end = lines[0].find("p99 ").unwrap() + 3;
        assert_eq!(&lines[1][p99_end - 5..p99_end], "812us");
        assert!(lines[1].contains("25.0") && lines[1].ends_with("-"));
        assert!(lines[2].starts_with("pool-exhaustion-long-name  "));
        assert!(lines[2].contains("1.52s") && lines[2].contains("100.00%"));
        assert!(lines[2].contains("153%") && lines[2].contains("3.00MiB"));
        assert!(
            lines[2].ends_with("FAIL") && lines[2].contains(" pool "),
            "{table}"
        );
        assert!(lines[3].contains("4.21ms") && lines[3].ends_with("pass"));
        assert!(lines[3].contains("  0.00%"));
    }

    #[test]
    fn a_cut_stage_is_marked_and_an_interrupted_run_gives_no_verdict() {
        let mut cut = row("steady", 4_210, 200, Some(true));
        cut.cut = true;
        cut.not_evaluated = true;
        let table = render_stage_table(&[row("warmup", 812, 200, None), cut]);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[2].starts_with("steady (cut)  "), "{table}");
        assert!(lines[2].ends_with("not evaluated"), "{table}");
        assert!(!table.contains("pass"), "{table}");
        assert!(lines[1].ends_with('-'), "{table}");
    }

    #[test]
    fn empty_table_is_just_the_header() {
        let table = render_stage_table(&[]);
        assert_eq!(table.lines().count(), 1);
        assert!(table.contains("req/s") && table.contains("tgt rss"));
        assert!(!table.contains("db cpu"), "{table}");
    }

    #[test]
    fn a_database_adds_its_column_after_the_targets() {
        let mut with_db = row("slow", 40_000, 200, Some(true));
        with_db.database_cpu_mean = Some(87.6);
        let table = render_stage_table(&[row("warmup", 812, 200, None), with_db]);
        let lines: Vec<&str> = table.lines().collect();
        assert!(
            lines[0].contains("tgt rss  db cpu  bottleneck  verdict"),
            "{table}"
        );
        assert!(lines[2].contains("  88%  "), "{table}");
        assert!(lines[2].ends_with("pass"), "{table}");
        assert!(lines[1].ends_with("-        -"), "{table}");
        assert!(lines.iter().all(|l| l.len() == lines[0].len()), "{table}");
    }
}
