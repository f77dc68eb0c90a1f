//! The test-side HTTP client for TLS and HTTP/2: rustls client configs that
//! trust a given PEM, a TLS connector, and bounded request loops over
//! hyper's HTTP/1.1 and HTTP/2 client connections, run on a current-thread
//! runtime so the tests stay plain blocking code.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::{Request, StatusCode, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use loadtop::server::stats::ServerStats;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

pub const REQUESTS: usize = 200;
const H2_CONCURRENCY: usize = 16;
pub const TOKEN: &str = "0123456789abcdef0123456789abcdef";

pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(60), future).await })
        .expect("the exchange did not finish within 60 s")
}

pub fn client_config(trusted_pem: &str, alpn: &[u8]) -> Arc<rustls::ClientConfig> {
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

pub async fn connect_tls(
    addr: SocketAddr,
    config: Arc<rustls::ClientConfig>,
) -> std::io::Result<TlsStream<tokio::net::TcpStream>> {
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    // The IP SAN is what a client addressing 127.0.0.1 checks.
    let name = ServerName::IpAddress(addr.ip().into());
    TlsConnector::from(config).connect(name, tcp).await
}

pub fn get_request(uri: &str, token: Option<&str>) -> Request<Empty<Bytes>> {
    let mut builder = Request::get(uri);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder.body(Empty::new()).unwrap()
}

/// `count` GETs of `/plaintext` in sequence on one HTTP/1.1 connection,
/// then the server's stats (admin API, same connection); returns the
/// statuses that were not 200 OK with the right body, and the stats.
pub async fn http1_plaintexts<IO>(
    io: IO,
    addr: SocketAddr,
    count: usize,
) -> (Vec<String>, ServerStats)
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
pub async fn h2_plaintexts<IO>(io: IO, base: &str, count: usize) -> Vec<String>
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
