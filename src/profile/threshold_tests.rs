use super::*;
use crate::stats::Interval;

fn summary_with_p99(us: u64, errors: u64) -> Summary {
    let mut interval = Interval::new();
    for _ in 0..100 {
        interval.record_response(us, us, 200, 10);
    }
    for _ in 0..errors {
        interval.record_response(us, us, 500, 10);
    }
    Summary::from_interval(&interval, Duration::from_secs(1))
}

#[test]
fn parses_the_documented_forms() {
    let t = Threshold::parse("p99 < 250ms").unwrap();
    assert_eq!(t.metric, Metric::Latency(LatencyStat::P99));
    assert_eq!(t.comparison, Comparison::Less);
    assert_eq!(t.limit, 250_000.0);
    let t = Threshold::parse("error_rate<=1%").unwrap();
    assert_eq!(
        (t.metric, t.comparison, t.limit),
        (Metric::ErrorRate, Comparison::LessOrEqual, 0.01)
    );
    let t = Threshold::parse("rps > 900").unwrap();
    assert_eq!((t.metric, t.limit), (Metric::Rps, 900.0));
    assert_eq!(
        Threshold::parse("p999 < 1s").unwrap().metric,
        Metric::Latency(LatencyStat::P999)
    );
    assert_eq!(Threshold::parse("max < 800us").unwrap().limit, 800.0);
}

#[test]
fn refuses_bad_expressions_with_a_reason() {
    assert!(
        Threshold::parse("p99 250ms")
            .unwrap_err()
            .contains("comparison")
    );
    assert!(
        Threshold::parse("p98 < 1s")
            .unwrap_err()
            .contains("unknown threshold metric")
    );
    assert!(
        Threshold::parse("p99 < fast")
            .unwrap_err()
            .contains("not a duration")
    );
    assert!(
        Threshold::parse("error_rate < 150%")
            .unwrap_err()
            .contains("outside")
    );
    assert!(
        Threshold::parse("rps > many")
            .unwrap_err()
            .contains("not a number")
    );
}

#[test]
fn a_quoted_name_scopes_a_threshold_to_one_request() {
    let t = Threshold::parse(r#""GET /user" p99 < 20ms"#).unwrap();
    assert_eq!(t.request.as_deref(), Some("GET /user"));
    assert_eq!(
        (t.metric, t.limit),
        (Metric::Latency(LatencyStat::P99), 20_000.0)
    );
    assert_eq!(t.expr, r#""GET /user" p99 < 20ms"#);
    assert!(Threshold::parse(r#""GET /user p99 < 20ms"#).is_err());
    assert!(Threshold::parse(r#""  " p99 < 20ms"#).is_err());

    let whole = summary_with_p99(1_000, 0);
    let slow = RequestSummary {
        name: "GET /user".into(),
        summary: summary_with_p99(50_000, 0),
    };
    assert!(!t.evaluate_in(&whole, std::slice::from_ref(&slow)).passed);
    let overall = Threshold::parse("p99 < 20ms").unwrap();
    assert!(overall.evaluate_in(&whole, &[slow]).passed);
    let missing = t.evaluate_in(&whole, &[]);
    assert!(!missing.passed);
    assert_eq!(missing.observed_text, "no such request");
    let scoped = Threshold::parse("p99 < 5ms").unwrap().scoped_to("GET /a");
    assert_eq!(scoped.expr, r#""GET /a" p99 < 5ms"#);
    assert_eq!(Threshold::parse(&scoped.expr).unwrap(), scoped);
}

#[test]
fn evaluates_pass_and_fail() {
    let summary = summary_with_p99(300_000, 0);
    let t = Threshold::parse("p99 < 250ms").unwrap();
    let eval = t.evaluate(&summary);
    assert!(!eval.passed);
    assert!(eval.observed >= 299_000.0);
    assert!(eval.observed_text.ends_with("ms"), "{}", eval.observed_text);
    assert!(
        Threshold::parse("p99 < 1s")
            .unwrap()
            .evaluate(&summary)
            .passed
    );

    let summary = summary_with_p99(1_000, 5);
    let eval = Threshold::parse("error_rate < 1%")
        .unwrap()
        .evaluate(&summary);
    assert!(!eval.passed);
    assert_eq!(eval.observed_text, "4.76%");
    assert!(
        Threshold::parse("errors <= 5")
            .unwrap()
            .evaluate(&summary)
            .passed
    );
}
