//! The files a finished report can be turned into (`--html`, `--hgrm`,
//! `--hlog`, `--csv`), written after a run or later by `loadtop report`.
//! Data flows one way: a [`Report`] (histograms decoded from it) → text →
//! a temporary file renamed into place, so a reader never sees half a file.

use std::io::Write;
use std::path::{Path, PathBuf};

use hdrhistogram::Histogram;

use super::json::decode_histogram;
use super::{Report, ReportError, csv, hgrm, hlog, html};
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
    /// The requested paths, in the order html, hgrm, hlog, csv.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        [&self.html, &self.hgrm, &self.hlog, &self.csv]
            .into_iter()
            .flatten()
            .map(PathBuf::as_path)
    }

    /// Some output is `-`: the summary text then goes to stderr.
    pub fn uses_stdout(&self) -> bool {
        self.paths().any(|p| p.as_os_str() == "-")
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

/// Like [`write_outputs`], but tries every file: the ones written, and the
/// failures, each naming its path.
pub fn write_each(report: &Report, outputs: &OutputFiles) -> (Vec<PathBuf>, Vec<ReportError>) {
    let mut written = Vec::new();
    let mut failures = Vec::new();
    let singles = [
        OutputFiles {
            html: outputs.html.clone(),
            ..OutputFiles::default()
        },
        OutputFiles {
            hgrm: outputs.hgrm.clone(),
            ..OutputFiles::default()
        },
        OutputFiles {
            hlog: outputs.hlog.clone(),
            ..OutputFiles::default()
        },
        OutputFiles {
            csv: outputs.csv.clone(),
            ..OutputFiles::default()
        },
    ];
    for single in singles.iter().filter(|o| !o.is_empty()) {
        match write_outputs(report, single) {
            Ok(paths) => written.extend(paths),
            Err(err) => failures.push(err),
        }
    }
    (written, failures)
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

/// Where an output's bytes go.
#[derive(Debug, PartialEq, Eq)]
enum Destination {
    /// `-`.
    Stdout,
    /// A character device, FIFO or socket: written through, never replaced
    /// (renaming over `/dev/null` or `/dev/stdout` would replace the device).
    Stream(PathBuf),
    /// A regular file or a new path, symlinks followed: a temporary file
    /// beside it, then a rename, so a reader never sees half a file.
    File(PathBuf),
}

fn destination(path: &Path) -> std::io::Result<Destination> {
    if path.as_os_str() == "-" {
        return Ok(Destination::Stdout);
    }
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Err(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "is a directory",
        )),
        Ok(meta) if meta.is_file() => Ok(Destination::File(std::fs::canonicalize(path)?)),
        Ok(_) => Ok(Destination::Stream(path.to_path_buf())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            Ok(Destination::File(dangling_target(path)?))
        }
        Err(err) => Err(err),
    }
}

/// A path that does not exist yet, or a symlink to one: where the file
/// will be (the link is kept and its target written).
fn dangling_target(path: &Path) -> std::io::Result<PathBuf> {
    let mut path = path.to_path_buf();
    // Linux gives up after 40 links too (ELOOP).
    for _ in 0..40 {
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&path)?;
                path = match path.parent() {
                    Some(dir) => dir.join(target),
                    None => target,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// Writes `bytes` to `path`: atomically (a temporary file beside it, then a
/// rename) for regular files and new paths, following symlinks; straight
/// through for devices, FIFOs and `-` (stdout).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let write_error = |source| ReportError::Write {
        path: path.display().to_string(),
        source,
    };
    match destination(path).map_err(write_error)? {
        Destination::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)
                .and_then(|()| out.flush())
                .map_err(write_error)
        }
        Destination::Stream(device) => std::fs::OpenOptions::new()
            .write(true)
            .open(device)
            .and_then(|mut file| file.write_all(bytes))
            .map_err(write_error),
        Destination::File(file) => replace_file(&file, bytes).map_err(write_error),
    }
}

fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = temporary_beside(path);
    let result = std::fs::File::create(&tmp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn temporary_beside(path: &Path) -> PathBuf {
    let file_name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()))
}

/// Before a run: can `path` be written at its end? A regular file or new
/// path needs a directory (or the nearest existing ancestor, when some are
/// still to be created) that accepts a new file; `-`, devices and FIFOs are
/// written through and need nothing. Tried by creating and removing a
/// temporary file, which is what counts (permissions, read-only mounts).
pub fn check_writable(path: &Path) -> Result<(), ReportError> {
    let write_error = |source| ReportError::Write {
        path: path.display().to_string(),
        source,
    };
    let Destination::File(file) = destination(path).map_err(write_error)? else {
        return Ok(());
    };
    let mut dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.as_os_str().is_empty() {
        dir = PathBuf::from(".");
    }
    let existing = dir
        .ancestors()
        .find(|a| a.as_os_str().is_empty() || std::fs::symlink_metadata(a).is_ok())
        .map(|a| {
            if a.as_os_str().is_empty() {
                Path::new(".")
            } else {
                a
            }
        })
        .unwrap_or(Path::new("."));
    if !std::fs::metadata(existing).is_ok_and(|m| m.is_dir()) {
        return Err(write_error(std::io::Error::new(
            std::io::ErrorKind::NotADirectory,
            format!("{} is not a directory", existing.display()),
        )));
    }
    let probe = existing.join(format!(".loadtop-check.{}.tmp", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(write_error)?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Every destination a run will write (the JSON report and the extra
/// files), checked before any load is sent; at most one may be `-`.
pub fn check_destinations(report: Option<&Path>, outputs: &OutputFiles) -> Result<(), ReportError> {
    let all: Vec<&Path> = report.into_iter().chain(outputs.paths()).collect();
    if all.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err(ReportError::Destination(
            "only one output can go to stdout (`-`)".into(),
        ));
    }
    all.into_iter().try_for_each(check_writable)
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
                phase_histograms: None,
                requests: Vec::new(),
                diagnosis: None,
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
