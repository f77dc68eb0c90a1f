//! `loadtop serve --tls`: HTTPS over HTTP/1.1 and h2 (ALPN) counted exactly,
//! certificate trust (generated, stale, user-provided), bad TLS files and
//! flags, the https ready line, and handshakes bounded in time.

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use loadtop::server::ServerConfig;
use loadtop::server::child::ChildServer;
use loadtop::server::tls::TlsSource;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::http_client::{
    REQUESTS, TOKEN, block_on, client_config, connect_tls, h2_plaintexts, http1_plaintexts,
};
use super::{InProc, TIMEOUT};
use crate::support::{loadtop_bin, run_loadtop, serve_with};

#[test]
fn https_over_http1_and_h2_answers_and_counts_every_request() {
    let dir = tempfile::tempdir().unwrap();
    let cert_path = dir.path().join("cert.pem");
    let (_server, url) = serve_with(&[
        "--tls",
        "--tls-cert-out",
        cert_path.to_str().unwrap(),
        "--admin-token",
        TOKEN,
        "--header-read-timeout",
        "30s",
    ]);
    let addr: SocketAddr = url
        .strip_prefix("https://")
        .unwrap_or_else(|| panic!("not an https ready line: {url}"))
        .parse()
        .unwrap();
    let cert_pem = std::fs::read_to_string(&cert_path).unwrap();
    assert!(
        cert_pem.starts_with("-----BEGIN CERTIFICATE-----\n"),
        "{cert_pem}"
    );

    let h2_failures = block_on(async {
        let tls = connect_tls(addr, client_config(&cert_pem, b"h2"))
            .await
            .unwrap();
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        h2_plaintexts(tls, &url, REQUESTS).await
    });
    assert!(h2_failures.is_empty(), "{h2_failures:?}");

    let (h1_failures, stats) = block_on(async {
        let tls = connect_tls(addr, client_config(&cert_pem, b"http/1.1"))
            .await
            .unwrap();
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
        http1_plaintexts(tls, addr, REQUESTS).await
    });
    assert!(h1_failures.is_empty(), "{h1_failures:?}");
    assert_eq!(stats.per_route["plaintext"], 2 * REQUESTS as u64);
    assert_eq!(stats.per_route["admin"], 1);
}

fn tls_server(source: TlsSource, header_read_timeout: Duration) -> (InProc, String) {
    let dir = tempfile::tempdir().unwrap();
    let cert_out = dir.path().join("served.pem");
    let server = InProc::start(ServerConfig {
        tls: Some(source),
        tls_cert_out: Some(cert_out.clone()),
        header_read_timeout,
        ..ServerConfig::default()
    });
    let pem = std::fs::read_to_string(cert_out).unwrap();
    (server, pem)
}

/// The rustls error inside a failed handshake.
fn handshake_error(addr: SocketAddr, trusted_pem: &str) -> rustls::Error {
    let err = block_on(connect_tls(addr, client_config(trusted_pem, b"h2")))
        .expect_err("a handshake against an untrusted certificate succeeded");
    err.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .unwrap_or_else(|| panic!("not a rustls error: {err:?}"))
        .clone()
}

#[test]
fn a_client_that_does_not_trust_the_certificate_fails_the_handshake() {
    let (server, cert_pem) = tls_server(TlsSource::SelfSigned, Duration::from_secs(5));
    let addr = server.addr();
    let unrelated = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let err = handshake_error(addr, &unrelated.cert.pem());
    assert!(
        matches!(
            err,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)
        ),
        "{err:?}"
    );
    // A certificate from an earlier start has the same subject but another
    // key: still refused (as a bad signature).
    let (_other, stale_pem) = tls_server(TlsSource::SelfSigned, Duration::from_secs(5));
    assert_ne!(cert_pem, stale_pem);
    let err = handshake_error(addr, &stale_pem);
    assert!(
        matches!(err, rustls::Error::InvalidCertificate(_)),
        "{err:?}"
    );
    // The server shrugs both off and serves a client that trusts it.
    let failures = block_on(async {
        let tls = connect_tls(addr, client_config(&cert_pem, b"h2"))
            .await
            .unwrap();
        h2_plaintexts(tls, &format!("https://{addr}"), 3).await
    });
    assert!(failures.is_empty(), "{failures:?}");
}

/// Connects, sends `bytes`, then waits for the server to close; returns
/// how long that took.
fn closed_after(addr: SocketAddr, bytes: &[u8]) -> Duration {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    std::io::Write::write_all(&mut stream, bytes).unwrap();
    let started = Instant::now();
    let mut out = Vec::new();
    let result = stream.read_to_end(&mut out);
    let took = started.elapsed();
    assert!(result.is_ok(), "the server did not close: {result:?}");
    assert!(out.is_empty(), "{out:?}");
    took
}

#[test]
fn silent_clients_are_disconnected_after_the_header_read_timeout() {
    let timeout = Duration::from_millis(300);
    let (tls, _) = tls_server(TlsSource::SelfSigned, timeout);
    // No ClientHello at all.
    let took = closed_after(tls.addr(), b"");
    assert!(took >= Duration::from_millis(250), "{took:?}");
    assert!(took < Duration::from_secs(9), "{took:?}");
    // Plain TCP: half an h2 preface keeps the protocol undecided.
    let plain = InProc::start(ServerConfig {
        header_read_timeout: timeout,
        ..ServerConfig::default()
    });
    let took = closed_after(plain.addr(), b"PRI * HTTP/2.0\r\n");
    assert!(took >= Duration::from_millis(250), "{took:?}");
    assert!(took < Duration::from_secs(9), "{took:?}");
    assert_eq!(super::get(plain.addr(), "/plaintext").status, 200);
}

#[test]
fn a_user_certificate_and_key_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let generated = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, generated.cert.pem()).unwrap();
    std::fs::write(&key, generated.signing_key.serialize_pem()).unwrap();
    let (server, served_pem) = tls_server(TlsSource::Files { cert, key }, Duration::from_secs(5));
    let failures = block_on(async {
        let tls = connect_tls(server.addr(), client_config(&generated.cert.pem(), b"h2"))
            .await
            .unwrap();
        h2_plaintexts(tls, &format!("https://{}", server.addr()), 5).await
    });
    assert!(failures.is_empty(), "{failures:?}");
    let served: Vec<_> = CertificateDer::pem_slice_iter(served_pem.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(served, vec![generated.cert.der().clone()]);
}

#[test]
fn bad_tls_files_and_flags_exit_2_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not pem\n").unwrap();
    let garbage = garbage.to_str().unwrap();
    let missing = dir.path().join("missing.pem");
    let missing = missing.to_str().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (
            &["--tls", "--tls-cert", missing, "--tls-key", garbage],
            "missing.pem",
        ),
        (
            &["--tls", "--tls-cert", garbage, "--tls-key", garbage],
            "garbage.pem",
        ),
        (&["--tls-cert-out", garbage], "--tls"),
        (&["--tls", "--tls-cert", garbage], "--tls-key"),
    ];
    for (flags, needle) in cases {
        let mut args = vec!["serve", "--bind", "127.0.0.1:0"];
        args.extend_from_slice(flags);
        let output = run_loadtop(&args, dir.path());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(needle), "{flags:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{flags:?}");
    }
    let errors: Vec<_> = [missing, garbage]
        .iter()
        .map(|file| {
            let args = [
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--tls",
                "--tls-cert",
                file,
                "--tls-key",
                file,
            ];
            String::from_utf8_lossy(&run_loadtop(&args, dir.path()).stderr).into_owned()
        })
        .collect();
    for stderr in errors {
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("loadtop: cannot use TLS certificate "),
            "{stderr}"
        );
    }
}

#[test]
fn child_server_accepts_an_https_ready_line() {
    let child = ChildServer::spawn(
        &loadtop_bin(),
        &["--tls".into(), "--threads".into(), "1".into()],
    )
    .unwrap();
    assert!(
        child.url().starts_with("https://127.0.0.1:"),
        "{}",
        child.url()
    );
    assert_eq!(child.addr().ip().to_string(), "127.0.0.1");
    // Plain HTTP/1.1 against the TLS port gets no HTTP answer.
    let plain = loadtop::server::admin_client::request(
        child.addr(),
        "GET",
        "/plaintext",
        &[],
        b"",
        TIMEOUT,
    );
    assert!(plain.is_err() || plain.is_ok_and(|r| r.status != 200));
}
