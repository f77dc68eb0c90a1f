//! How runs end: SIGINT and a target that dies still leave a valid report.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{QUICK, Spawned, read_valid_report, write_profile};
use crate::support::{exit_code_within, loadtop_bin, signal};

/// A headless run of 30 s stages, writing its report to `report_name`.
fn long_run(dir: &Path, report_name: &str) -> (Spawned, PathBuf) {
    let profile = write_profile(
        dir,
        "long.toml",
        &QUICK.replace("duration = \"1s\"", "duration = \"30s\""),
    );
    let report_path = dir.join(report_name);
    let child = Command::new(loadtop_bin())
        .args([
            "run",
            profile.to_str().unwrap(),
            "--headless",
            "--json",
            report_path.to_str().unwrap(),
        ])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (Spawned(child), report_path)
}

#[test]
fn sigint_writes_a_valid_partial_report_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, report_path) = long_run(dir.path(), "partial.json");
    std::thread::sleep(Duration::from_millis(2500));
    signal(&child, "INT");
    assert_eq!(
        exit_code_within(&mut child, Duration::from_secs(15)),
        Some(130)
    );
    let report = read_valid_report(&report_path);
    assert_eq!(report["outcome"], "interrupted");
    assert!(report["summary"]["requests"].as_u64().unwrap() > 0);
    assert_eq!(report["stages"].as_array().unwrap().len(), 1);
    // 2.5 s of a 30 s plan: nothing can pass, and the stage reads as cut.
    assert_eq!(report["thresholds_evaluated"], false);
    assert_eq!(report["passed"], false);
    assert!(
        report["thresholds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["passed"] == false)
    );
    assert_eq!(report["cut_stages"], serde_json::json!(["one"]));
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.0.stdout.take().unwrap(), &mut stdout).unwrap();
    assert!(stdout.contains("one (cut)"), "{stdout}");
    assert!(
        stdout.contains("threshold not evaluated (interrupted)"),
        "{stdout}"
    );
    assert!(!stdout.contains("threshold pass"), "{stdout}");
}

#[test]
fn an_embedded_target_that_dies_mid_run_ends_the_run_with_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, report_path) = long_run(dir.path(), "died.json");
    let deadline = Instant::now() + Duration::from_secs(15);
    let server = loop {
        if let Some(&pid) = children_of(child.0.id()).first() {
            break pid;
        }
        assert!(
            Instant::now() < deadline,
            "the embedded server never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_millis(1500));
    let killed = Command::new("kill")
        .args(["-KILL", &server.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert_eq!(
        exit_code_within(&mut child, Duration::from_secs(15)),
        Some(1)
    );
    let report = read_valid_report(&report_path);
    assert_eq!(report["outcome"], "target_exited");
    assert!(report["summary"]["requests"].as_u64().unwrap() > 0);
    let events = report["events"].as_array().unwrap();
    assert!(events.iter().any(|e| e["kind"] == "target"), "{events:?}");
}

/// Children of `pid`, from /proc (Linux).
pub(super) fn children_of(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .filter_map(|t| t.ok())
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|text| {
            text.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}
