//! Input: a profile as the target (its stages ignored, its thresholds as
//! SLOs), and bad input refused with exit 2 before any load.

use super::{loadtop, text};
use crate::headless::read_valid_report;

const PROFILE: &str = r#"
name = "pool"
thresholds = ["p99 < 200ms", "error_rate < 1%", "rps > 150"]

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
    // A rate floor would fail every probe below it: not an SLO for a search.
    assert!(stdout.contains("ignored `rps > 150`"), "{stdout}");
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
