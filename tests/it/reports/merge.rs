//! `loadtop merge`: shards of one plan add up exactly; other plans are refused.

use loadtop::report::json::decode_histogram;
use loadtop::stats::summary::LatencySummary;

use super::*;

const QUANTILES: [f64; 9] = [0.0, 0.1, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 1.0];

#[test]
fn three_shards_merge_into_exact_sums_and_one_histograms_percentiles() {
    let dir = tempfile::tempdir().unwrap();
    let thresholds = [("requests >= 3000", None), ("p99 < 1ms", Some("spike"))];
    let shard_stages: Vec<Vec<StageSpec>> = (1..=3).map(three_stages).collect();
    let starts = [
        "2026-05-01T12:00:00Z",
        "2026-05-01T12:00:01Z",
        "2026-05-01T12:00:00Z",
    ];
    let mut paths = Vec::new();
    let mut shards = Vec::new();
    for (i, (stages, start)) in shard_stages.iter().zip(starts).enumerate() {
        let mut report = build_report("shop", start, stages, &thresholds);
        if i == 1 {
            // The slowest shard decides the merged duration.
            report.summary.duration_secs = 6.5;
        }
        let path = save(dir.path(), &format!("shard{i}.json"), &report);
        paths.push(path.to_str().unwrap().to_string());
        shards.push(report);
    }
    // Each shard alone is below the run threshold; together they are above it.
    assert!(shards.iter().all(|r| r.summary.requests < 3000));
    let merged_path = dir.path().join("merged.json");
    let mut args = vec!["merge"];
    args.extend(paths.iter().map(String::as_str));
    args.extend(["-o", merged_path.to_str().unwrap()]);
    let out = loadtop(&args);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("merged 3 reports"),
        "{}",
        stdout(&out)
    );

    let value: Value =
        serde_json::from_str(&std::fs::read_to_string(&merged_path).unwrap()).unwrap();
    assert_schema_valid(&value);
    assert_eq!(value["shards"].as_array().unwrap().len(), 3);
    assert_eq!(value["shards"][1]["source"], paths[1].as_str());
    let merged: Report = serde_json::from_value(value).unwrap();

    for (index, stage) in merged.stages.iter().enumerate() {
        let specs: Vec<&StageSpec> = shard_stages.iter().map(|s| &s[index]).collect();
        let one = one_histogram(specs.iter().copied());
        let decoded = decode_histogram(&stage.histogram).unwrap();
        assert_eq!(decoded.len(), one.len(), "{}", stage.name);
        for q in QUANTILES {
            assert_eq!(
                decoded.value_at_quantile(q),
                one.value_at_quantile(q),
                "{} q{q}",
                stage.name
            );
        }
        assert_eq!(stage.summary.latency, LatencySummary::from_histogram(&one));
        let requests: u64 = shards
            .iter()
            .map(|r| r.stages[index].summary.requests)
            .sum();
        assert_eq!(stage.summary.requests, requests);
        let failures: u64 = specs.iter().map(|s| s.failures).sum();
        let status_500 = stage
            .summary
            .status_codes
            .iter()
            .find(|s| s.code == 500)
            .map_or(0, |s| s.count);
        assert_eq!(status_500, failures, "{}", stage.name);
        assert_eq!(stage.summary.connects, 12);
        let expected_rate = failures as f64 / requests as f64;
        assert!((stage.summary.error_rate - expected_rate).abs() < 1e-12);
    }
    let all_measured = one_histogram(
        shard_stages
            .iter()
            .flat_map(|s| s.iter().filter(|s| s.measured)),
    );
    assert_eq!(
        merged.summary.latency,
        LatencySummary::from_histogram(&all_measured)
    );
    assert_eq!(
        merged.summary.requests,
        shards.iter().map(|r| r.summary.requests).sum::<u64>()
    );
    assert_eq!(merged.summary.duration_secs, 6.5);
    assert!((merged.summary.rps - merged.summary.requests as f64 / 6.5).abs() < 1e-9);

    // Timelines aligned on wall-clock seconds: shard 1 started a second later.
    assert_eq!(merged.started_at, "2026-05-01T12:00:00Z");
    assert_eq!(merged.timeline.len(), shards[0].timeline.len() + 1);
    let first = &merged.timeline[0];
    assert!((first.rps - shards[0].timeline[0].rps - shards[2].timeline[0].rps).abs() < 1e-9);
    let second = &merged.timeline[1];
    let expected =
        shards[0].timeline[1].rps + shards[1].timeline[0].rps + shards[2].timeline[1].rps;
    assert!(
        (second.rps - expected).abs() < 1e-9,
        "{} vs {expected}",
        second.rps
    );
    let last = merged.timeline.last().unwrap();
    assert_eq!(last.rps, shards[1].timeline.last().unwrap().rps);
    let worst_p99 = shards
        .iter()
        .map(|r| r.timeline[2].p99_us.max(r.timeline[1].p99_us))
        .max()
        .unwrap();
    assert!(merged.timeline[2].p99_us <= worst_p99 && merged.timeline[2].p99_us > 0);
    assert_eq!(
        merged.timeline.iter().map(|e| e.bytes).sum::<u64>(),
        3000 * shards[0].timeline.len() as u64
    );

    // Thresholds re-evaluated on the merged data.
    let run = merged
        .thresholds
        .iter()
        .find(|t| t.stage.is_none())
        .unwrap();
    assert!(run.passed, "{run:?}");
    assert_eq!(run.observed, Some(merged.summary.requests as f64));
    let spike = merged
        .thresholds
        .iter()
        .find(|t| t.stage.as_deref() == Some("spike"))
        .unwrap();
    assert!(!spike.passed);
    assert!(!merged.passed);
    assert_eq!(merged.thresholds.len(), 2);

    // The merged report is itself a report: check judges it.
    let out = loadtop(&["check", merged_path.to_str().unwrap()]);
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("threshold pass: requests >= 3000 [run]"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("threshold FAIL: p99 < 1ms [spike]"));
}

#[test]
fn reports_of_different_plans_are_refused_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let a = save(
        dir.path(),
        "a.json",
        &build_report("shop", "2026-05-01T12:00:00Z", &three_stages(1), &[]),
    );
    let b = save(
        dir.path(),
        "b.json",
        &build_report("search", "2026-05-01T12:00:00Z", &three_stages(1), &[]),
    );
    let mut renamed = three_stages(1);
    renamed[2].name = "burst";
    let c = save(
        dir.path(),
        "c.json",
        &build_report("shop", "2026-05-01T12:00:00Z", &renamed, &[]),
    );
    let merged = dir.path().join("m.json");
    for (other, names) in [(&b, ["search", "shop"]), (&c, ["burst", "spike"])] {
        let out = loadtop(&[
            "merge",
            a.to_str().unwrap(),
            other.to_str().unwrap(),
            "-o",
            merged.to_str().unwrap(),
        ]);
        assert_exit(&out, 2);
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("loadtop: cannot merge: "), "{err}");
        assert!(err.contains("same plan"), "{err}");
        for name in names {
            assert!(err.contains(name), "{err} lacks {name}");
        }
        assert!(!merged.exists(), "nothing is written when refused");
    }
}
