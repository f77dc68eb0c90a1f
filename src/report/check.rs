//! Threshold verdicts on a finished report: the thresholds recorded in it
//! (re-parsed from their `expr`, so a merged report is judged on its merged
//! data) or those of a profile. Stage thresholds read the stage of the same
//! name; run thresholds read the whole-run (measured) summary.

use super::{Report, ThresholdResult};
use crate::profile::Profile;
use crate::profile::threshold::Threshold;

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("threshold `{expr}` cannot be evaluated: {message}")]
    Threshold { expr: String, message: String },
}

pub fn evaluate(report: &Report, threshold: &Threshold, stage: Option<&str>) -> ThresholdResult {
    let scope = match stage {
        Some(name) => report
            .stages
            .iter()
            .find(|s| s.name == name)
            .map(|s| (&s.summary, s.requests.as_slice())),
        None => Some((&report.summary, report.requests.as_slice())),
    };
    let Some((summary, requests)) = scope else {
        return ThresholdResult::not_run(
            &threshold.expr,
            stage.unwrap_or_default(),
            threshold.limit,
        );
    };
    let eval = threshold.evaluate_scoped(summary, |name| {
        requests.iter().find(|r| r.name == name).map(|r| &r.summary)
    });
    ThresholdResult {
        expr: threshold.expr.clone(),
        stage: stage.map(str::to_string),
        passed: eval.passed,
        observed: Some(eval.observed),
        observed_text: eval.observed_text,
        limit: threshold.limit,
    }
}

/// The report's own thresholds, evaluated again on its data.
pub fn evaluate_recorded(report: &Report) -> Result<Vec<ThresholdResult>, CheckError> {
    report
        .thresholds
        .iter()
        .map(|recorded| {
            let threshold =
                Threshold::parse(&recorded.expr).map_err(|message| CheckError::Threshold {
                    expr: recorded.expr.clone(),
                    message,
                })?;
            Ok(evaluate(report, &threshold, recorded.stage.as_deref()))
        })
        .collect()
}

/// A profile's thresholds: per stage (matched by name), then whole-run.
pub fn evaluate_profile(report: &Report, profile: &Profile) -> Vec<ThresholdResult> {
    let stage_results = profile.stages.iter().flat_map(|stage| {
        stage
            .thresholds
            .iter()
            .map(|t| evaluate(report, t, Some(&stage.name)))
    });
    let run_results = profile.thresholds.iter().map(|t| evaluate(report, t, None));
    stage_results.chain(run_results).collect()
}

/// One line per threshold, the form a run prints.
pub fn render_lines(results: &[ThresholdResult]) -> String {
    results
        .iter()
        .map(|t| {
            format!(
                "threshold {}: {} [{}] observed {}\n",
                if t.passed { "pass" } else { "FAIL" },
                t.expr,
                t.stage.as_deref().unwrap_or("run"),
                t.observed_text
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::StageReport;
    use crate::stats::Interval;
    use crate::stats::summary::Summary;
    use std::time::Duration;

    fn report_with_stage_p99(us: u64) -> Report {
        let mut interval = Interval::new();
        for _ in 0..100 {
            interval.record_response(us, us, 200, 1);
        }
        let summary = Summary::from_interval(&interval, Duration::from_secs(1));
        let mut report = Report::empty_for_tests();
        report.summary = summary.clone();
        report.stages.push(StageReport {
            name: "steady".into(),
            latency_corrected: true,
            measured: true,
            started_secs: 0.0,
            summary,
            resources: Default::default(),
            histogram: String::new(),
            service_histogram: String::new(),
            phase_histograms: None,
            requests: Vec::new(),
            diagnosis: None,
        });
        report
    }

    fn recorded(expr: &str, stage: Option<&str>) -> ThresholdResult {
        // Deliberately stale verdicts: evaluation must not trust them.
        ThresholdResult {
            expr: expr.into(),
            stage: stage.map(str::to_string),
            passed: true,
            observed: Some(0.0),
            observed_text: String::new(),
            limit: 0.0,
        }
    }

    #[test]
    fn recorded_thresholds_are_re_evaluated_on_the_data() {
        let mut report = report_with_stage_p99(300_000);
        report.thresholds = vec![
            recorded("p99 < 250ms", Some("steady")),
            recorded("requests >= 100", None),
            recorded("p50 < 1s", Some("missing")),
        ];
        let results = evaluate_recorded(&report).unwrap();
        assert!(!results[0].passed && results[0].observed.is_some_and(|o| o >= 299_000.0));
        assert!(results[1].passed);
        assert!(!results[2].passed && results[2].observed_text == "stage not run");
        assert_eq!(results[2].observed, None);
        let text = render_lines(&results);
        assert!(
            text.starts_with("threshold FAIL: p99 < 250ms [steady] observed 300."),
            "{text}"
        );
        assert!(text.contains("threshold pass: requests >= 100 [run] observed 100\n"));
    }

    #[test]
    fn an_unparsable_recorded_threshold_is_an_error() {
        let mut report = report_with_stage_p99(1_000);
        report.thresholds = vec![recorded("p98 < 1s", None)];
        let err = evaluate_recorded(&report).unwrap_err().to_string();
        assert!(
            err.contains("p98 < 1s") && err.contains("unknown threshold metric"),
            "{err}"
        );
    }
}
