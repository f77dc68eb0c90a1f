//! The real binary under tmux against a target it saturates: a one-thread
//! embedded server doing `/cpu` work far beyond what it can serve. The
//! admin API is answered by that same busy thread, so any wait on it in the
//! session would freeze the dashboard; keys must still show at once and the
//! stage clock must keep pace with the run clock.

use std::process::Command;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::e2e::{ProfileRun, Tmux, run_profile};
use crate::headless::read_valid_report;

/// About 1.9 ms of CPU per request on one server thread: ~500 req/s at
/// most, asked for 2,000.
const PROFILE: &str = r#"
name = "saturated"

[target]
route = "/cpu?work=30000"

[server]
threads = 1

[load]
model = "open"
threads = 1
connections = 16
timeout = "10s"

[[stages]]
name = "flat"
duration = "40s"
rate = 2000
"#;

/// How long a key may take to show, from `send-keys` to the first capture
/// that shows its effect. A session that waits on the saturated target
/// took 0.4–3.9 s, growing.
const KEY_SHOWS_WITHIN: Duration = Duration::from_millis(500);

/// Tests that saturate a CPU on purpose take turns, so that neither starves
/// the other's subject (this one's dashboard, or the other's target).
static CPU_HEAVY: Mutex<()> = Mutex::new(());

pub(crate) fn cpu_heavy() -> MutexGuard<'static, ()> {
    CPU_HEAVY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Presses `key` and returns how long until the screen contains `needle`
/// (captured every 50 ms; gives up after 10 s).
fn time_to_show(tmux: &Tmux, key: &str, needle: &str) -> Duration {
    let sent = Instant::now();
    tmux.keys(key);
    loop {
        let screen = tmux.screen();
        if screen.contains(needle) {
            return sent.elapsed();
        }
        assert!(
            sent.elapsed() < Duration::from_secs(10),
            "{key:?} never showed {needle:?}:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The header's `m:ss/m:ss · run m:ss/m:ss`: (stage elapsed, run elapsed).
fn clocks(screen: &str) -> Option<(String, String)> {
    let line = screen.lines().find(|l| l.contains(" · run "))?;
    let (stage_part, run_part) = line.split_once(" · run ")?;
    let stage = stage_part.split_whitespace().last()?.split('/').next()?;
    let run = run_part.split_whitespace().next()?.split('/').next()?;
    Some((stage.to_string(), run.to_string()))
}

#[test]
fn keys_show_at_once_and_the_stage_clock_keeps_the_run_clock_on_a_saturated_target() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("tmux is not installed; skipped");
        return;
    }
    let _turn = cpu_heavy();
    let ProfileRun { tmux, report, dir } = run_profile("loadtop-saturated", (120, 40), PROFILE, "");
    tmux.wait_for("open 2000 req/s");
    // The target's CPU is what this test saturates on purpose; on a 2-core
    // machine it would also take the CPU from tmux and the dashboard, whose
    // own delays are not the session's. At nice 19 it still answers the
    // admin API from the same busy thread, only later.
    let target = embedded_target_in(&dir.path().canonicalize().unwrap());
    renice_every_thread(target, 19);
    // Let the target fall well behind (connections all waiting, the admin
    // API slow to answer) before pressing anything.
    std::thread::sleep(Duration::from_secs(4));

    let presses = [
        ("C", "32 conns"),
        ("R", "open 2500 req/s"),
        ("C", "64 conns"),
        ("r", "open 2000 req/s"),
        ("c", "32 conns"),
    ];
    let mut taken = Vec::new();
    for (key, needle) in presses {
        taken.push((key, needle, time_to_show(&tmux, key, needle)));
        std::thread::sleep(Duration::from_millis(700));
    }

    // With one stage and no pause the two clocks are the same figure, on
    // every screen, however far the target lags.
    let mut compared = 0;
    for _ in 0..10 {
        let screen = tmux.screen();
        let (stage, run) = clocks(&screen).unwrap_or_else(|| panic!("no clocks:\n{screen}"));
        assert_eq!(
            stage, run,
            "stage clock {stage} ≠ run clock {run}:\n{screen}"
        );
        compared += 1;
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(compared, 10);

    tmux.keys("q");
    let summary = tmux.wait_for("Run stopped");
    tmux.keys("q");
    let after = tmux.wait_for("EXIT=");
    assert!(after.contains("EXIT=130"), "{summary}\n{after}");
    let report = read_valid_report(&report);
    let events: Vec<&str> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["message"].as_str())
        .collect();
    for expected in [
        "connections set to 32",
        "rate set to 2500 req/s",
        "connections set to 64",
    ] {
        assert!(events.contains(&expected), "{expected}: {events:?}");
    }
    // The timings last, so a failure shows all of them.
    eprintln!("key → screen: {taken:?}");
    let slow = taken
        .iter()
        .filter(|(_, _, took)| *took > KEY_SHOWS_WITHIN)
        .count();
    assert_eq!(slow, 0, "over {KEY_SHOWS_WITHIN:?}: {taken:?}");
}

/// The embedded server the dashboard started: the `loadtop serve` process
/// whose working directory is the run's (each test runs in a directory of
/// its own).
fn embedded_target_in(dir: &std::path::Path) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .find_map(|entry| {
                let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
                let cwd = std::fs::read_link(entry.path().join("cwd")).ok()?;
                let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
                let serves = cmdline.split(|&b| b == 0).any(|arg| arg == b"serve");
                (cwd == dir && serves).then_some(pid)
            });
        if let Some(pid) = found {
            return pid;
        }
        assert!(Instant::now() < deadline, "no embedded target in {dir:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `renice -p` moves one thread on Linux, so every task of `pid` is moved.
fn renice_every_thread(pid: u32, nice: i32) {
    let tasks: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
        .map(|task| task.file_name().to_string_lossy().into_owned())
        .collect();
    let status = Command::new("renice")
        .args(["-n", &nice.to_string(), "-p"])
        .args(&tasks)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "renice {tasks:?}");
}
