//! `loadtop serve --tls` and HTTP/2: HTTPS over HTTP/1.1 and h2 (ALPN),
//! h2c prior knowledge on plain TCP, certificate trust, user-provided
//! certificates, bounded handshakes, and graceful shutdown of h2 streams.
//! The client side is tokio-rustls + hyper's client connections on a
//! current-thread runtime; every exchange is bounded in count and time.

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::{Request, StatusCode, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use loadtop::server::ServerConfig;
use loadtop::server::child::ChildServer;
use loadtop::server::stats::ServerStats;
use loadtop::server::tls::TlsSource;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::{InProc, TIMEOUT};
use crate::support::{loadtop_bin, run_loadtop, serve_with};

const REQUESTS: usize = 200;
const H2_CONCURRENCY: usize = 16;
const TOKEN: &str = "0123456789abcdef0123456789abcdef";

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(60), future).await })
        .expect("the exchange did not finish within 60 s")
}

fn client_config(trusted_pem: &str, alpn: &[u8]) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(trusted_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    Arc::new(config)
}

async fn connect_tls(
    addr: SocketAddr,
    config: Arc<rustls::ClientConfig>,
) -> std::io::Result<TlsStream<tokio::net::TcpStream>> {
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    // The IP SAN is what a client addressing 127.0.0.1 checks.
    let name = ServerName::IpAddress(addr.ip().into());
    TlsConnector::from(config).connect(name, tcp).await
}

fn get_request(uri: &str, token: Option<&str>) -> Request<Empty<Bytes>> {
    let mut builder = Request::get(uri);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder.body(Empty::new()).unwrap()
}

/// `count` GETs of `/plaintext` in sequence on one HTTP/1.1 connection,
/// then the server's stats (admin API, same connection); returns the
/// statuses that were not 200 OK with the right body, and the stats.
async fn http1_plaintexts<IO>(io: IO, addr: SocketAddr, count: usize) -> (Vec<String>, ServerStats)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut failures = Vec::new();
    for _ in 0..count {
        sender.ready().await.unwrap();
        let mut request = get_request("/plaintext", None);
        request
            .headers_mut()
            .insert("host", addr.to_string().parse().unwrap());
        let response = sender.send_request(request).await.unwrap();
        let (status, version) = (response.status(), response.version());
        let body = response.into_body().collect().await.unwrap().to_bytes();
        if status != StatusCode::OK || version != Version::HTTP_11 || body != "Hello, World!" {
            failures.push(format!("{status} {version:?} {body:?}"));
        }
    }
    sender.ready().await.unwrap();
    let mut request = get_request("/_loadtop/stats", Some(TOKEN));
    request
        .headers_mut()
        .insert("host", addr.to_string().parse().unwrap());
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (failures, serde_json::from_slice(&body).unwrap())
}

/// `count` GETs of `base/plaintext` on one HTTP/2 connection,
/// `H2_CONCURRENCY` streams at a time; returns the failures.
async fn h2_plaintexts<IO>(io: IO, base: &str, count: usize) -> Vec<String>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(io))
            .await
            .unwrap();
    tokio::spawn(connection);
    let mut failures = Vec::new();
    let mut sent = 0;
    while sent < count {
        let batch = H2_CONCURRENCY.min(count - sent);
        let mut streams = tokio::task::JoinSet::new();
        for _ in 0..batch {
            let mut sender = sender.clone();
            let uri = format!("{base}/plaintext");
            streams.spawn(async move {
                let response = sender.send_request(get_request(&uri, None)).await?;
                let (status, version) = (response.status(), response.version());
                let body = response.into_body().collect().await?.to_bytes();
                Ok::<_, hyper::Error>((status, version, body))
            });
        }
        while let Some(joined) = streams.join_next().await {
            match joined.unwrap() {
                Ok((StatusCode::OK, Version::HTTP_2, body)) if body == "Hello, World!" => {}
                other => failures.push(format!("{other:?}")),
            }
        }
        sent += batch;
    }
    failures
}

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

#[test]
fn h2c_prior_knowledge_on_plain_tcp_is_served_and_counted() {
    let server = InProc::with_defaults();
    let addr = server.addr();
    let failures = block_on(async {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        h2_plaintexts(tcp, &format!("http://{addr}"), REQUESTS).await
    });
    assert!(failures.is_empty(), "{failures:?}");
    // HTTP/1.1 still works on the same listener, and both were counted.
    assert_eq!(super::get(addr, "/plaintext").status, 200);
    let stats = server.admin().stats().unwrap();
    assert_eq!(stats.per_route["plaintext"], REQUESTS as u64 + 1);
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

#[test]
fn shutdown_lets_in_flight_h2_streams_finish() {
    let server = InProc::with_defaults();
    let addr = server.addr();
    let client = std::thread::spawn(move || {
        block_on(async move {
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            let (mut sender, connection) =
                hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
                    .await
                    .unwrap();
            tokio::spawn(connection);
            let uri = format!("http://{addr}/sleep?ms=600");
            let response = sender.send_request(get_request(&uri, None)).await.unwrap();
            response.status()
        })
    });
    assert!(super::wait_until(Duration::from_secs(5), || server
        .admin()
        .stats()
        .is_ok_and(|s| s.inflight == 1)));
    let started = Instant::now();
    drop(server);
    assert_eq!(client.join().unwrap(), StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
