//! The JSON document of a comparison, version `loadtop.compare/1`
//! (documented in docs/compare.md, checked against docs/compare.schema.json
//! by the tests): every target's full `loadtop.report/1` plus the tables.
//! Field names are the public contract: add fields freely, never rename.

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
pub fn write(document: &CompareDocument, path: &Path) -> Result<(), crate::report::ReportError> {
    let mut bytes = serde_json::to_vec_pretty(document)?;
    bytes.push(b'\n');
    crate::report::files::write_atomic(path, &bytes)
}
