//! Threshold verdicts over what the ledger holds: live for the dashboard
//! (a stage's verdict waits for its end), final for the report.

use crate::report::ThresholdResult;
use crate::stats::Interval;
use crate::stats::summary::{RequestSummary, Summary};

use super::Session;

/// One threshold's verdict, with the stage it belongs to (`None`: whole run).
pub struct Verdicts {
    pub results: Vec<ThresholdResult>,
    /// Parallel to `results`: decided (stage finished or run over) or still live.
    pub decided: Vec<bool>,
}

impl Session<'_> {
    pub(super) fn evaluate_thresholds(&self, run_over: bool) -> Verdicts {
        let mut results = Vec::new();
        let mut decided = Vec::new();
        for (index, stage) in self.clock.stages.iter().enumerate() {
            for threshold in &stage.thresholds {
                let Some(record) = self.ledger.stages.get(index) else {
                    results.push(ThresholdResult::not_run(
                        &threshold.expr,
                        &stage.name,
                        threshold.limit,
                    ));
                    decided.push(run_over);
                    continue;
                };
                let summary = record.summary();
                let parts = self.request_summaries(&record.interval, record.active);
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
        if !self.plan.thresholds.is_empty() {
            let (total, active) = self.ledger.measured();
            let summary = Summary::from_interval(total, active);
            let parts = self.request_summaries(total, active);
            for threshold in &self.plan.thresholds {
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

    /// One summary per request name of the mix (empty for one request).
    pub(super) fn request_summaries(
        &self,
        interval: &Interval,
        active: std::time::Duration,
    ) -> Vec<RequestSummary> {
        RequestSummary::all(interval, &self.request_names, active)
    }
}
