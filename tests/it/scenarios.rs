//! The ready-made bottleneck scenarios in `profiles/`: each runs headless
//! through the real binary at a shortened duration, and the test checks the
//! *shape* its page in docs/scenarios/ describes with the measurements in its
//! JSON report (ratios and orderings the scenario itself induces, never raw
//! speed). Plus the one server knob the scenarios added, `pool_cpu_work`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use loadtop::server::admin_client::AdminClient;
use loadtop::server::child::ChildServer;
use loadtop::server::knobs::KnobPatch;
use serde_json::Value;

use crate::headless::read_valid_report;
use crate::server::get;
use crate::support::loadtop_bin;

fn profile(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("profiles")
        .join(format!("{name}.toml"))
}

/// Runs `loadtop run profiles/NAME.toml --headless --scale-time SCALE --json`
/// in a tempdir, bounded to 90 s; returns the exit output and the report.
fn run_scenario(name: &str, scale: f64) -> (Output, Value) {
    let dir = tempfile::tempdir().unwrap();
    let report_path = dir.path().join("report.json");
    let mut child = Command::new(loadtop_bin())
        .args([
            "run",
            profile(name).to_str().unwrap(),
            "--headless",
            "--scale-time",
            &scale.to_string(),
            "--json",
            report_path.to_str().unwrap(),
        ])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("scenario {name} did not finish in 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let report = read_valid_report(&report_path);
    (out, report)
}

fn explain(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The measured stage called `name`.
fn stage<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no stage {name} in the report"))
}

fn micros(stage: &Value, histogram: &str, field: &str) -> u64 {
    stage["summary"][histogram][field]
        .as_u64()
        .unwrap_or_else(|| panic!("{histogram}.{field} of {}", stage["name"]))
}

fn status_count(stage: &Value, code: u64) -> u64 {
    stage["summary"]["status_codes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["code"] == code)
        .map(|s| s["count"].as_u64().unwrap())
        .sum()
}

/// The per-second timeline, for failure messages: a shape that fails on a
/// busy machine should say which second went wrong.
fn timeline(report: &Value) -> String {
    report["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            format!(
                "{} {} {:.0}/s p99 {}us\n",
                t["second"],
                t["stage"],
                t["rps"].as_f64().unwrap_or(0.0),
                t["p99_us"]
            )
        })
        .collect()
}

/// Responses with status 200 per second of the stage.
fn ok_per_second(stage: &Value) -> f64 {
    status_count(stage, 200) as f64 / stage["summary"]["duration_secs"].as_f64().unwrap()
}

#[test]
fn pool_exhaustion_explodes_p99_and_both_fixes_bound_it() {
    let (out, report) = run_scenario("pool-exhaustion", 0.2);
    assert_eq!(report["outcome"], "completed", "{}", explain(&out));
    let p99 = |name| micros(stage(&report, name), "latency", "p99_us");
    let (low, high, shedding) = (p99("low"), p99("high"), p99("shedding"));
    let figures = format!(
        "p99 µs: low {low}, high {high}, shedding {shedding}\n{}",
        timeline(&report)
    );
    // 2,000 req/s against ~1,250 req/s of pool: the queue grows all stage.
    assert!(high >= 5 * low, "{figures}");
    assert!(high >= 50_000, "{figures}");
    // Shedding caps the queue at max_inflight - pool_size waiters: p99
    // returns to the order of the hold time, and the excess is refused.
    assert!(shedding * 4 < high, "{figures}");
    let (shed, bigger) = (stage(&report, "shedding"), stage(&report, "bigger-pool"));
    assert!(status_count(shed, 503) > 0, "no 503 while shedding: {shed}");
    assert_eq!(status_count(stage(&report, "high"), 503), 0);
    // Shedding serves what the 8 slots can; 24 slots serve the whole rate.
    let (shed_ok, bigger_ok) = (ok_per_second(shed), ok_per_second(bigger));
    assert!(
        bigger_ok > 1.2 * shed_ok,
        "200/s: shedding {shed_ok}, bigger pool {bigger_ok}\n{figures}"
    );
}

/// The p99 (µs) of request `name` in a stage of a mix.
fn request_p99(stage: &Value, name: &str) -> u64 {
    stage["requests"]
        .as_array()
        .unwrap_or_else(|| panic!("no per-request figures in {}", stage["name"]))
        .iter()
        .find(|r| r["name"] == name)
        .and_then(|r| r["summary"]["latency"]["p99_us"].as_u64())
        .unwrap_or_else(|| panic!("no {name} in {}", stage["name"]))
}

#[test]
fn slow_endpoint_drags_the_fast_request_down_until_the_pool_grows() {
    let (out, report) = run_scenario("slow-endpoint", 0.3);
    assert_eq!(report["outcome"], "completed", "{}", explain(&out));
    let user = |name| request_p99(stage(&report, name), "GET /user");
    let (low, high, bigger) = (user("low"), user("high"), user("bigger-pool"));
    let slow_low = request_p99(stage(&report, "low"), "GET /report");
    let figures = format!(
        "GET /user p99 µs: low {low}, high {high}, bigger-pool {bigger}; GET /report low {slow_low}\n{}",
        timeline(&report)
    );
    // The slow query holds its slot 250 ms; the fast one 5 ms.
    assert!(slow_low >= 250_000, "{figures}");
    assert!(low < slow_low, "{figures}");
    // Past the pool's capacity the fast request waits behind the slow ones.
    assert!(high >= 5 * low, "{figures}");
    assert!(bigger * 5 <= high, "{figures}");
    // The mix held its 19:1 weights.
    let requests = report["requests"].as_array().unwrap();
    let count = |i: usize| requests[i]["summary"]["requests"].as_u64().unwrap() as f64;
    let share = count(1) / (count(0) + count(1));
    assert!(
        (share - 0.05).abs() <= 0.03 * 0.05 + 0.005,
        "report share {share}"
    );
}

#[test]
fn coordinated_omission_shows_the_stall_only_when_corrected() {
    const STALL_US: u64 = 200_000;
    let (out, report) = run_scenario("coordinated-omission", 0.3);
    assert_eq!(report["outcome"], "completed", "{}", explain(&out));
    let open = stage(&report, "open-2conns");
    let corrected = micros(open, "latency", "p99_us");
    let service = micros(open, "service", "p99_us");
    // 7-13% of the requests fall due during a stall (one or two per
    // stage) and each waits from its due time to the stall's end, evenly
    // spread over 0..stall: p99 lands at 0.85-0.92x the stall (measured
    // ~170 ms), never above it. Only the max reaches the stall itself.
    assert!(
        corrected >= STALL_US * 7 / 10,
        "corrected {corrected} service {service}"
    );
    assert!(micros(open, "latency", "max_us") >= STALL_US * 9 / 10);
    // Only the two requests in flight saw it from their actual send.
    assert!(
        service < STALL_US / 2,
        "corrected {corrected} service {service}"
    );
    assert!(
        corrected >= 4 * service,
        "corrected {corrected} service {service}"
    );
    assert!(
        open["summary"]["late_sends"].as_u64().unwrap() > 0,
        "{open}"
    );
    // With enough connections the requests leave on time and wait at the
    // server, so even the service time sees the stall.
    let open_wide = stage(&report, "open-64conns");
    assert!(micros(open_wide, "service", "p99_us") >= STALL_US / 2);
    // The closed model waited too (max) but its percentiles hide it.
    let closed = stage(&report, "closed-2conns");
    assert_eq!(closed["latency_corrected"], false);
    assert!(micros(closed, "latency", "max_us") >= STALL_US * 9 / 10);
    assert!(
        micros(closed, "latency", "p99_us") < STALL_US / 2,
        "{closed}"
    );
}

#[test]
fn thread_pool_sweep_runs_one_stage_per_pool_size_and_shows_the_knee() {
    let (out, report) = run_scenario("thread-pool-sizing", 0.15);
    assert_eq!(report["outcome"], "completed", "{}", explain(&out));
    let measured: Vec<&Value> = report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["measured"] == true)
        .collect();
    let names: Vec<&str> = measured
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "pool_size=16",
            "pool_size=12",
            "pool_size=8",
            "pool_size=7",
            "pool_size=6",
            "pool_size=4",
            "pool_size=2"
        ]
    );
    assert!(
        measured
            .iter()
            .all(|s| s["summary"]["requests"].as_u64() > Some(0))
    );
    // Two slots carry ~2 / 23 ms = 87 req/s of the 300 asked: a queue; 16
    // slots carry ~700: none.
    let wide = micros(stage(&report, "pool_size=16"), "latency", "p99_us");
    let starved = micros(stage(&report, "pool_size=2"), "latency", "p99_us");
    assert!(
        starved >= 3 * wide,
        "p99 µs: 16 slots {wide}, 2 slots {starved}"
    );
    let plan_knobs = &report["plan"]["knobs"];
    assert!(
        plan_knobs.to_string().contains("pool_cpu_work"),
        "{plan_knobs}"
    );
}

/// Peak per-second target CPU (percent of one core) over some stages: a
/// burst of other work on a shared machine drags a stage's mean down, but
/// rarely every second of it.
fn target_cpu_peak(report: &Value, names: &[&str]) -> f64 {
    names
        .iter()
        .map(|name| {
            let resources = &stage(report, name)["resources"];
            assert!(
                resources["target_samples"].as_u64() > Some(0),
                "{resources}"
            );
            resources["target_cpu_max"].as_f64().unwrap()
        })
        .fold(0.0, f64::max)
}

#[test]
fn cpu_saturation_uses_more_target_cpu_with_two_workers() {
    // A second worker can only use a second core that other work leaves
    // free; on a shared 2-core machine a build (or a neighbouring test) can
    // take it for a whole stage. So the comparison gets up to three short
    // runs; the one-worker ceiling must hold in every run. With the worker
    // limit broken, both stages would sit at one core and no run passes.
    let mut runs = Vec::new();
    for _ in 0..3 {
        let (out, report) = run_scenario("cpu-saturation", 0.2);
        assert_eq!(report["outcome"], "completed", "{}", explain(&out));
        let light = target_cpu_peak(&report, &["1w-100"]);
        let one = target_cpu_peak(&report, &["1w-450", "1w-600"]);
        let two = target_cpu_peak(&report, &["2w-600", "2w-900"]);
        let figures = format!("target CPU % peaks: light {light}, 1 worker {one}, 2 workers {two}");
        // One worker computes one request at a time: about a core at most.
        assert!(one < 140.0, "{figures}");
        assert!(light < one, "{figures}");
        if two > 1.15 * one {
            return;
        }
        runs.push(figures);
    }
    panic!("two workers never used 15% more CPU than one: {runs:#?}");
}

#[test]
fn smoke_passes_its_thresholds() {
    let (out, report) = run_scenario("smoke", 0.2);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert_eq!(report["passed"], true);
    let thresholds = report["thresholds"].as_array().unwrap();
    assert_eq!(thresholds.len(), 6, "{thresholds:?}");
    assert!(thresholds.iter().all(|t| t["passed"] == true));
}

/// User plus system CPU time of a process, in clock ticks (/proc/PID/stat).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of stat(5); the slice starts at field 3.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn pool_cpu_work_spends_cpu_inside_each_pool_request() {
    let server = ChildServer::spawn(
        &loadtop_bin(),
        &[
            "--threads".into(),
            "1".into(),
            "--knobs".into(),
            r#"{"pool_size":1,"hold_ms":0}"#.into(),
        ],
    )
    .unwrap();
    let admin = AdminClient::new(server.addr(), server.token());
    let spend = |rounds: u64| {
        admin
            .patch_knobs(&KnobPatch {
                pool_cpu_work: Some(rounds),
                ..KnobPatch::default()
            })
            .unwrap();
        let before = cpu_ticks(server.pid());
        for _ in 0..3 {
            assert_eq!(get(server.addr(), "/pool").status, 200);
        }
        cpu_ticks(server.pid()) - before
    };
    let idle = spend(0);
    let busy = spend(10_000_000);
    // 30 million SHA-256 compressions cost well over a second of CPU on
    // common hardware; 15 ticks (150 ms at 100 Hz) is a floor no machine
    // beats, while three plain requests cost about nothing.
    assert!(busy >= idle + 15, "CPU ticks: without {idle}, with {busy}");
    assert_eq!(admin.stats().unwrap().pool.in_use, 0);
}
