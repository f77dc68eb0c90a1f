//! `loadtop bench`: exact counts, the wrk-like summary, `--pid`.

use serde_json::Value;

use super::{assert_valid, loadtop, serve};

/// Runs `loadtop ARGS --json -`, expects exit 0, and returns the
/// schema-checked report and stderr.
fn bench_json(args: &[&str], dir: &std::path::Path) -> (Value, String) {
    let args: Vec<&str> = args.iter().copied().chain(["--json", "-"]).collect();
    let out = loadtop(&args, dir);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid(&report);
    (report, stderr)
}

#[test]
fn bench_counts_exactly_the_requests_asked_for_and_prints_json() {
    let (_server, url) = serve();
    let dir = tempfile::tempdir().unwrap();
    let (report, stderr) = bench_json(
        &["bench", &format!("{url}/plaintext"), "-c", "4", "-n", "300"],
        dir.path(),
    );
    assert_eq!(report["summary"]["requests"], 300);
    assert_eq!(report["summary"]["status_codes"][0]["code"], 200);
    assert_eq!(report["plan"]["latency_corrected"], false);
    assert_eq!(report["plan"]["kind"], "bench");
    assert!(stderr.contains("Requests/sec"));
    // The closed model has no schedule, so no send lag; the phases are there.
    let summary = &report["summary"];
    assert_eq!(summary["send_lag"]["count"], 0);
    assert_eq!(summary["connect"]["count"], summary["connects"]);
    assert_eq!(summary["ttfb"]["count"], 300);
}

#[test]
fn bench_open_model_reports_send_lag_connect_and_first_byte_times() {
    let (_server, url) = serve();
    let dir = tempfile::tempdir().unwrap();
    let (report, stderr) = bench_json(
        &[
            "bench",
            &format!("{url}/plaintext"),
            "-c",
            "2",
            "-R",
            "200",
            "-d",
            "1s",
        ],
        dir.path(),
    );
    let summary = &report["summary"];
    let requests = summary["requests"].as_u64().unwrap();
    assert!(requests >= 100, "{requests} requests");
    assert_eq!(summary["send_lag"]["count"], requests);
    assert_eq!(
        report["stages"][0]["summary"]["send_lag"]["count"],
        requests
    );
    // Loose, for a loaded machine (see load::phases); figures come from
    // scripts/bench-pacer.sh.
    let lag_p50 = summary["send_lag"]["p50_us"].as_u64().unwrap();
    assert!(lag_p50 < 5_000, "send lag p50 {lag_p50} µs");
    assert_eq!(summary["connect"]["count"], summary["connects"]);
    assert!(summary["connect"]["max_us"].as_u64().unwrap() > 0);
    assert_eq!(summary["ttfb"]["count"], requests);
    let ttfb = summary["ttfb"]["p50_us"].as_u64().unwrap();
    assert!(ttfb <= summary["service"]["p50_us"].as_u64().unwrap() + 1);
    assert!(stderr.contains("Send lag"), "{stderr}");
    assert!(stderr.contains("TTFB"), "{stderr}");
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
    // Closed model: no send lag, so no second spectrum.
    assert!(!stdout.contains("Send lag percentile"), "{stdout}");
}

#[test]
fn an_open_model_latency_spectrum_is_followed_by_the_send_lag_spectrum() {
    let (_server, url) = serve();
    let dir = tempfile::tempdir().unwrap();
    let out = loadtop(
        &[
            "bench",
            &format!("{url}/plaintext"),
            "-c",
            "2",
            "-R",
            "200",
            "-d",
            "1s",
            "--latency",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let (latency, lag) = stdout
        .split_once("Send lag percentile spectrum")
        .unwrap_or_else(|| panic!("no send lag spectrum: {stdout}"));
    assert!(latency.contains("#[Mean"), "{stdout}");
    assert!(lag.contains("Percentile"), "{stdout}");
    // About 200 sends in one second, every one of them in the spectrum.
    let total: u64 = lag
        .lines()
        .find(|l| l.starts_with("#[Max"))
        .and_then(|l| l.split("Total count").nth(1))
        .map(|rest| rest.trim_matches(|c: char| c == '=' || c == ']' || c.is_whitespace()))
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("no total count in {lag}"));
    assert!((150..=260).contains(&total), "{total} sends in {lag}");
}

#[test]
fn bench_with_pid_reports_the_target_process_resources() {
    let (server, url) = serve();
    let dir = tempfile::tempdir().unwrap();
    let pid = server.0.id().to_string();
    let (report, _) = bench_json(
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
        ],
        dir.path(),
    );
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

fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text
}

#[test]
fn metrics_addr_serves_live_prometheus_text_during_the_run() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let (_server, url) = serve();
    let mut child = Command::new(crate::support::loadtop_bin())
        .args([
            "bench",
            &format!("{url}/plaintext"),
            "-c",
            "2",
            "-R",
            "200",
            "-d",
            "4s",
            "--headless",
        ])
        .args(["--metrics-addr", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("loadtop: metrics at http://")
        .and_then(|rest| rest.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("no metrics line: {line:?}"))
        .to_string();
    std::thread::sleep(std::time::Duration::from_millis(2000));
    let page = http_get(&addr, "/metrics");
    let not_found = http_get(&addr, "/other");
    let _ = child.kill();
    let _ = child.wait();
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    let responses: u64 = page
        .lines()
        .find_map(|l| l.strip_prefix("loadtop_responses_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{page}"));
    assert!(responses > 50, "{page}");
    assert!(
        page.contains("loadtop_latency_seconds{quantile=\"0.99\"}"),
        "{page}"
    );
    assert!(page.contains("loadtop_target_rate_rps 200"), "{page}");
    assert!(not_found.starts_with("HTTP/1.1 404"), "{not_found}");
}

#[test]
fn a_busy_metrics_address_is_a_setup_error() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = holder.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve();
    let out = loadtop(
        &["bench", &url, "-d", "1s", "--metrics-addr", &addr],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot serve metrics"), "{stderr}");
}
