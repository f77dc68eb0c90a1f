//! Threshold verdicts over what the ledger holds: live for the dashboard
//! (a stage's verdict waits for its end), final for the report.

use crate::report::ThresholdResult;
use crate::stats::Interval;
use crate::stats::summary::{RequestSummary, Summary};

use super::Session;
use super::state::RunState;

/// One threshold's verdict, with the stage it belongs to (`None`: whole run).
pub struct Verdicts {
    pub results: Vec<ThresholdResult>,
    /// Parallel to `results`: decided (stage finished or run over) or still live.
    pub decided: Vec<bool>,
}

/// Every threshold's verdict as of now; `run_over` decides the ones still live.
pub fn evaluate(run: &RunState<'_>, run_over: bool) -> Verdicts {
    let mut results = Vec::new();
    let mut decided = Vec::new();
    for (index, stage) in run.clock.stages.iter().enumerate() {
        for threshold in &stage.thresholds {
            let Some(record) = run.ledger.stages.get(index) else {
                results.push(ThresholdResult::not_run(
                    &threshold.expr,
                    &stage.name,
                    threshold.limit,
                ));
                decided.push(run_over);
                continue;
            };
            let summary = record.summary();
            let parts = RequestSummary::all(&record.interval, run.request_names, record.active);
            let eval = threshold.evaluate_in(&summary, &parts);
            results.push(ThresholdResult {
                expr: threshold.expr.clone(),
                stage: Some(stage.name.clone()),
                passed: eval.passed,
                observed: Some(eval.observed),
                observed_text: eval.observed_text,
                limit: threshold.limit,
            });
            decided.push(record.finished || run_over);
        }
    }
    if !run.plan.thresholds.is_empty() {
        let (total, active) = run.ledger.measured();
        let summary = Summary::from_interval(total, active);
        let parts = RequestSummary::all(total, run.request_names, active);
        for threshold in &run.plan.thresholds {
            let eval = threshold.evaluate_in(&summary, &parts);
            results.push(ThresholdResult {
                expr: threshold.expr.clone(),
                stage: None,
                passed: eval.passed,
                observed: Some(eval.observed),
                observed_text: eval.observed_text,
                limit: threshold.limit,
            });
            decided.push(run_over);
        }
    }
    Verdicts { results, decided }
}

impl Session<'_> {
    /// One summary per request name of the mix (empty for one request).
    pub(super) fn request_summaries(
        &self,
        interval: &Interval,
        active: std::time::Duration,
    ) -> Vec<RequestSummary> {
        RequestSummary::all(interval, &self.request_names, active)
    }
}
