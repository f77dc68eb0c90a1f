//! Headless runs of the real binary: `run` and `bench` end to end, exit
//! codes, reports validated against the published schema, bad input.

use std::path::{Path, PathBuf};

use serde_json::Value;

pub(super) use crate::support::{Spawned, run_loadtop as loadtop};

pub(super) fn serve() -> (Spawned, String) {
    crate::support::serve_with(&[])
}

mod bench;
mod completions;
pub(crate) mod diagnosis;
mod exact;
mod external_pool;
mod inputs;
mod knobs;
mod lifecycle;
mod mix;
mod outputs;
mod saturation;
mod shards;
mod signals;
mod text;
mod tls;

fn schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Reads a report and checks it against docs/report.schema.json.
pub fn read_valid_report(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("no report at {}: {e}", path.display()));
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_valid(&report);
    report
}

pub fn assert_valid(report: &Value) {
    let schema = schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report does not match the schema: {errors:#?}"
    );
}

/// Writes `body` as profile `name` and runs it headless with `--json report`.
fn run_profile(
    dir: &Path,
    name: &str,
    body: &str,
    report: &str,
) -> (std::process::Output, PathBuf) {
    let profile = write_profile(dir, name, body);
    let report_path = dir.join(report);
    let args = [
        "run",
        profile.to_str().unwrap(),
        "--headless",
        "--json",
        report_path.to_str().unwrap(),
    ];
    (loadtop(&args, dir), report_path)
}

pub(super) fn write_profile(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path
}

pub(super) const QUICK: &str = r#"
name = "quick"
thresholds = ["error_rate < 1%"]

[target]
route = "/plaintext"

[server]
threads = 1

[load]
model = "open"
connections = 4

[[stages]]
name = "one"
duration = "1s"
rate = 100

[[stages]]
name = "two"
duration = "1s"
rate = 200
thresholds = ["p99 < 5s"]
"#;

#[test]
fn run_headless_writes_a_valid_report_with_every_stage() {
    let dir = tempfile::tempdir().unwrap();
    let (out, report_path) = run_profile(dir.path(), "quick.toml", QUICK, "out/report.json");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = read_valid_report(&report_path);
    assert_eq!(report["outcome"], "completed");
    assert_eq!(report["plan"]["latency_corrected"], true);
    let stages = report["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 2);
    let one = stages[0]["summary"]["requests"].as_u64().unwrap();
    let two = stages[1]["summary"]["requests"].as_u64().unwrap();
    // 1 s at 100 and at 200 req/s: generous bounds, the machine is shared.
    assert!((50..=150).contains(&one), "stage one: {one}");
    assert!((100..=300).contains(&two), "stage two: {two}");
    assert_eq!(report["summary"]["requests"].as_u64().unwrap(), one + two);
    assert!(!report["timeline"].as_array().unwrap().is_empty());
    assert!(
        report["thresholds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["passed"] == true)
    );
    assert!(stdout.contains("one") && stdout.contains("two"), "{stdout}");
    assert!(stdout.contains("report:"), "{stdout}");
}

#[test]
fn an_empty_admin_token_in_the_environment_does_not_stop_the_embedded_target() {
    // `serve` refuses an empty LOADTOP_ADMIN_TOKEN; the child `run` starts
    // makes its own token, so the variable must not reach it.
    let dir = tempfile::tempdir().unwrap();
    let profile = write_profile(dir.path(), "quick.toml", QUICK);
    let report = dir.path().join("report.json");
    let out = std::process::Command::new(crate::support::loadtop_bin())
        .args(["run", profile.to_str().unwrap(), "--headless", "--json"])
        .arg(&report)
        .env("LOADTOP_ADMIN_TOKEN", "")
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = read_valid_report(&report);
    assert!(report["summary"]["requests"].as_u64().unwrap() > 0);
}

#[test]
fn a_failing_threshold_exits_one_and_says_which() {
    let dir = tempfile::tempdir().unwrap();
    let (out, report_path) = run_profile(
        dir.path(),
        "fail.toml",
        &QUICK.replace("p99 < 5s", "rps > 1000000"),
        "r.json",
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("threshold FAIL: rps > 1000000 [two]"),
        "{stdout}"
    );
    let report = read_valid_report(&report_path);
    assert_eq!(report["passed"], false);
}

#[test]
fn bad_flags_get_one_clear_line_and_exit_two() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 8] = [
        (&["bench", "not-a-url"], "invalid URL"),
        (&["bench", "ftp://127.0.0.1:1/"], "supported: http, https"),
        (
            &["bench", "http://127.0.0.1:1/", "-c", "0"],
            "--connections",
        ),
        (&["bench", "http://127.0.0.1:1/", "-R", "0.5"], "--rate"),
        (&["bench", "http://127.0.0.1:1/", "-d", "0s"], "--duration"),
        (
            &[
                "bench",
                "http://127.0.0.1:1/",
                "--body-file",
                "/nonexistent/body",
            ],
            "cannot read body file",
        ),
        (
            &["bench", "http://127.0.0.1:1/", "-d", "1s"],
            "cannot connect",
        ),
        (&["run", "/nonexistent/profile.toml"], "cannot read profile"),
    ];
    for (args, expected) in cases {
        let out = loadtop(args, dir.path());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn an_invalid_profile_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let text = QUICK.replace("rate = 200", "rate = 200\nburst = 3");
    let line = text.lines().position(|l| l.starts_with("burst")).unwrap() + 1;
    let profile = write_profile(dir.path(), "bad.toml", &text);
    let out = loadtop(
        &["run", profile.to_str().unwrap(), "--headless"],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let expected = format!("{}:{line}:1: `stages[1].burst`", profile.display());
    assert!(stderr.contains(&expected), "{stderr}");
}

#[test]
fn a_closed_stage_after_an_open_one_switches_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let text = QUICK.replace(
        "[[stages]]\nname = \"two\"\nduration = \"1s\"\nrate = 200",
        "[[stages]]\nname = \"two\"\nmodel = \"closed\"\nconnections = 2\nduration = \"1s\"",
    );
    assert!(text.contains("model = \"closed\""));
    let (out, report_path) = run_profile(dir.path(), "switch.toml", &text, "r.json");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = read_valid_report(&report_path);
    let stages = report["stages"].as_array().unwrap();
    assert_eq!(stages[0]["latency_corrected"], true);
    assert_eq!(stages[1]["latency_corrected"], false);
    assert_eq!(report["plan"]["stages"][1]["model"], "closed");
    // Back to back on loopback, two connections outrun 100 req/s by far.
    let open = stages[0]["summary"]["requests"].as_u64().unwrap();
    let closed = stages[1]["summary"]["requests"].as_u64().unwrap();
    assert!(closed > 3 * open, "closed {closed} vs open {open}");
}
