use super::*;
use crate::stats::new_latency_histogram;

#[test]
fn histograms_round_trip_exactly() {
    let mut hist = new_latency_histogram();
    for v in [1u64, 10, 100, 1_000, 10_000, 250_000, 3_000_000] {
        hist.record_n(v, v % 7 + 1).unwrap();
    }
    let back = decode_histogram(&encode_histogram(&hist).unwrap()).unwrap();
    assert_eq!(back.len(), hist.len());
    for q in [0.5, 0.9, 0.99, 0.999, 1.0] {
        assert_eq!(back.value_at_quantile(q), hist.value_at_quantile(q));
    }
}

#[test]
fn outcomes_and_event_kinds_write_the_words_of_the_schema() {
    use RunOutcome::*;
    for (outcome, word) in [
        (Completed, "completed"),
        (Quit, "quit"),
        (Interrupted, "interrupted"),
        (TargetExited, "target_exited"),
    ] {
        assert_eq!(
            serde_json::to_string(&outcome).unwrap(),
            format!("\"{word}\"")
        );
        assert_eq!(outcome.to_string(), word);
        let back: RunOutcome = serde_json::from_str(&format!("\"{word}\"")).unwrap();
        assert_eq!(back, outcome);
    }
    use EventKind::*;
    for (kind, word) in [
        (Stage, "stage"),
        (Control, "control"),
        (Knobs, "knobs"),
        (Target, "target"),
        (Report, "report"),
        (Warning, "warning"),
    ] {
        assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{word}\""));
        assert_eq!(kind.to_string(), word);
        let back: EventKind = serde_json::from_str(&format!("\"{word}\"")).unwrap();
        assert_eq!(back, kind);
    }
}

#[test]
fn a_plan_without_a_kind_is_a_bench_run_only_when_named_bench() {
    let mut report = Report::empty_for_tests();
    report.plan.recorded_kind = None;
    report.plan.name = "bench".into();
    assert_eq!(report.plan.kind(), PlanKind::Bench);
    report.plan.name = "smoke".into();
    assert_eq!(report.plan.kind(), PlanKind::Profile);
    report.plan.recorded_kind = Some(PlanKind::Capacity);
    assert_eq!(report.plan.kind(), PlanKind::Capacity);
    let text = serde_json::to_string(&report.plan).unwrap();
    assert!(
        text.starts_with(r#"{"name":"smoke","kind":"capacity","#),
        "{text}"
    );
}

#[test]
fn a_stage_not_run_writes_zero_and_reads_back_as_nothing_observed() {
    let not_run = ThresholdResult::not_run("p99 < 1s", "spike", 1_000_000.0);
    let text = serde_json::to_string(&not_run).unwrap();
    assert_eq!(
        text,
        r#"{"expr":"p99 < 1s","stage":"spike","passed":false,"observed":0.0,"observed_text":"stage not run","limit":1000000.0}"#
    );
    let back: ThresholdResult = serde_json::from_str(&text).unwrap();
    assert_eq!(back, not_run);
    let zero = ThresholdResult {
        observed: Some(0.0),
        observed_text: "0".into(),
        passed: true,
        stage: None,
        ..not_run
    };
    let back: ThresholdResult =
        serde_json::from_str(&serde_json::to_string(&zero).unwrap()).unwrap();
    assert_eq!(back, zero);
}

#[test]
fn bad_histogram_text_is_an_error_not_a_panic() {
    assert!(decode_histogram("not base64!").is_err());
    assert!(decode_histogram("AAAA").is_err());
}
