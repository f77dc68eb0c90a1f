//! The generator over HTTPS and HTTP/2 against the embedded server's own
//! TLS and h2 listener, through the real binary: every request is counted
//! on both sides, the report says which protocol ran, and an untrusted
//! certificate stops the run before any load with a line naming the host.

use loadtop::server::ServerConfig;
use loadtop::server::tls::TlsSource;
use serde_json::Value;

use super::{assert_valid, loadtop};
use crate::server::InProc;

fn tls_server() -> InProc {
    InProc::start(ServerConfig {
        tls: Some(TlsSource::SelfSigned),
        ..ServerConfig::default()
    })
}

/// Runs `loadtop bench ARGS --json -`; returns the exit code, the report
/// (when there is one) and stderr.
fn bench(args: &[&str], dir: &std::path::Path) -> (Option<i32>, Option<Value>, String) {
    let args: Vec<&str> = ["bench"]
        .into_iter()
        .chain(args.iter().copied())
        .chain(["--json", "-"])
        .collect();
    let out = loadtop(&args, dir);
    let report = serde_json::from_slice::<Value>(&out.stdout).ok();
    if let Some(report) = &report {
        assert_valid(report);
    }
    (
        out.status.code(),
        report,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn https_and_http2_runs_count_every_request() {
    let server = tls_server();
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    std::fs::write(&cert, server.running().certificate_pem().unwrap()).unwrap();
    let url = format!("https://127.0.0.1:{}/plaintext", server.addr().port());
    let cacert = cert.to_str().unwrap();

    let (code, report, stderr) = bench(
        &[&url, "--cacert", cacert, "-c", "4", "-n", "400"],
        dir.path(),
    );
    assert_eq!(code, Some(0), "{stderr}");
    let report = report.unwrap();
    assert_eq!(report["summary"]["requests"], 400, "{stderr}");
    assert_eq!(report["plan"]["protocol"], "HTTP/1.1");
    assert_eq!(report["plan"]["tls"], true);

    let (code, report, stderr) = bench(
        &[
            &url,
            "--cacert",
            cacert,
            "--http2",
            "--h2-streams",
            "8",
            "-c",
            "2",
            "-n",
            "600",
        ],
        dir.path(),
    );
    assert_eq!(code, Some(0), "{stderr}");
    let report = report.unwrap();
    assert_eq!(report["summary"]["requests"], 600, "{stderr}");
    assert_eq!(report["plan"]["protocol"], "HTTP/2");
    // Two connections carried all 600 requests.
    assert_eq!(report["summary"]["connects"], 2, "{}", report["summary"]);

    let stats = server.running().stats();
    assert_eq!(stats.per_route["plaintext"], 1_000);
}

#[test]
fn h2c_prior_knowledge_counts_every_request() {
    let server = InProc::with_defaults();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{}/json", server.addr());
    let (code, report, stderr) = bench(
        &[&url, "--http2", "--h2-streams", "4", "-c", "2", "-n", "300"],
        dir.path(),
    );
    assert_eq!(code, Some(0), "{stderr}");
    let report = report.unwrap();
    assert_eq!(report["summary"]["requests"], 300);
    assert_eq!(report["plan"]["protocol"], "HTTP/2");
    assert_eq!(report["plan"]["tls"], false);
    assert_eq!(server.running().stats().per_route["json"], 300);
}

#[test]
fn an_untrusted_certificate_stops_the_run_with_the_host_named() {
    let server = tls_server();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("https://127.0.0.1:{}/plaintext", server.addr().port());
    let (code, _, stderr) = bench(&[&url, "-n", "10"], dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("127.0.0.1"), "{stderr}");
    assert!(stderr.contains("--cacert"), "{stderr}");
    assert_eq!(server.running().stats().requests_total, 0);

    // --insecure is asked for explicitly, and then the run goes ahead.
    let (code, report, stderr) = bench(&[&url, "--insecure", "-c", "2", "-n", "50"], dir.path());
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(report.unwrap()["summary"]["requests"], 50);
}
