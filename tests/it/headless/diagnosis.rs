//! The bottleneck verdict of real runs against the embedded server: each
//! stage's `diagnosis` names the resource that limited it, with figures in
//! its evidence, and each second of the timeline carries its own verdict.
//! Stages are short and the loads mild or far past a limit, so a loaded
//! 2-core machine gives the same verdicts.

use serde_json::Value;

use super::{read_valid_report, run_profile};

/// Runs `profile` headless; returns the report.
fn report_of(profile: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let (out, path) = run_profile(dir.path(), "diagnosis.toml", profile, "report.json");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    read_valid_report(&path)
}

/// The stage's verdict, after checking its evidence carries figures and
/// the timeline carries per-second verdicts.
pub(crate) fn stage_verdict(report: &Value, stage: &str) -> (String, Vec<String>) {
    let stages = report["stages"].as_array().unwrap();
    let record = stages
        .iter()
        .find(|s| s["name"] == stage)
        .unwrap_or_else(|| panic!("no stage {stage}"));
    let diagnosis = &record["diagnosis"];
    let bottleneck = diagnosis["bottleneck"]
        .as_str()
        .unwrap_or_else(|| panic!("stage {stage} has no diagnosis: {diagnosis}"))
        .to_string();
    let evidence: Vec<String> = diagnosis["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect();
    assert!(
        evidence
            .iter()
            .any(|e| e.chars().any(|c| c.is_ascii_digit())),
        "evidence without figures: {evidence:?}"
    );
    assert!(!diagnosis["advice"].as_str().unwrap().is_empty());
    let judged = report["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["stage"] == stage && p["bottleneck"].is_string())
        .count();
    assert!(judged >= 1, "no per-second verdict in {stage}");
    (bottleneck, evidence)
}

fn profile(route: &str, knobs: &str, load: &str, stage: &str) -> String {
    format!(
        r#"
name = "diagnosis"

[target]
route = "{route}"

[server]
threads = 1

[server.knobs]
{knobs}

[load]
threads = 1
{load}

[[stages]]
name = "only"
{stage}
"#
    )
}

#[test]
fn a_calm_stage_has_no_bottleneck_and_says_how_much_room_is_left() {
    let report = report_of(&profile(
        "/plaintext",
        "",
        "model = \"open\"\nconnections = 4",
        "duration = \"5s\"\nrate = 100",
    ));
    let (bottleneck, evidence) = stage_verdict(&report, "only");
    assert_eq!(bottleneck, "none", "{evidence:?}");
    assert!(
        evidence.iter().any(|e| e.starts_with("target CPU")),
        "{evidence:?}"
    );
}

#[test]
fn an_exhausted_pool_is_the_pool_with_its_capacity() {
    // 2 slots held 20 ms: about 100 req/s, asked for 800.
    let report = report_of(&profile(
        "/pool",
        "pool_size = 2\nhold_ms = 20\nacquire_timeout_ms = 20000",
        "model = \"open\"\nconnections = 16\ntimeout = \"30s\"",
        "duration = \"6s\"\nrate = 800",
    ));
    let (bottleneck, evidence) = stage_verdict(&report, "only");
    assert_eq!(bottleneck, "pool", "{evidence:?}");
    assert!(
        evidence.contains(&"2/2 slots busy".to_string()),
        "{evidence:?}"
    );
    // The hold is measured (slots over the rate served), so it reads 20 ms
    // or a little more: "capacity ≈ 2 / 21 ms = 95 req/s < 800 offered".
    let capacity = evidence
        .iter()
        .find_map(|e| e.strip_prefix("capacity ≈ 2 / "))
        .unwrap_or_else(|| panic!("no capacity in {evidence:?}"));
    let rate: f64 = capacity
        .split(" = ")
        .nth(1)
        .and_then(|rest| rest.split(" req/s").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no rate in {capacity:?}"));
    assert!((60.0..=101.0).contains(&rate), "{capacity}");
    assert!(capacity.ends_with("< 800 offered"), "{capacity}");
    // The change of verdict is an event.
    let events = report["events"].as_array().unwrap();
    assert!(
        events.iter().any(|e| e["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("bottleneck: pool-bound: 2/2 slots busy"))),
        "{events:?}"
    );
}

#[test]
fn cpu_work_on_a_one_thread_target_is_its_cpu_or_its_thread() {
    let report = report_of(&profile(
        "/cpu?work=2000",
        "",
        "model = \"closed\"\nconnections = 8",
        "duration = \"6s\"",
    ));
    let (bottleneck, evidence) = stage_verdict(&report, "only");
    assert!(
        bottleneck == "target_thread" || bottleneck == "target_cpu",
        "{bottleneck}: {evidence:?}"
    );
    let resources = &report["stages"][0]["resources"];
    assert!(
        resources["target_busiest_thread_max"].as_f64().unwrap() >= 50.0,
        "{resources}"
    );
}

#[test]
fn half_the_requests_failing_at_a_calm_rate_is_errors() {
    // Faults apply to the scenario routes.
    let report = report_of(&profile(
        "/sleep",
        "error_rate = 0.5\nsleep_ms = 1",
        "model = \"open\"\nconnections = 4",
        "duration = \"5s\"\nrate = 100",
    ));
    let (bottleneck, evidence) = stage_verdict(&report, "only");
    assert_eq!(bottleneck, "errors", "{evidence:?}");
    assert!(evidence[0].contains("% of requests failed"), "{evidence:?}");
}

#[test]
fn a_full_pool_shedding_its_excess_is_the_pool_with_the_shed_rate() {
    // 4 slots held 20 ms (about 200 req/s), at most 4 in flight, 800 asked:
    // the excess is refused 503 at once and nobody waits for a slot.
    let report = report_of(&profile(
        "/pool",
        "pool_size = 4\nhold_ms = 20\nload_shedding = true\nmax_inflight = 4",
        "model = \"open\"\nconnections = 32\ntimeout = \"10s\"",
        "duration = \"7s\"\nrate = 800",
    ));
    let (bottleneck, evidence) = stage_verdict(&report, "only");
    assert_eq!(bottleneck, "pool", "{evidence:?}");
    let shed = evidence
        .iter()
        .find_map(|e| e.strip_suffix(" shed/s (503)"))
        .unwrap_or_else(|| panic!("no shed rate in {evidence:?}"));
    assert!(shed.parse::<f64>().unwrap() > 0.0, "{evidence:?}");
    assert!(
        evidence.iter().any(|e| e.starts_with("capacity ≈ 4 / ")),
        "{evidence:?}"
    );
    let advice = report["stages"][0]["diagnosis"]["advice"].as_str().unwrap();
    assert!(advice.contains("accept the shed"), "{advice}");
}

#[test]
fn a_global_stall_is_a_stall() {
    // The server stops answering for 2 s, then 1 s later again.
    let report = report_of(&profile(
        "/sleep",
        "stall_every_ms = 1000\nstall_ms = 2000\nsleep_ms = 1",
        "model = \"open\"\nconnections = 8\ntimeout = \"30s\"",
        "duration = \"7s\"\nrate = 100",
    ));
    let (bottleneck, evidence) = stage_verdict(&report, "only");
    assert_eq!(bottleneck, "stall", "{evidence:?}");
    assert!(evidence[0].starts_with("no response for "), "{evidence:?}");
}

#[test]
fn one_worker_that_never_idles_is_the_generator_and_only_from_half_a_core() {
    // The closed model against a two-thread target: the one worker always
    // has a response to read or a request to write.
    let body = profile(
        "/plaintext",
        "",
        "model = \"closed\"\nconnections = 64",
        "duration = \"6s\"",
    )
    .replace("[server]\nthreads = 1", "[server]\nthreads = 2");
    let report = report_of(&body);
    let (bottleneck, evidence) = stage_verdict(&report, "only");
    let worker = report["stages"][0]["resources"]["worker_cpu_max"]
        .as_f64()
        .unwrap();
    // Never blamed below half a core; a machine busy with other work can
    // keep the worker below it, and then the verdict must not say so.
    if worker < 50.0 {
        assert_ne!(bottleneck, "generator", "worker {worker}%: {evidence:?}");
        eprintln!("worker only reached {worker:.0}% of a core: generator verdict not exercised");
        return;
    }
    let timeline_says_generator = report["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["bottleneck"] == "generator");
    assert!(timeline_says_generator, "worker {worker}%: {evidence:?}");
}
