//! The database as a monitored component of a run: a profile with
//! `[server] database = "embedded"` against the system's real PostgreSQL
//! (never a mock), whose report carries the database's figures; a database
//! killed during a run, which the run records while the server keeps
//! serving; and the monitor summing a real cluster's processes. Like
//! `database.rs`, these fail, never skip, when PostgreSQL cannot start.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use loadtop::monitor::{Monitor, MonitorConfig};
use serde_json::Value;

use crate::headless::read_valid_report;
use crate::support::loadtop_bin;

/// initdb and seeding on a loaded 2-core machine, plus the run itself.
const RUN_LIMIT: Duration = Duration::from_secs(240);

fn write_profile(dir: &Path, route: &str, stage_secs: u64, rate: u32) -> std::path::PathBuf {
    let path = dir.join("db.toml");
    let text = format!(
        r#"name = "db-run"

[target]
route = "{route}"

[server]
database = "embedded"
db_users = 200
db_orders = 2000

[load]
model = "open"
threads = 1
connections = 8

[[stages]]
name = "only"
duration = "{stage_secs}s"
rate = {rate}
"#
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Starts `loadtop run PROFILE --headless --json REPORT`; `during` is given
/// the run's pid while it runs; the run is bounded by [`RUN_LIMIT`].
pub(crate) fn run_profile(dir: &Path, profile: &Path, during: impl FnOnce(u32)) -> (Output, Value) {
    let report_path = dir.join("report.json");
    let child = Command::new(loadtop_bin())
        .args(["run", profile.to_str().unwrap(), "--headless", "--json"])
        .arg(&report_path)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    during(child.id());
    let out = crate::support::finish(child, RUN_LIMIT);
    assert!(
        out.status.success(),
        "run failed ({:?}): is PostgreSQL installed (apt-get install postgresql)?\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    (out, read_valid_report(&report_path))
}

/// `(command name, parent pid)` of every process.
fn process_table() -> HashMap<u32, (String, u32)> {
    let mut table = HashMap::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let ppid = stat[close + 1..]
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        table.insert(pid, (stat[open + 1..close].to_string(), ppid));
    }
    table
}

/// The postmaster started somewhere below `root`: a `postgres` process
/// whose parent is not one and which has `postgres` children (initdb's
/// single-user `postgres` has none).
fn postmaster_below(root: u32) -> Option<u32> {
    let table = process_table();
    let descends = |mut pid: u32| {
        for _ in 0..8 {
            match table.get(&pid) {
                Some((_, parent)) if *parent == root => return true,
                Some((_, parent)) => pid = *parent,
                None => return false,
            }
        }
        false
    };
    table.iter().find_map(|(pid, (name, parent))| {
        let parent_is_postgres = table.get(parent).is_some_and(|(n, _)| n == "postgres");
        let has_children = table
            .values()
            .any(|(n, p)| p == pid && n.starts_with("postgres"));
        (name == "postgres" && !parent_is_postgres && has_children && descends(*pid))
            .then_some(*pid)
    })
}

fn wait_for_postmaster(root: u32) -> u32 {
    let deadline = Instant::now() + RUN_LIMIT;
    loop {
        if let Some(pid) = postmaster_below(root) {
            return pid;
        }
        assert!(
            Instant::now() < deadline,
            "no postmaster below the run within {RUN_LIMIT:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// How many responses had `code`, from a `status_codes` array.
fn count_of(codes: Value, code: u64) -> u64 {
    codes
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code)
        .map_or(0, |c| c["count"].as_u64().unwrap())
}

#[test]
fn a_profile_run_with_an_embedded_database_reports_the_database_figures() {
    let dir = tempfile::tempdir().unwrap();
    let profile = write_profile(dir.path(), "/db/orders?user_id=7&status=pending", 6, 40);
    let (out, report) = run_profile(dir.path(), &profile, |_| {});
    let resources = &report["stages"][0]["resources"];
    let cpu_mean = resources["database_cpu_mean"].as_f64();
    let cpu_max = resources["database_cpu_max"].as_f64();
    let pss_peak = resources["database_rss_peak"].as_u64();
    assert!(
        cpu_mean.is_some() && cpu_max.is_some() && pss_peak.is_some(),
        "no database figures in {resources}"
    );
    assert!(cpu_max.unwrap() >= cpu_mean.unwrap(), "{resources}");
    // Scanning 2,000 orders 40 times a second costs the backends something.
    assert!(cpu_max.unwrap() > 0.0, "{resources}");
    // A postmaster and its helpers hold megabytes, shared buffers included once.
    assert!(pss_peak.unwrap() > 1 << 20, "{resources}");
    assert!(count_of(report["stages"][0]["summary"]["status_codes"].clone(), 200) > 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("db cpu"),
        "no db column in the stage table:\n{text}"
    );
}

#[test]
fn a_database_killed_during_a_run_is_an_event_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let profile = write_profile(dir.path(), "/plaintext", 14, 50);
    let mut killed_at = None;
    let (_, report) = run_profile(dir.path(), &profile, |run| {
        let postmaster = wait_for_postmaster(run);
        // The run must have seen the database up before it goes down: the
        // load starts after seeding, and the server looks once a second.
        std::thread::sleep(Duration::from_secs(6));
        let status = Command::new("kill")
            .args(["-KILL", &postmaster.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        killed_at = Some(Instant::now());
    });
    assert!(killed_at.is_some());
    assert_eq!(
        report["outcome"], "completed",
        "{}",
        report["outcome_detail"]
    );
    let events = report["events"].as_array().unwrap();
    let down = events
        .iter()
        .find(|e| {
            e["message"]
                .as_str()
                .unwrap_or("")
                .starts_with("database down")
        })
        .unwrap_or_else(|| panic!("no database-down event in {events:#?}"));
    assert_eq!(down["kind"], "target");
    let down_at = down["at_secs"].as_f64().unwrap();
    // `/plaintext` never needed the database: every second after the
    // outage still has answers, and none of them failed.
    let codes = &report["stages"][0]["summary"]["status_codes"];
    assert_eq!(codes.as_array().unwrap().len(), 1, "{codes}");
    assert!(count_of(codes.clone(), 200) > 0, "{codes}");
    let after: Vec<&Value> = report["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["second"].as_f64().unwrap() > down_at + 1.0)
        .collect();
    assert!(
        !after.is_empty(),
        "no second after the outage at {down_at}s"
    );
    assert!(
        after
            .iter()
            .all(|p| p["rps"].as_f64().unwrap() > 0.0 && p["errors"] == 0),
        "{after:#?}"
    );
}

#[test]
fn the_monitor_sums_a_real_clusters_processes() {
    let dir = tempfile::tempdir().unwrap();
    let profile = write_profile(dir.path(), "/db/orders?user_id=3&status=pending", 8, 40);
    let mut seen = Vec::new();
    run_profile(dir.path(), &profile, |run| {
        let postmaster = wait_for_postmaster(run);
        let monitor = Monitor::spawn(MonitorConfig {
            interval: Duration::from_millis(500),
            target_pid: None,
            target_port: None,
        })
        .unwrap();
        monitor.database_watch().set_database_pid(Some(postmaster));
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline
            && !seen
                .iter()
                .any(|d: &loadtop::monitor::DatabaseSample| d.cpu_percent > 0.0)
        {
            let sample = monitor
                .samples()
                .recv_timeout(Duration::from_secs(10))
                .unwrap();
            seen.extend(sample.database);
        }
    });
    let busiest = seen
        .iter()
        .max_by(|a, b| a.cpu_percent.total_cmp(&b.cpu_percent))
        .unwrap_or_else(|| panic!("no database sample"));
    // postmaster, checkpointer, background writer, walwriter, autovacuum
    // launcher, logical replication launcher, and the pool's backends.
    assert!(busiest.processes >= 4, "{busiest:?}");
    assert!(busiest.cpu_percent > 0.0, "{seen:#?}");
    assert!(busiest.pss_bytes > 1 << 20, "{busiest:?}");
    assert!(busiest.read_bytes_per_sec.is_some(), "{busiest:?}");
}
