//! The real binary under tmux at a fixed rate: every live change from the
//! keyboard (threads `T`/`t`, connections `C`/`c`, rate `R`/`r`) keeps the
//! schedule. The written report's timeline holds the asked rate (±5 %) in
//! every full second after each change, and no second's max latency reaches
//! back before the change.

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::e2e::{ProfileRun, run_profile};
use crate::headless::read_valid_report;

const PROFILE: &str = r#"
name = "keys"

[target]
route = "/plaintext"

[server]
threads = 1

[load]
model = "open"
threads = 1
connections = 20

[[stages]]
name = "fixed"
duration = "60s"
rate = 1000
"#;

/// Each key, what the header shows once it took effect, and the rate asked
/// from then on.
const CHANGES: [(&str, &str, f64); 6] = [
    ("T", "2 threads", 1000.0),
    ("t", "1 thread", 1000.0),
    ("C", "40 conns", 1000.0),
    ("c", "20 conns", 1000.0),
    ("R", "open 1250 req/s", 1250.0),
    ("r", "open 1000 req/s", 1000.0),
];
/// Time after a change: its landing second plus two full seconds.
const SETTLE: Duration = Duration::from_millis(3100);
/// Room for a loaded machine on top of "since the change plus service".
const LATENCY_SLACK_SECS: f64 = 0.3;

#[test]
fn live_keys_at_a_fixed_rate_keep_the_schedule() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("tmux is not installed; the live-change dashboard test is skipped");
        return;
    }
    let ProfileRun {
        tmux,
        report,
        dir: _dir,
    } = run_profile("loadtop-keys", (140, 40), PROFILE, "");
    tmux.wait_for("open 1000 req/s");
    std::thread::sleep(Duration::from_millis(1500));
    for (key, shown, _) in CHANGES {
        tmux.keys(key);
        tmux.wait_for(shown);
        std::thread::sleep(SETTLE);
    }
    // Quitting before the plan ends is an interruption: exit 130.
    tmux.keys("q");
    tmux.wait_for("Run stopped");
    tmux.keys("q");
    let after = tmux.wait_for("EXIT=");
    assert!(after.contains("EXIT=130"), "{after}");

    let report = read_valid_report(&report);
    let changes: Vec<f64> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["kind"] == "control")
        .map(|event| event["at_secs"].as_f64().unwrap())
        .collect();
    assert_eq!(changes.len(), CHANGES.len(), "{:#}", report["events"]);
    let timeline = report["timeline"].as_array().unwrap();
    for (index, &(key, _, asked)) in CHANGES.iter().enumerate() {
        let changed_at = changes[index];
        let next = changes.get(index + 1).copied().unwrap_or(f64::MAX);
        check_seconds_after(timeline, key, asked, changed_at, next);
    }
}

/// Point `second: k` covers engine time (k-1, k]: the full seconds after a
/// change at `from` and before the next one at `until`.
fn check_seconds_after(timeline: &[Value], key: &str, asked: f64, from: f64, until: f64) {
    let full: Vec<&Value> = timeline
        .iter()
        .filter(|point| {
            let end = point["second"].as_f64().unwrap();
            end - 1.0 >= from && end <= until
        })
        .collect();
    assert!(
        full.len() >= 2,
        "`{key}` at {from:.2} s: {} full seconds in the timeline",
        full.len()
    );
    for point in full {
        let second = point["second"].as_f64().unwrap();
        let rps = point["rps"].as_f64().unwrap();
        assert!(
            (rps - asked).abs() <= asked * 0.05,
            "`{key}` at {from:.2} s: second {second} ran at {rps:.0} req/s, asked {asked}"
        );
        let max = point["max_us"].as_f64().unwrap() / 1e6;
        assert!(
            max <= second - from + LATENCY_SLACK_SECS,
            "`{key}` at {from:.2} s: second {second} holds a latency of {max} s"
        );
    }
}
