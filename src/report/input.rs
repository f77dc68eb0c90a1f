//! Reading saved reports back (`report`, `merge`, `check`): file → JSON →
//! schema check → [`Report`]. Every failure is one line naming the file.

use std::path::Path;

use super::Report;
use super::json::SCHEMA;

#[derive(Debug, thiserror::Error)]
pub enum ReportInputError {
    #[error("cannot read report {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a loadtop report: {message}")]
    Parse { path: String, message: String },
    #[error("{path}: report schema `{found}` is not supported (this loadtop reads {SCHEMA})")]
    Schema { path: String, found: String },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("cannot merge: {0}")]
    Merge(#[from] super::merge::MergeError),
    #[error(transparent)]
    Check(#[from] super::check::CheckError),
    #[error(transparent)]
    Profile(#[from] crate::profile::ProfileError),
    #[error(transparent)]
    Output(#[from] super::ReportError),
}

pub fn load_report(path: &Path) -> Result<Report, ReportInputError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| ReportInputError::Read {
        path: name.clone(),
        source,
    })?;
    parse_report(&bytes, &name)
}

/// The schema is checked before the shape, so a report of another version
/// says so instead of naming a missing field.
pub fn parse_report(bytes: &[u8], name: &str) -> Result<Report, ReportInputError> {
    let parse_error = |message: String| ReportInputError::Parse {
        path: name.to_string(),
        message,
    };
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| parse_error(e.to_string()))?;
    match value.get("schema").and_then(|s| s.as_str()) {
        Some(SCHEMA) => {}
        Some(other) => {
            return Err(ReportInputError::Schema {
                path: name.to_string(),
                found: other.to_string(),
            });
        }
        None => return Err(parse_error("no `schema` field".into())),
    }
    let report: Report = serde_path_to_error::deserialize(value)
        .map_err(|e| parse_error(format!("at `{}`: {}", e.path(), e.inner())))?;
    if humantime::parse_rfc3339(&report.started_at).is_err() {
        return Err(ReportInputError::Invalid {
            path: name.to_string(),
            message: format!(
                "`started_at` {:?} is not an RFC 3339 time",
                report.started_at
            ),
        });
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(report: &Report) -> Vec<u8> {
        serde_json::to_vec(report).unwrap()
    }

    #[test]
    fn a_saved_report_reads_back() {
        let report = Report::empty_for_tests();
        assert_eq!(parse_report(&bytes(&report), "r.json").unwrap(), report);
    }

    #[test]
    fn each_bad_input_names_the_file_and_the_reason() {
        let err = parse_report(b"{not json", "a.json")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("a.json is not a loadtop report"), "{err}");
        let mut report = Report::empty_for_tests();
        report.schema = "loadtop.report/9".into();
        let err = parse_report(&bytes(&report), "b.json")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("b.json") && err.contains("loadtop.report/9"),
            "{err}"
        );
        let mut value = serde_json::to_value(Report::empty_for_tests()).unwrap();
        value.as_object_mut().unwrap().remove("stages");
        let err = parse_report(value.to_string().as_bytes(), "c.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("stages"), "{err}");
        let mut report = Report::empty_for_tests();
        report.started_at = "yesterday".into();
        assert!(parse_report(&bytes(&report), "d.json").is_err());
        let err = load_report(Path::new("/nonexistent/r.json"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("cannot read report /nonexistent/r.json"),
            "{err}"
        );
    }
}
