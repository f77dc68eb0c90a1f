//! An external target's pool, read from its own Prometheus page: `loadtop
//! serve` started by the test stands in for a Java or Go service, and the
//! run reaches it only by URL, `pid` and `metrics_url` (the OTel names it
//! exports), never through its admin API.

use super::{read_valid_report, run_profile};
use crate::support::serve_with;

#[test]
fn an_exhausted_pool_read_from_metrics_url_is_the_pool() {
    // 2 slots held 20 ms: about 100 req/s, asked for 800.
    let (server, url) = serve_with(&[
        "--knobs",
        r#"{"pool_size":2,"hold_ms":20,"acquire_timeout_ms":20000}"#,
    ]);
    let pid = server.0.id();
    let profile = format!(
        r#"
name = "external-pool"

[target]
url = "{url}/pool"
pid = {pid}
metrics_url = "{url}/metrics"

[load]
threads = 1
model = "open"
connections = 16
timeout = "30s"

[[stages]]
name = "only"
duration = "6s"
rate = 800
"#
    );
    let dir = tempfile::tempdir().unwrap();
    let (out, path) = run_profile(dir.path(), "external.toml", &profile, "report.json");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = read_valid_report(&path);
    let diagnosis = &report["stages"][0]["diagnosis"];
    let evidence: Vec<&str> = diagnosis["evidence"]
        .as_array()
        .unwrap_or_else(|| panic!("no diagnosis: {diagnosis}"))
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert_eq!(diagnosis["bottleneck"], "pool", "{evidence:?}");
    assert_eq!(
        evidence[0], "pool \"loadtop.pool\" (metrics_url): 2/2 used",
        "{evidence:?}"
    );
    let waiting: u64 = evidence[1]
        .strip_suffix(" waiting")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no waiting count in {evidence:?}"));
    assert!(waiting > 0, "{evidence:?}");
    assert!(
        evidence
            .iter()
            .any(|e| e.starts_with("capacity ≈ 2 / ") && e.ends_with("< 800 offered")),
        "{evidence:?}"
    );
    let advice = diagnosis["advice"].as_str().unwrap();
    assert!(advice.contains("maximumPoolSize"), "{advice}");
}

#[test]
fn an_unreachable_metrics_url_is_said_once_and_the_run_goes_on() {
    let (server, url) = serve_with(&[]);
    // A port nobody listens on: bound, then closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let profile = format!(
        r#"
[target]
url = "{url}/plaintext"
pid = {pid}
metrics_url = "http://{closed}/metrics"

[load]
threads = 1
model = "open"
connections = 2

[[stages]]
name = "only"
duration = "3s"
rate = 50
"#,
        pid = server.0.id()
    );
    let dir = tempfile::tempdir().unwrap();
    let (out, path) = run_profile(dir.path(), "unreachable.toml", &profile, "report.json");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = read_valid_report(&path);
    let said: Vec<&str> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["message"].as_str())
        .filter(|m| m.starts_with("metrics_url"))
        .collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].starts_with("metrics_url unreachable: "), "{said:?}");
}
