//! TLS for `https://` targets: one `rustls::ClientConfig` per run (ring
//! provider, no process-global state), trusting the system roots plus any
//! `--cacert` file, or nothing at all with `--insecure`; and [`probe`], one
//! connection made before the run so that a certificate or protocol problem
//! is one clear line instead of a run full of `tls` errors.

use std::net::SocketAddr;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::transport::{DialError, Dialer, Protocol, TlsOptions, Transport};
use super::{EngineError, LoadConfig};

const ALPN_H2: &[u8] = b"h2";
const ALPN_HTTP1: &[u8] = b"http/1.1";

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The run's client config: ALPN `h2` when HTTP/2 is asked for, else `http/1.1`.
pub(crate) fn client_config(
    options: &TlsOptions,
    http2: bool,
) -> Result<Arc<ClientConfig>, EngineError> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|error| EngineError::TlsSetup(error.to_string()))?;
    let mut config = if options.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate {
                algorithms: provider.signature_verification_algorithms,
            }))
            .with_no_client_auth()
    } else {
        builder
            .with_root_certificates(roots(options)?)
            .with_no_client_auth()
    };
    config.alpn_protocols = vec![if http2 { ALPN_H2 } else { ALPN_HTTP1 }.to_vec()];
    Ok(Arc::new(config))
}

fn roots(options: &TlsOptions) -> Result<RootCertStore, EngineError> {
    let mut roots = RootCertStore::empty();
    // Unreadable system certificates are not fatal: `--cacert` may be all
    // this run needs, and a missing root shows up as a clear probe error.
    let system = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(system.certs);
    if let Some(path) = &options.cacert {
        let bad = |reason: String| EngineError::CaCert {
            path: path.clone(),
            reason,
        };
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|error| bad(error.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| bad(error.to_string()))?;
        if certs.is_empty() {
            return Err(bad("no PEM certificate in the file".into()));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|error| bad(format!("not a usable CA certificate: {error}")))?;
        }
    }
    Ok(roots)
}

/// `--insecure`: any certificate is accepted, but the handshake signatures
/// are still verified, so the peer must hold the key of what it presented.
#[derive(Debug)]
struct AcceptAnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The SNI name for `host`: IP addresses become IP server names.
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, EngineError> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_string())
        .map_err(|_| EngineError::TlsSetup(format!("`{host}` is not a valid TLS server name")))
}

/// The dialer every connection of the run uses.
pub(crate) fn dialer(config: &LoadConfig) -> Result<Dialer, EngineError> {
    let tls = match &config.transport.tls {
        None => None,
        Some(options) => Some((
            client_config(options, config.transport.http2)?,
            server_name(&options.server_name)?,
        )),
    };
    Ok(Dialer::new(config.addr, config.connect_timeout, tls))
}

/// How the target is named in messages: the TLS name and port when there is
/// one (what the certificate is checked against), else the address.
fn target_name(config: &LoadConfig) -> String {
    match &config.transport.tls {
        Some(options) if options.server_name.contains(':') => {
            format!("[{}]:{}", options.server_name, config.addr.port())
        }
        Some(options) => format!("{}:{}", options.server_name, config.addr.port()),
        None => config.addr.to_string(),
    }
}

/// Connects once (TCP, TLS handshake, ALPN; for h2c the server's SETTINGS)
/// and says which protocol the run will speak. Sends no HTTP request, so the
/// target's request counts stay exact. Call before [`super::start`].
pub fn probe(config: &LoadConfig) -> Result<Protocol, EngineError> {
    config.validate()?;
    let dialer = dialer(config)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(EngineError::Spawn)?;
    let name = target_name(config);
    runtime.block_on(probe_with(&dialer, &config.transport, config.addr, name))
}

async fn probe_with(
    dialer: &Dialer,
    transport: &Transport,
    addr: SocketAddr,
    name: String,
) -> Result<Protocol, EngineError> {
    let mut stream = dialer.connect().await.map_err(|error| match error {
        DialError::Timeout => EngineError::Connect {
            target: name.clone(),
            reason: format!("no answer within {:?}", dialer.connect_timeout),
        },
        DialError::Connect(source) => EngineError::Connect {
            target: format!("{name} ({addr})"),
            reason: source.to_string(),
        },
        DialError::Handshake(source) => handshake_error(&name, &source),
    })?;
    if !transport.http2 {
        return Ok(Protocol::Http1);
    }
    if transport.tls.is_some() {
        return match stream.alpn() {
            Some(ALPN_H2) => Ok(Protocol::Http2),
            other => Err(EngineError::NoHttp2 {
                target: name,
                offered: other.map_or("none".into(), |p| String::from_utf8_lossy(p).into()),
            }),
        };
    }
    // h2c prior knowledge: an HTTP/2 server answers our preface with a
    // SETTINGS frame; an HTTP/1.1 server answers with a 400 or closes.
    let frame = tokio::time::timeout(dialer.connect_timeout, async {
        stream.write_all(H2_PREFACE_AND_SETTINGS).await?;
        let mut header = [0u8; 9];
        stream.read_exact(&mut header).await?;
        Ok::<_, std::io::Error>(header)
    })
    .await;
    match frame {
        Ok(Ok(header)) if header[3] == H2_FRAME_SETTINGS => Ok(Protocol::Http2),
        _ => Err(EngineError::NoH2c { target: name }),
    }
}

/// The client connection preface followed by an empty SETTINGS frame.
const H2_PREFACE_AND_SETTINGS: &[u8] =
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";
const H2_FRAME_SETTINGS: u8 = 0x4;

fn handshake_error(name: &str, error: &std::io::Error) -> EngineError {
    let rustls_error = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    let hint = match rustls_error {
        Some(rustls::Error::InvalidCertificate(_)) => {
            " (trust its CA with --cacert FILE, or skip verification with --insecure)"
        }
        Some(rustls::Error::AlertReceived(rustls::AlertDescription::NoApplicationProtocol)) => {
            " (it accepts none of the ALPN protocols offered: without h2, drop --http2 to \
             load it over HTTP/1.1)"
        }
        _ => "",
    };
    EngineError::Tls {
        target: name.to_string(),
        reason: rustls_error.map_or_else(|| error.to_string(), ToString::to_string),
        hint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_accept_hosts_and_ips() {
        assert!(matches!(
            server_name("127.0.0.1").unwrap(),
            ServerName::IpAddress(_)
        ));
        assert!(matches!(
            server_name("[::1]").unwrap(),
            ServerName::IpAddress(_)
        ));
        assert!(matches!(
            server_name("localhost").unwrap(),
            ServerName::DnsName(_)
        ));
        assert!(server_name("bad name!").is_err());
    }

    #[test]
    fn alpn_follows_the_protocol_and_insecure_is_explicit() {
        let options = TlsOptions {
            server_name: "localhost".into(),
            cacert: None,
            insecure: false,
        };
        let h1 = client_config(&options, false).unwrap();
        assert_eq!(h1.alpn_protocols, vec![b"http/1.1".to_vec()]);
        let h2 = client_config(&options, true).unwrap();
        assert_eq!(h2.alpn_protocols, vec![b"h2".to_vec()]);
    }

    #[test]
    fn a_cacert_without_certificates_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let options = TlsOptions {
            server_name: "localhost".into(),
            cacert: Some(path.clone()),
            insecure: false,
        };
        let error = client_config(&options, false).unwrap_err().to_string();
        assert!(error.contains("empty.pem"), "{error}");
        let missing = TlsOptions {
            cacert: Some(dir.path().join("missing.pem")),
            ..options
        };
        assert!(client_config(&missing, false).is_err());
    }

    #[test]
    fn certificate_errors_carry_the_hint() {
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        let message = handshake_error("127.0.0.1:8443", &io).to_string();
        assert_eq!(
            message,
            "TLS handshake with 127.0.0.1:8443 failed: invalid peer certificate: UnknownIssuer \
             (trust its CA with --cacert FILE, or skip verification with --insecure)"
        );
    }
}
