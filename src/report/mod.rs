//! Reports: the versioned JSON document (`loadtop.report/1`, schema in
//! `docs/report.schema.json`), the human text summaries, and the files they
//! are written to. Reports are built by `session` from what it measured; the
//! histograms inside are exact, so reports can be merged or re-checked later.

pub mod check;
pub mod csv;
pub mod diagnosis;
pub mod files;
pub mod hgrm;
pub mod hlog;
pub mod html;
pub mod input;
pub mod json;
pub mod merge;
pub mod requests;
pub mod review;
pub mod text;
mod threshold_result;
mod totals;
mod wire;

pub use files::{OutputFiles, write_outputs};
pub use input::{ReportInputError, load_report};
pub use json::{
    EventEntry, EventKind, PlanReport, Report, RunOutcome, StageReport, ThresholdResult,
    TimelineEntry,
};

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write report {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Destination(String),
    #[error("cannot encode report: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("cannot encode histogram: {0}")]
    Histogram(String),
}

/// Writes the JSON report atomically (see [`files::write_atomic`]): a
/// reader, or a crash, never sees half a report.
pub fn write_json(report: &Report, path: &Path) -> Result<(), ReportError> {
    let mut bytes = serde_json::to_vec_pretty(report)?;
    bytes.push(b'\n');
    files::write_atomic(path, &bytes)
}

/// Writes the report to `path`; when that fails, keeps it beside the default
/// report directory (or in the temporary directory) so a run's data is
/// never lost to a bad destination. Returns where it is, if anywhere, and
/// what went wrong, if anything.
pub fn save_json(report: &Report, path: &Path) -> (Option<PathBuf>, Option<String>) {
    match write_json(report, path) {
        Ok(()) => (Some(path.to_path_buf()), None),
        Err(err) => match keep_elsewhere(report) {
            Some(kept) => {
                let note = format!("{err}; the report was saved to {} instead", kept.display());
                (Some(kept), Some(note))
            }
            None => (
                None,
                Some(format!("{err}; nowhere else could take it either")),
            ),
        },
    }
}

/// The report under `loadtop-reports/`, or under the temporary directory
/// when the working directory takes no files: where it went, if anywhere.
pub fn keep_elsewhere(report: &Report) -> Option<PathBuf> {
    let relative = default_path(&report.plan.name);
    [relative.clone(), std::env::temp_dir().join(relative)]
        .into_iter()
        .find(|candidate| write_json(report, candidate).is_ok())
}

/// [`default_path`], or the same under the temporary directory when the
/// working directory takes no files (a read-only container, `/`).
pub fn writable_default_path(name: &str) -> PathBuf {
    let path = default_path(name);
    if files::check_writable(&path).is_ok() {
        path
    } else {
        std::env::temp_dir().join(path)
    }
}

/// Where a run's report goes when the user did not say: a timestamped file
/// under `loadtop-reports/` in the working directory.
pub fn default_path(name: &str) -> PathBuf {
    let stamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now())
        .to_string()
        .replace(['-', ':'], "");
    let safe_name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    PathBuf::from("loadtop-reports").join(format!("{safe_name}-{stamp}.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_path_is_timestamped_and_safe() {
        let path = default_path("my profile/1");
        let text = path.to_string_lossy();
        assert!(text.starts_with("loadtop-reports/my_profile_1-"), "{text}");
        assert!(text.ends_with("Z.json"), "{text}");
    }

    #[test]
    fn write_json_is_atomic_and_creates_directories() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/run.json");
        let report = Report::empty_for_tests();
        write_json(&report, &path).unwrap();
        let back: Report = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(back.schema, json::SCHEMA);
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn write_json_names_the_path_on_failure() {
        let err = write_json(
            &Report::empty_for_tests(),
            Path::new("/proc/definitely/not/here.json"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("/proc/definitely/not/here.json"), "{err}");
    }
}
