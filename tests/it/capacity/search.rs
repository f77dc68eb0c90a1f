//! Searches against `/pool`: the answer near the measured capacity, a
//! failing start rate, a generator limit, and an interrupted search.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Spawned, answer, loadtop, measure_capacity, serve_pool, text};
use crate::headless::read_valid_report;
use crate::support::loadtop_bin;

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

#[test]
fn too_few_connections_is_a_generator_limit_not_the_targets() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve_pool();
    let report_path = dir.path().join("max.json");
    // Two connections carry at most 2 / ~11 ms ≈ 180 req/s while the pool
    // serves ~730: at 200 req/s the generator falls behind, not the target.
    let out = loadtop(
        &[
            "max",
            &format!("{url}/pool"),
            "--slo",
            "p99<100ms",
            "--step-time",
            "1s",
            "-c",
            "2",
            "--headless",
            "--json",
            report_path.to_str().unwrap(),
        ],
        dir.path(),
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("stopped: the generator saturated at ~"),
        "{stdout}"
    );
    assert!(stdout.contains("the answer is a lower bound"), "{stdout}");
    assert!(stdout.contains("[generator limit: "), "{stdout}");
    assert_eq!(answer(&stdout), Some(100.0), "{stdout}");
    read_valid_report(&report_path);
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
    crate::support::signal(&child, "INT");
    let code = crate::support::exit_code_within(&mut child, Duration::from_secs(15));
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
