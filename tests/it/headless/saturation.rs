//! Whose limit a run shows: a target that cannot keep up with the asked rate
//! is named as the target, a generator starved of CPU as the generator. The
//! verdict reaches the report as a `warning` event.

use std::process::{Command, Stdio};

use serde_json::Value;

use super::{assert_valid, loadtop};
use crate::support::{Spawned, loadtop_bin, serve_with};

fn saturation_events(report: &Value) -> Vec<String> {
    report["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "warning")
        .filter_map(|e| e["message"].as_str())
        .filter(|m| m.contains("saturated"))
        .map(String::from)
        .collect()
}

fn bench_report(args: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let args: Vec<&str> = args.iter().copied().chain(["--json", "-"]).collect();
    let out = loadtop(&args, dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid(&report);
    report
}

#[test]
fn a_full_pool_under_a_fixed_rate_is_the_target_not_the_generator() {
    // 2 slots held 20 ms: about 100 req/s, asked for 800 over 8 connections.
    let (_server, url) = serve_with(&[
        "--knobs",
        r#"{"pool_size":2,"hold_ms":20,"acquire_timeout_ms":20000}"#,
    ]);
    let report = bench_report(&[
        "bench",
        &format!("{url}/pool"),
        "-R",
        "800",
        "-c",
        "8",
        "-t",
        "1",
        "-d",
        "4s",
    ]);
    let events = saturation_events(&report);
    assert!(
        events
            .iter()
            .any(|m| m.starts_with("target saturated: all 8 connections waiting; open more connections (C) or lower the rate")),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .all(|m| !m.contains("generator") && !m.contains("thread")),
        "{events:?}"
    );
}

/// A busy loop of shell builtins pinned to `cpu`, bounded (about a minute).
fn spinner(cpu: &str) -> Spawned {
    Spawned(
        Command::new("taskset")
            .args(["-c", cpu, "sh", "-c"])
            .arg("i=0; while [ $i -lt 80000000 ]; do i=$((i+1)); done")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

#[test]
fn a_generator_starved_of_cpu_is_the_generator_not_the_target() {
    let _turn = crate::tui::saturated::cpu_heavy();
    let (_server, url) = serve_with(&[]);
    // loadtop shares CPU 1 with three busy loops: its one worker thread
    // always has work and gets at most a quarter of a core, far less than
    // the rate needs, while the target answers at once.
    let _spinners: Vec<Spawned> = (0..3).map(|_| spinner("1")).collect();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("taskset")
        .args(["-c", "1"])
        .arg(loadtop_bin())
        .args(["bench", &format!("{url}/plaintext"), "-R", "100000"])
        .args(["-c", "16", "-t", "1", "-d", "4s", "--json", "-"])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid(&report);
    let events = saturation_events(&report);
    assert!(
        events
            .iter()
            .any(|m| m.starts_with("generator saturated: ")),
        "{events:?}"
    );
    assert!(
        events.iter().all(|m| !m.starts_with("target saturated")),
        "{events:?}"
    );
}
