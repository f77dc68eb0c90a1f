//! `loadtop bench`: exact counts, the wrk-like summary, `--pid`.

use serde_json::Value;

use super::{assert_valid, loadtop, serve};

#[test]
fn bench_counts_exactly_the_requests_asked_for_and_prints_json() {
    let (_server, url) = serve();
    let dir = tempfile::tempdir().unwrap();
    let out = loadtop(
        &[
            "bench",
            &format!("{url}/plaintext"),
            "-c",
            "4",
            "-n",
            "300",
            "--json",
            "-",
        ],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid(&report);
    assert_eq!(report["summary"]["requests"], 300);
    assert_eq!(report["summary"]["status_codes"][0]["code"], 200);
    assert_eq!(report["plan"]["latency_corrected"], false);
    assert!(String::from_utf8_lossy(&out.stderr).contains("Requests/sec"));
}

#[test]
fn bench_prints_a_wrk_like_summary_and_the_latency_spectrum() {
    let (_server, url) = serve();
    let dir = tempfile::tempdir().unwrap();
    let out = loadtop(
        &[
            "bench",
            &format!("{url}/json"),
            "-c",
            "2",
            "-d",
            "1s",
            "--latency",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("2 connections"), "{stdout}");
    assert!(stdout.contains("Requests/sec"), "{stdout}");
    assert!(stdout.contains("Percentile"), "{stdout}");
    assert!(stdout.contains("#[Mean"), "{stdout}");
}

#[test]
fn bench_with_pid_reports_the_target_process_resources() {
    let (server, url) = serve();
    let dir = tempfile::tempdir().unwrap();
    let pid = server.0.id().to_string();
    let out = loadtop(
        &[
            "bench",
            &format!("{url}/plaintext"),
            "-c",
            "2",
            "-d",
            "2s",
            "--pid",
            &pid,
            "--sample-interval",
            "500ms",
            "--json",
            "-",
        ],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid(&report);
    let resources = &report["stages"][0]["resources"];
    assert!(
        resources["target_rss_peak"].as_u64().unwrap_or(0) > 0,
        "{resources}"
    );
    let timeline = report["timeline"].as_array().unwrap();
    assert!(
        timeline
            .iter()
            .any(|p| p["rss_target"].as_u64().unwrap_or(0) > 0),
        "{timeline:?}"
    );
}
