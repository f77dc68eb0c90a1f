//! The real binary under tmux: `loadtop run` on a short profile against the
//! embedded server, live numbers that change, keys that change connections
//! and rate, quit, a restored terminal and a written report.

use std::process::Command;
use std::time::{Duration, Instant};

use super::e2e::{ProfileRun, Tmux, run_profile};
use crate::headless::read_valid_report;
use crate::support::loadtop_bin;

const PROFILE: &str = r#"
name = "e2e"

[target]
route = "/plaintext"

[server]
threads = 1

[load]
model = "open"
connections = 4

[[stages]]
name = "first"
duration = "20s"
rate = 200

[[stages]]
name = "second"
duration = "20s"
rate = 300
"#;

/// The throughput legend's figure, e.g. `⣿ 199 req/s`.
fn throughput(screen: &str) -> Option<u64> {
    let line = screen.lines().find(|l| l.contains("Throughput"))?;
    let before = line.split(" req/s").next()?;
    before.split_whitespace().last()?.parse().ok()
}

#[test]
fn dashboard_on_the_real_binary() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("tmux is not installed; the real-binary dashboard test is skipped");
        return;
    }
    let ProfileRun {
        tmux,
        report,
        dir: _dir,
    } = run_profile(
        "loadtop-real",
        (120, 40),
        PROFILE,
        "stty -a | tr ' ;' '\\n\\n' | grep -qx icanon && echo COOKED;",
    );

    // Live numbers appear and move: the first seconds climb towards 200 req/s.
    let first = tmux.wait_for("req/s");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = vec![throughput(&first)];
    while !seen.iter().flatten().any(|&rps| rps >= 100) {
        assert!(
            Instant::now() < deadline,
            "throughput never rose:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(300));
        seen.push(throughput(&tmux.screen()));
    }
    let distinct: std::collections::BTreeSet<_> = seen.iter().flatten().collect();
    assert!(distinct.len() >= 2, "numbers did not change: {seen:?}");
    let screen = tmux.wait_for("open 200 req/s");
    assert!(screen.contains("4 conns"), "{screen}");

    // Keys change connections and rate; the header shows it within a second.
    tmux.keys("C");
    tmux.wait_for("8 conns");
    tmux.keys("R");
    tmux.wait_for("open 250 req/s");

    // `n` cuts the first stage short; `q` then stops the second before its
    // end: both are marked cut, and quitting early is an interruption.
    tmux.keys("n");
    tmux.wait_for("second");
    tmux.keys("q");
    let summary = tmux.wait_for("Run stopped");
    assert!(summary.contains("first (cut)"), "{summary}");
    assert!(summary.contains("second (cut)"), "{summary}");
    tmux.keys("q");
    let after = tmux.wait_for("COOKED");
    assert!(after.contains("EXIT=130"), "{after}");
    assert!(
        !after.contains("Throughput"),
        "still on the alternate screen:\n{after}"
    );
    assert!(after.contains("report:"), "{after}");

    let report = read_valid_report(&report);
    assert_eq!(report["outcome"], "quit");
    assert_eq!(report["cut_stages"], serde_json::json!(["first", "second"]));
    let events: Vec<&str> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["message"].as_str())
        .collect();
    assert!(events.contains(&"connections set to 8"), "{events:?}");
    assert!(events.contains(&"rate set to 250 req/s"), "{events:?}");
    assert!(report["summary"]["requests"].as_u64().unwrap() > 100);
}

/// SIGTERM (docker stop, systemd, `timeout`) closes the dashboard by itself:
/// the run stops, the report is written, the terminal is restored, 130.
#[test]
fn sigterm_closes_the_dashboard_with_its_report() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("tmux is not installed; skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("e2e.toml");
    std::fs::write(&profile, PROFILE).unwrap();
    let report = dir.path().join("report.json");
    let pid_file = dir.path().join("pid");
    let script = format!(
        "cd '{}' && sh -c 'echo $$ > \"{}\"; exec \"{}\" run \"{}\" --json \"{}\"'; echo EXIT=$?; \
         stty -a | tr ' ;' '\\n\\n' | grep -qx icanon && echo COOKED; sleep 60",
        dir.path().display(),
        pid_file.display(),
        loadtop_bin().display(),
        profile.display(),
        report.display()
    );
    let tmux = Tmux::start("loadtop-term", 120, 40, &script);
    tmux.wait_for("req/s");
    std::thread::sleep(Duration::from_millis(1500));
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let sent = Command::new("kill")
        .args(["-TERM", pid.trim()])
        .status()
        .unwrap();
    assert!(sent.success());
    let after = tmux.wait_for("COOKED");
    assert!(after.contains("EXIT=130"), "{after}");
    assert!(
        !after.contains("Throughput"),
        "still on the alternate screen:\n{after}"
    );
    let report = read_valid_report(&report);
    assert_eq!(report["outcome"], "interrupted");
    assert_eq!(report["thresholds_evaluated"], false);
}
