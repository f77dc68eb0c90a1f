//! `loadtop max` end to end: a real search against the embedded server's
//! `/pool` (a semaphore of 8 slots held 10 ms each) whose capacity the test
//! measures first, reports validated against the schema, and bad input.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::headless::read_valid_report;
use crate::support::loadtop_bin;

const POOL_KNOBS: &str = r#"{"pool_size":8,"hold_ms":10,"acquire_timeout_ms":5000}"#;

struct Spawned(Child);

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `loadtop serve` with the pool knobs on a free port; returns its base URL.
fn serve_pool() -> (Spawned, String) {
    let mut child = Command::new(loadtop_bin())
        .args(["serve", "--bind", "127.0.0.1:0", "--threads", "1"])
        .args(["--knobs", POOL_KNOBS])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("listening="))
        .unwrap_or_else(|| panic!("no ready line: {line:?}"))
        .to_string();
    (Spawned(child), url)
}

fn loadtop(args: &[&str], dir: &Path) -> Output {
    let mut child = Command::new(loadtop_bin())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("loadtop {args:?} did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The rate in `max rate meeting …: 1,234 req/s (…)`.
fn answer(stdout: &str) -> Option<f64> {
    let line = stdout.lines().find(|l| l.starts_with("max rate meeting"))?;
    let after = line.rsplit_once(": ")?.1;
    let number = after.split(" req/s").next()?.replace(',', "");
    number.trim().parse().ok()
}

/// Closed-model saturation throughput of `/pool`: the reference the search
/// must land near (pool_size / hold, with the timer's real hold).
fn measure_capacity(url: &str, dir: &Path) -> f64 {
    let out = loadtop(
        &[
            "bench",
            &format!("{url}/pool"),
            "-c",
            "64",
            "-d",
            "2s",
            "--json",
            "-",
        ],
        dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    report["summary"]["rps"].as_f64().unwrap()
}

#[test]
fn max_finds_the_pool_capacity_and_reports_each_probe() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve_pool();
    let capacity = measure_capacity(&url, dir.path());
    // pool_size / hold = 800 req/s; tokio's 1 ms timer makes the real hold
    // about 11 ms, so the measured figure is the honest reference.
    assert!(
        (400.0..1_000.0).contains(&capacity),
        "8 slots held ~10 ms measured {capacity} req/s"
    );

    let report_path = dir.path().join("max.json");
    let out = loadtop(
        &[
            "max",
            &format!("{url}/pool"),
            "--slo",
            "p99<100ms",
            "--step-time",
            "1s",
            "--precision",
            "5%",
            "--headless",
            "--json",
            report_path.to_str().unwrap(),
        ],
        dir.path(),
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let found = answer(&stdout).unwrap_or_else(|| panic!("no answer in {stdout}"));
    assert!(
        (found - capacity).abs() <= 0.15 * capacity,
        "answer {found} req/s vs measured capacity {capacity} req/s:\n{stdout}"
    );
    assert!(stdout.contains("(bracket "), "{stdout}");

    let probe_lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with("probe ")).collect();
    assert!(probe_lines.iter().any(|l| l.ends_with("pass")), "{stdout}");
    assert!(
        probe_lines.iter().any(|l| l.contains("FAIL p99<100ms")),
        "{stdout}"
    );

    let report = read_valid_report(&report_path);
    let measured: Vec<&Value> = report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["measured"] == true)
        .collect();
    assert_eq!(measured.len(), probe_lines.len(), "one stage per probe");
    for (i, stage) in measured.iter().enumerate() {
        let name = stage["name"].as_str().unwrap();
        assert!(name.starts_with(&format!("probe {}: ", i + 1)), "{name}");
    }
    // Unmeasured stages are the warm-up and the settles between probes.
    for stage in report["stages"].as_array().unwrap() {
        if stage["measured"] == false {
            let name = stage["name"].as_str().unwrap();
            assert!(name == "warmup" || name == "settle", "{name}");
        }
    }
    // Every probe's SLO verdict is in the report, and the answer in the events.
    let verdicts = report["thresholds"].as_array().unwrap();
    assert_eq!(verdicts.len(), probe_lines.len());
    assert!(verdicts.iter().any(|v| v["passed"] == false));
    let conclusion = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["message"].as_str())
        .find(|m| m.starts_with("max rate meeting"))
        .unwrap_or_else(|| panic!("no conclusion event: {:#}", report["events"]));
    assert_eq!(answer(conclusion), Some(found));
}

#[test]
fn a_start_rate_that_fails_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve_pool();
    let report_path = dir.path().join("max.json");
    // Every /pool request holds a slot ~10 ms: p99 under 1 ms cannot hold.
    let out = loadtop(
        &[
            "max",
            &format!("{url}/pool"),
            "--slo",
            "p99<1ms",
            "--step-time",
            "1s",
            "--headless",
            "--json",
            report_path.to_str().unwrap(),
        ],
        dir.path(),
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("no rate met p99<1ms"), "{stdout}");
    let report = read_valid_report(&report_path);
    assert_eq!(
        report["stages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["measured"] == true)
            .count(),
        1
    );
}

const PROFILE: &str = r#"
name = "pool"
thresholds = ["p99 < 200ms", "error_rate < 1%"]

[target]
route = "/pool"

[server]
threads = 1

[server.knobs]
pool_size = 8
hold_ms = 10

[load]
connections = 32

[[stages]]
name = "ignored"
duration = "1h"
rate = 5
"#;

#[test]
fn a_profile_gives_target_knobs_and_slos_and_the_cap_ends_the_search() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("pool.toml");
    std::fs::write(&profile, PROFILE).unwrap();
    let report_path = dir.path().join("max.json");
    let out = loadtop(
        &[
            "max",
            profile.to_str().unwrap(),
            "--step-time",
            "1s",
            "--start-rate",
            "50",
            "--max-rate",
            "100",
            "--headless",
            "--json",
            report_path.to_str().unwrap(),
        ],
        dir.path(),
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("stage(s) are ignored"), "{stdout}");
    assert!(
        stdout.contains("max rate meeting p99 < 200ms and error_rate < 1%: 100 req/s"),
        "{stdout}"
    );
    assert!(stdout.contains("--max-rate cap"), "{stdout}");
    let report = read_valid_report(&report_path);
    assert_eq!(report["plan"]["target_kind"], "embedded");
    assert_eq!(report["plan"]["knobs"]["pool_size"], 8);
    // The profile's 32 connections are raised to the search's minimum.
    assert_eq!(report["plan"]["connections"], 256);
    let names: Vec<&str> = report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["warmup", "probe 1: 50 req/s", "probe 2: 100 req/s"]);
}

#[test]
fn an_unparsable_slo_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = loadtop(
        &["max", "http://127.0.0.1:9/", "--slo", "p99 < soon"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--slo `p99 < soon`"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn an_unreachable_url_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    // A port that was free a moment ago: nothing listens there.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let out = loadtop(
        &[
            "max",
            &format!("http://127.0.0.1:{port}/"),
            "--slo",
            "p99<50ms",
            "--headless",
        ],
        dir.path(),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot connect"), "{stderr}");
    assert!(!text(&out.stdout).contains("max rate meeting"));
}

#[test]
fn no_slo_at_all_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = loadtop(&["max", "http://127.0.0.1:9/"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--slo"), "{}", text(&out.stderr));
}

#[test]
fn sigint_mid_search_exits_130_with_the_probes_so_far_and_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve_pool();
    let report_path = dir.path().join("max.json");
    let mut child = Spawned(
        Command::new(loadtop_bin())
            .args(["max", &format!("{url}/pool"), "--slo", "p99<100ms"])
            .args(["--step-time", "1s", "--headless", "--json"])
            .arg(&report_path)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // Probe lines come out as each probe ends: interrupt during probe 2.
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !seen.contains("probe 1:") {
        assert!(Instant::now() < deadline, "no probe line: {seen}");
        if stdout.read_line(&mut seen).unwrap() == 0 {
            panic!("loadtop ended early: {seen}");
        }
    }
    let status = Command::new("kill")
        .args(["-INT", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let code = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status.code();
        }
        assert!(
            Instant::now() < deadline,
            "loadtop did not stop after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code, Some(130));
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert!(
        rest.contains("search not finished: 100 req/s passed so far"),
        "{seen}{rest}"
    );
    let report = read_valid_report(&report_path);
    assert_eq!(report["outcome"], "interrupted");
    assert_eq!(report["stages"][1]["name"], "probe 1: 100 req/s");
}
