//! An in-test HTTPS / HTTP/2 target: hyper's auto (HTTP/1.1 + HTTP/2)
//! server behind a tokio-rustls acceptor with a certificate signed by a
//! throw-away CA (rcgen), or h2c on plain TCP. It counts the requests it
//! answered and stops (listener and connections closed) on drop.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::background::Background;

/// The body every response carries (HTTP/2 counts body bytes as wire bytes).
pub const BODY: &[u8] = b"hello";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// TLS offering ALPN `h2` and `http/1.1`.
    Tls,
    /// TLS offering only ALPN `http/1.1`, served as HTTP/1.1 only.
    TlsHttp1Only,
    /// TLS with no ALPN at all, served as HTTP/1.1 only.
    TlsNoAlpn,
    /// HTTP/2 prior knowledge on plain TCP.
    H2c,
}

/// A CA and a certificate it signed for 127.0.0.1 and localhost.
pub struct Certs {
    pub ca_pem: String,
    leaf: CertificateDer<'static>,
    key: Vec<u8>,
}

impl Certs {
    pub fn generate() -> Certs {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "loadtop test CA");
        let ca =
            rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
                .unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
            .unwrap()
            .signed_by(&leaf_key, &ca)
            .unwrap();
        Certs {
            ca_pem: ca.pem(),
            leaf: leaf.der().clone(),
            key: leaf_key.serialize_der(),
        }
    }

    /// Writes the CA as PEM into `dir`; returns the file.
    pub fn write_ca(&self, dir: &Path) -> PathBuf {
        let path = dir.join("ca.pem");
        std::fs::write(&path, &self.ca_pem).unwrap();
        path
    }

    fn server_config(&self, alpn: &[&[u8]]) -> Arc<rustls::ServerConfig> {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()));
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![self.leaf.clone()], key)
        .unwrap();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Arc::new(config)
    }
}

pub struct H2Target {
    pub addr: SocketAddr,
    server: Background,
}

impl H2Target {
    pub fn start(mode: Mode, certs: &Certs) -> H2Target {
        let acceptor = match mode {
            Mode::Tls => Some(certs.server_config(&[b"h2", b"http/1.1"])),
            Mode::TlsHttp1Only => Some(certs.server_config(&[b"http/1.1"])),
            Mode::TlsNoAlpn => Some(certs.server_config(&[])),
            Mode::H2c => None,
        }
        .map(TlsAcceptor::from);
        let server = Background::start(move |listener, counter| async move {
            accept_loop(listener, acceptor, mode, counter).await;
        });
        H2Target {
            addr: server.addr,
            server,
        }
    }

    pub fn requests(&self) -> u64 {
        self.server.requests()
    }

    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}/", self.addr.port())
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    mode: Mode,
    counter: Arc<AtomicU64>,
) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        let counter = counter.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                let counter = counter.clone();
                async move {
                    let _ = request.into_body().collect().await;
                    counter.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(BODY))))
                }
            });
            let mut builder = auto::Builder::new(TokioExecutor::new());
            match mode {
                Mode::TlsHttp1Only | Mode::TlsNoAlpn => builder = builder.http1_only(),
                Mode::H2c => builder = builder.http2_only(),
                Mode::Tls => {}
            }
            match acceptor {
                Some(acceptor) => {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let _ = builder.serve_connection(TokioIo::new(tls), service).await;
                }
                None => {
                    let _ = builder.serve_connection(TokioIo::new(tcp), service).await;
                }
            }
        });
    }
}
