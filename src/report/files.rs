//! The files a finished report can be turned into (`--html`, `--hgrm`,
//! `--hlog`, `--csv`), written after a run or later by `loadtop report`.
//! Data flows one way: a [`Report`] (histograms decoded from it) → text →
//! a temporary file renamed into place, so a reader never sees half a file.

use std::io::Write;
use std::path::{Path, PathBuf};

use hdrhistogram::Histogram;

use super::json::decode_histogram;
use super::{Report, ReportError, csv, hgrm, hlog, html};
use crate::cli::{LoadArgs, OutputArgs};
use crate::stats::new_latency_histogram;

/// Which extra files to write; `None` skips that format.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutputFiles {
    pub html: Option<PathBuf>,
    pub hgrm: Option<PathBuf>,
    pub hlog: Option<PathBuf>,
    pub csv: Option<PathBuf>,
}

impl OutputFiles {
    pub fn from_load_args(load: &LoadArgs) -> OutputFiles {
        OutputFiles::from_output_args(&load.outputs)
    }

    pub fn from_output_args(args: &OutputArgs) -> OutputFiles {
        OutputFiles {
            html: args.html.clone(),
            hgrm: args.hgrm.clone(),
            hlog: args.hlog.clone(),
            csv: args.csv.clone(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.html.is_none() && self.hgrm.is_none() && self.hlog.is_none() && self.csv.is_none()
    }
}

/// Writes every requested file and returns their paths, in the order
/// html, hgrm, hlog, csv. Stops at the first failure, naming its path.
pub fn write_outputs(report: &Report, outputs: &OutputFiles) -> Result<Vec<PathBuf>, ReportError> {
    let mut written = Vec::new();
    if let Some(path) = &outputs.html {
        write_atomic(path, html::render(report)?.as_bytes())?;
        written.push(path.clone());
    }
    if let Some(path) = &outputs.hgrm {
        let text = hgrm::percentile_distribution(&measured_latency(report)?, 1000.0);
        write_atomic(path, text.as_bytes())?;
        written.push(path.clone());
    }
    if let Some(path) = &outputs.hlog {
        let mut bytes = Vec::new();
        hlog::write_interval_log(report, &mut bytes).map_err(|err| match err {
            ReportError::Write { source, .. } => ReportError::Write {
                path: path.display().to_string(),
                source,
            },
            other => other,
        })?;
        write_atomic(path, &bytes)?;
        written.push(path.clone());
    }
    if let Some(path) = &outputs.csv {
        write_atomic(path, csv::timeline_csv(report).as_bytes())?;
        written.push(path.clone());
    }
    Ok(written)
}

/// The latency histograms of the measured stages added together: the
/// distribution the run's summary describes (warm-up excluded).
pub fn measured_latency(report: &Report) -> Result<Histogram<u64>, ReportError> {
    let mut total = new_latency_histogram();
    for stage in report.stages.iter().filter(|s| s.measured) {
        let hist = decode_histogram(&stage.histogram)?;
        total
            .add(&hist)
            .map_err(|e| ReportError::Histogram(format!("stage `{}`: {e:?}", stage.name)))?;
    }
    Ok(total)
}

/// A temporary file beside the target, then a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let write_error = |source| ReportError::Write {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(write_error)?;
    }
    let file_name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = std::fs::File::create(&tmp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(err) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(write_error(err));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::StageReport;
    use crate::report::json::encode_histogram;

    fn report_with_stages() -> Report {
        let mut report = Report::empty_for_tests();
        for (name, measured, value) in [
            ("warm", false, 100u64),
            ("a", true, 2_000),
            ("b", true, 4_000),
        ] {
            let mut hist = new_latency_histogram();
            hist.record_n(value, 10).unwrap();
            report.stages.push(StageReport {
                name: name.into(),
                latency_corrected: true,
                measured,
                started_secs: 0.0,
                summary: Default::default(),
                resources: Default::default(),
                histogram: encode_histogram(&hist).unwrap(),
                service_histogram: encode_histogram(&hist).unwrap(),
                requests: Vec::new(),
            });
        }
        report
    }

    #[test]
    fn measured_latency_adds_the_measured_stages_only() {
        let hist = measured_latency(&report_with_stages()).unwrap();
        assert_eq!(hist.len(), 20);
        assert_eq!(hist.min(), 2_000);
        assert_eq!(hist.value_at_quantile(1.0), hist.highest_equivalent(4_000));
    }

    #[test]
    fn writes_each_requested_file_in_order_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let outputs = OutputFiles {
            html: Some(dir.path().join("r/r.html")),
            hgrm: Some(dir.path().join("r.hgrm")),
            hlog: None,
            csv: Some(dir.path().join("r.csv")),
        };
        let written = write_outputs(&report_with_stages(), &outputs).unwrap();
        assert_eq!(
            written,
            vec![
                dir.path().join("r/r.html"),
                dir.path().join("r.hgrm"),
                dir.path().join("r.csv")
            ]
        );
        assert!(written.iter().all(|p| p.exists()));
        let entries = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(entries, 3, "r/, r.hgrm, r.csv and no temporary files");
        assert!(
            write_outputs(&report_with_stages(), &OutputFiles::default())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_failed_write_names_the_path() {
        let outputs = OutputFiles {
            hlog: Some(PathBuf::from("/proc/no/such/dir/r.hlog")),
            ..OutputFiles::default()
        };
        let err = write_outputs(&report_with_stages(), &outputs)
            .unwrap_err()
            .to_string();
        assert!(err.contains("/proc/no/such/dir/r.hlog"), "{err}");
    }
}
