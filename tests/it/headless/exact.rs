//! Runs bounded by a request count last from their first send to their last
//! response, not to the tick that noticed the end, and the header says the
//! time that was measured (a warmup apart).

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{assert_valid, loadtop, serve};

/// `10.86ms` / `1.50s` / `250us` as seconds.
fn parse_duration(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match unit {
        "us" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        _ => return None,
    };
    Some(number * scale)
}

/// `bench -n N -c 10 --json -`: the report, the header line and the
/// process's own wall time.
fn bench_count(url: &str, requests: u64, dir: &std::path::Path) -> (Value, String, Duration) {
    let began = Instant::now();
    let out = loadtop(
        &[
            "bench",
            url,
            "-n",
            &requests.to_string(),
            "-c",
            "10",
            "--json",
            "-",
        ],
        dir,
    );
    let wall = began.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid(&report);
    let header = stderr
        .lines()
        .find(|line| line.contains(" test @ "))
        .unwrap_or_else(|| panic!("no header in {stderr}"))
        .to_string();
    (report, header, wall)
}

#[test]
fn count_bounded_runs_measure_first_send_to_last_response() {
    let (_server, url) = serve();
    let url = format!("{url}/plaintext");
    let dir = tempfile::tempdir().unwrap();
    let mut durations = Vec::new();
    for requests in [100_u64, 1_000, 10_000] {
        let (report, header, wall) = bench_count(&url, requests, dir.path());
        let summary = &report["summary"];
        assert_eq!(summary["requests"].as_u64(), Some(requests));
        let duration = summary["duration_secs"].as_f64().unwrap();
        let rps = summary["rps"].as_f64().unwrap();
        assert!(
            duration > 0.0 && duration < wall.as_secs_f64(),
            "-n {requests}: {duration} s measured in a {wall:?} process"
        );
        assert!(
            (rps * duration - requests as f64).abs() <= requests as f64 * 1e-6,
            "-n {requests}: {rps} req/s over {duration} s"
        );
        // Each of the 10 connections sends one request after another, so
        // the span holds at least a tenth of all the service times.
        let service_mean = summary["service"]["mean_us"].as_f64().unwrap() / 1e6;
        assert!(
            duration >= 0.9 * service_mean * requests as f64 / 10.0,
            "-n {requests}: {duration} s is shorter than the exchanges it holds \
             (mean {service_mean} s)"
        );
        let said = header
            .split(" test @ ")
            .next()
            .and_then(parse_duration)
            .unwrap_or_else(|| panic!("no duration in {header:?}"));
        assert!(
            (said - duration).abs() <= duration * 0.01 + 1e-5,
            "header {header:?} vs measured {duration} s"
        );
        durations.push(duration);
    }
    // The end used to be noticed on a 250 ms tick: every count read 271 ms.
    assert!(
        durations[0] < 0.2,
        "100 requests on loopback took {} s",
        durations[0]
    );
    assert!(durations[0] < durations[2], "{durations:?}");
}

#[test]
fn the_header_counts_the_measured_time_and_names_the_warmup_apart() {
    let (_server, url) = serve();
    let dir = tempfile::tempdir().unwrap();
    let out = loadtop(
        &[
            "bench",
            &format!("{url}/plaintext"),
            "-c",
            "2",
            "-R",
            "100",
            "-d",
            "1s",
            "--warmup",
            "1s",
        ],
        dir.path(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let mut lines = stdout.lines();
    assert!(lines.next().unwrap().starts_with("1s test @ "), "{stdout}");
    assert_eq!(
        lines.next(),
        Some("  after a 1s warmup (not measured)"),
        "{stdout}"
    );
}
