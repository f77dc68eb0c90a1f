//! The JSON document of a comparison, version `loadtop.compare/1`
//! (documented in docs/compare.md, checked against docs/compare.schema.json
//! by the tests): every target's full `loadtop.report/1` plus the tables.
//! Field names are the public contract: add fields freely, never rename.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::table::StageTable;
use crate::report::Report;

pub const SCHEMA: &str = "loadtop.compare/1";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareDocument {
    pub schema: String,
    pub loadtop_version: String,
    pub profile: ProfileInfo,
    pub targets: Vec<TargetEntry>,
    pub tables: Vec<StageTable>,
    /// Every target that ran completed and held its thresholds.
    pub passed: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileInfo {
    pub name: String,
    pub origin: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetEntry {
    pub name: String,
    /// Why the target was not run (a missing runtime), else `null`.
    pub skipped: Option<String>,
    /// That target's own report; `null` when skipped or not reached.
    pub report: Option<Report>,
}

/// Atomic: a temporary file beside the destination, then a rename.
pub fn write(document: &CompareDocument, path: &Path) -> std::io::Result<()> {
    let bytes = serde_json::to_vec_pretty(document)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let name = path.file_name().map_or_else(
        || "compare.json".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::File::create(&tmp)
        .and_then(|mut file| {
            file.write_all(&bytes)?;
            file.write_all(b"\n")?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
