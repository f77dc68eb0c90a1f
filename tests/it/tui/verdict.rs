//! The real binary under tmux on the default profile (`profiles/default.toml`,
//! the one `loadtop` runs with no arguments): during the `high` stage the
//! dashboard says in words that the pool is the bottleneck, and the final
//! per-stage table names it in its bottleneck column. `n` skips `low` and
//! `medium` so the test does not wait 30 s for them.

use std::process::Command;
use std::time::{Duration, Instant};

use super::e2e::{ProfileRun, run_profile};
use super::saturated::cpu_heavy;
use crate::headless::read_valid_report;

const DEFAULT_PROFILE: &str = include_str!("../../../profiles/default.toml");

#[test]
fn the_default_profile_shows_the_pool_verdict_live_and_in_the_stage_table() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("tmux is not installed; skipped");
        return;
    }
    // 5,000 req/s against the pool: not beside another CPU-heavy test.
    let _turn = cpu_heavy();
    let ProfileRun {
        tmux,
        report,
        dir: _dir,
    } = run_profile("loadtop-verdict", (120, 40), DEFAULT_PROFILE, "");
    tmux.wait_for("stage 1/3 low");
    tmux.keys("n");
    tmux.wait_for("stage 2/3 medium");
    tmux.keys("n");
    tmux.wait_for("stage 3/3 high");

    // The sentence of src/diagnosis (`Diagnosis::sentence`), once it held
    // two seconds: "pool-bound: 16/16 slots busy, 240 waiting, capacity ≈ …".
    let live = tmux.wait_for("diagnosis: pool-bound: 16/16 slots busy");
    assert!(live.contains("stage 3/3 high"), "{live}");
    let line = live
        .lines()
        .find(|l| l.contains("diagnosis: pool-bound"))
        .unwrap();
    assert!(line.contains(" waiting"), "{line}");

    // `high` runs to its end (15 s): its verdict is the one of most of its
    // seconds, and the run ends by itself. The live events already say
    // "bottleneck: …", so the table is known by its header row.
    let deadline = Instant::now() + Duration::from_secs(40);
    let (summary, header) = loop {
        let screen = tmux.screen();
        let header = screen
            .lines()
            .find(|l| l.contains("bottleneck") && l.contains("verdict") && l.contains("p99.9"))
            .map(str::to_string);
        if let Some(header) = header {
            break (screen, header);
        }
        assert!(Instant::now() < deadline, "no stage table:\n{screen}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let high = summary
        .lines()
        .find(|l| l.contains("│high "))
        .unwrap_or_else(|| panic!("no high row:\n{summary}"));
    // The cell sits under its header (in characters: the rows hold `│`
    // and may hold `µ`).
    let column = header[..header.find("bottleneck").unwrap()].chars().count();
    let cell: String = high.chars().skip(column).take(4).collect();
    assert_eq!(cell, "pool", "{header}\n{high}");
    eprintln!("{line}\n{header}\n{high}");
    assert!(summary.contains("low (cut)"), "{summary}");
    assert!(summary.contains("medium (cut)"), "{summary}");
    tmux.keys("q");
    tmux.wait_for("EXIT=");

    let report = read_valid_report(&report);
    let high = report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "high")
        .unwrap();
    assert_eq!(high["diagnosis"]["bottleneck"], "pool", "{high}");
}
