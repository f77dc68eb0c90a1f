//! A threshold's verdict as the report keeps it. In memory nothing observed
//! is `None`; `loadtop.report/1` has no such value, so on the wire it is 0
//! with the text `stage not run`, and reading that pair back gives `None`.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "ThresholdJson", from = "ThresholdJson")]
pub struct ThresholdResult {
    pub expr: String,
    /// `None` for a whole-run threshold.
    pub stage: Option<String>,
    pub passed: bool,
    /// In the metric's base unit; `None` when nothing was observed (the
    /// threshold's stage never ran).
    pub observed: Option<f64>,
    /// What the user reads, e.g. `312ms`, `2.5%` or `stage not run`.
    pub observed_text: String,
    pub limit: f64,
}

impl ThresholdResult {
    const NOT_RUN: &str = "stage not run";

    /// The verdict on a stage that never ran: failed, nothing observed.
    pub fn not_run(expr: &str, stage: &str, limit: f64) -> ThresholdResult {
        ThresholdResult {
            expr: expr.to_string(),
            stage: Some(stage.to_string()),
            passed: false,
            observed: None,
            observed_text: ThresholdResult::NOT_RUN.to_string(),
            limit,
        }
    }
}

/// `ThresholdResult` as `loadtop.report/1` writes it: `observed` is always a
/// number, 0 when nothing was observed, and `observed_text` says why.
#[derive(Clone, Serialize, Deserialize)]
struct ThresholdJson {
    expr: String,
    stage: Option<String>,
    passed: bool,
    observed: f64,
    observed_text: String,
    limit: f64,
}

impl From<ThresholdResult> for ThresholdJson {
    fn from(t: ThresholdResult) -> Self {
        ThresholdJson {
            expr: t.expr,
            stage: t.stage,
            passed: t.passed,
            observed: t.observed.unwrap_or(0.0),
            observed_text: t.observed_text,
            limit: t.limit,
        }
    }
}

impl From<ThresholdJson> for ThresholdResult {
    fn from(t: ThresholdJson) -> Self {
        // The format has no "nothing observed" of its own: a stage that did
        // not run reads 0 with this text, so a report read back and written
        // again says the same.
        let not_run = t.observed == 0.0 && t.observed_text == ThresholdResult::NOT_RUN;
        ThresholdResult {
            expr: t.expr,
            stage: t.stage,
            passed: t.passed,
            observed: (!not_run).then_some(t.observed),
            observed_text: t.observed_text,
            limit: t.limit,
        }
    }
}
