//! TLS for `loadtop serve --tls`: where the certificate comes from (generated
//! self-signed at start, or the user's PEM files), the rustls server config
//! built from it (ring provider installed explicitly, ALPN `h2` then
//! `http/1.1`), and the PEM text clients need to trust it. Data flows one
//! way: `TlsSource` → `load` → (`TlsAcceptor`, certificate PEM) → listener.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use super::ServerError;

/// The names a generated certificate is valid for: every way a local
/// client may address the server.
pub const SELF_SIGNED_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
/// The subject common name of a generated certificate.
pub const SELF_SIGNED_CN: &str = "loadtop serve";

/// Where the served certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    /// A fresh self-signed certificate (ECDSA P-256) per start.
    SelfSigned,
    /// A PEM certificate chain and its PEM private key.
    Files { cert: PathBuf, key: PathBuf },
}

/// What the listener needs: the acceptor, and the certificate chain as PEM
/// (what `--tls-cert-out` writes and what a client adds to its roots).
pub(crate) struct LoadedTls {
    pub acceptor: TlsAcceptor,
    pub cert_pem: String,
}

pub(crate) fn load(source: &TlsSource) -> Result<LoadedTls, ServerError> {
    let (chain, key) = match source {
        TlsSource::SelfSigned => self_signed()?,
        TlsSource::Files { cert, key } => (read_chain(cert)?, read_key(key)?),
    };
    let cert_pem = chain.iter().map(|der| pem_encode(der)).collect();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ServerError::TlsSetup(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| match source {
            TlsSource::Files { cert, key } => ServerError::TlsSetup(format!(
                "certificate {} and key {} do not make a usable pair: {e}",
                cert.display(),
                key.display()
            )),
            TlsSource::SelfSigned => ServerError::TlsSetup(e.to_string()),
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(LoadedTls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        cert_pem,
    })
}

type CertAndKey = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

fn self_signed() -> Result<CertAndKey, ServerError> {
    let setup =
        |e: rcgen::Error| ServerError::TlsSetup(format!("cannot generate a certificate: {e}"));
    let names: Vec<String> = SELF_SIGNED_NAMES.iter().map(|n| n.to_string()).collect();
    let mut params = rcgen::CertificateParams::new(names).map_err(setup)?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, SELF_SIGNED_CN);
    let key_pair = rcgen::KeyPair::generate().map_err(setup)?;
    let cert = params.self_signed(&key_pair).map_err(setup)?;
    Ok((vec![cert.der().clone()], PrivateKeyDer::from(key_pair)))
}

fn file_error(what: &'static str, path: &Path, reason: impl ToString) -> ServerError {
    ServerError::TlsFile {
        what,
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, ServerError> {
    let text = std::fs::read(path).map_err(|e| file_error("certificate", path, e))?;
    let chain = CertificateDer::pem_slice_iter(&text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error("certificate", path, e))?;
    if chain.is_empty() {
        return Err(file_error(
            "certificate",
            path,
            "no PEM CERTIFICATE block found",
        ));
    }
    Ok(chain)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, ServerError> {
    let text = std::fs::read(path).map_err(|e| file_error("key", path, e))?;
    PrivateKeyDer::from_pem_slice(&text).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => {
            file_error("key", path, "no PEM PRIVATE KEY block found")
        }
        other => file_error("key", path, other),
    })
}

/// One `CERTIFICATE` PEM block (64-column base64, as OpenSSL writes it).
fn pem_encode(der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::with_capacity(body.len() + body.len() / 64 + 64);
    pem.push_str("-----BEGIN CERTIFICATE-----\n");
    for line in body.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_pem_round_trips_and_names_localhost() {
        let loaded = load(&TlsSource::SelfSigned).unwrap();
        let chain = CertificateDer::pem_slice_iter(loaded.cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        assert_eq!(chain.len(), 1);
        let lines: Vec<&str> = loaded.cert_pem.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert!(lines[1..lines.len() - 1].iter().all(|l| l.len() <= 64));
        // The SANs and CN travel as plain ASCII inside the DER.
        let der = chain[0].as_ref();
        let contains = |needle: &[u8]| der.windows(needle.len()).any(|w| w == needle);
        assert!(contains(b"localhost"));
        assert!(contains(SELF_SIGNED_CN.as_bytes()));
        assert!(contains(&[127, 0, 0, 1]));
    }

    #[test]
    fn missing_and_invalid_files_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.pem");
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "not a pem file\n").unwrap();
        let err = load(&TlsSource::Files {
            cert: missing.clone(),
            key: garbage.clone(),
        })
        .err()
        .unwrap();
        assert!(err.to_string().contains("nope.pem"), "{err}");
        let err = load(&TlsSource::Files {
            cert: garbage.clone(),
            key: garbage.clone(),
        })
        .err()
        .unwrap();
        assert!(err.to_string().contains("garbage.pem"), "{err}");
        assert!(err.to_string().contains("no PEM"), "{err}");
    }
}
