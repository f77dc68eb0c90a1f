//! How a connection reaches the target: plain TCP or TLS (rustls), carrying
//! HTTP/1.1 or HTTP/2. The run's [`Transport`] comes from the plan; `start`
//! turns it into a [`Dialer`] once (the TLS config is built once per run),
//! and every connection task calls [`Dialer::connect`] to get a [`Stream`]
//! with the handshake already done inside the connect timeout.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::stats::ErrorKind;

/// What the generator speaks to the target. `Default` = plain HTTP/1.1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transport {
    /// `Some` for `https://` targets.
    pub tls: Option<TlsOptions>,
    /// HTTP/2: ALPN `h2` over TLS, prior knowledge (h2c) over plain TCP.
    pub http2: bool,
    /// Concurrent HTTP/2 streams per connection, each a pacing unit (>= 1).
    pub h2_streams: usize,
}

impl Default for Transport {
    fn default() -> Self {
        Transport {
            tls: None,
            http2: false,
            h2_streams: 1,
        }
    }
}

impl Transport {
    /// The protocol asked for (the probe confirms the target agrees).
    pub fn protocol(&self) -> Protocol {
        if self.http2 {
            Protocol::Http2
        } else {
            Protocol::Http1
        }
    }

    /// Pacing units per connection: streams for HTTP/2, one for HTTP/1.1.
    pub(crate) fn streams(&self) -> usize {
        if self.http2 {
            self.h2_streams.max(1)
        } else {
            1
        }
    }
}

/// TLS settings for an `https://` target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsOptions {
    /// SNI and the name the certificate must match (the URL's host; an IP
    /// address is sent as an IP server name).
    pub server_name: String,
    /// Extra trusted roots (PEM, one or more certificates) besides the system's.
    pub cacert: Option<PathBuf>,
    /// Accept any certificate (handshake signatures are still checked).
    pub insecure: bool,
}

/// The HTTP version a run speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Http1,
    Http2,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Http1 => "HTTP/1.1",
            Protocol::Http2 => "HTTP/2",
        }
    }
}

/// A connection's byte stream: plain TCP or TLS over TCP.
pub(crate) enum Stream {
    Plain(TcpStream),
    // Boxed: the TLS state is large and there is one per connection.
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    /// The ALPN protocol the server chose (`None` on plain TCP or without ALPN).
    pub(crate) fn alpn(&self) -> Option<&[u8]> {
        match self {
            Stream::Plain(_) => None,
            Stream::Tls(tls) => tls.get_ref().1.alpn_protocol(),
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_write_vectored(cx, bufs),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(tcp) => tcp.is_write_vectored(),
            Stream::Tls(tls) => tls.is_write_vectored(),
        }
    }
}

/// Why a dial failed, with enough detail for the probe's message.
#[derive(Debug)]
pub(crate) enum DialError {
    Timeout,
    Connect(io::Error),
    Handshake(io::Error),
}

impl DialError {
    pub(crate) fn kind(&self) -> ErrorKind {
        match self {
            DialError::Timeout => ErrorKind::ConnectTimeout,
            DialError::Connect(error) if error.kind() == io::ErrorKind::ConnectionRefused => {
                ErrorKind::ConnectRefused
            }
            DialError::Connect(error) if error.kind() == io::ErrorKind::TimedOut => {
                ErrorKind::ConnectTimeout
            }
            DialError::Connect(_) => ErrorKind::Other,
            DialError::Handshake(_) => ErrorKind::Tls,
        }
    }
}

/// Everything needed to open one connection; built once per run.
#[derive(Clone)]
pub(crate) struct Dialer {
    pub(crate) addr: SocketAddr,
    pub(crate) connect_timeout: Duration,
    tls: Option<(TlsConnector, ServerName<'static>)>,
}

impl std::fmt::Debug for Dialer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dialer")
            .field("addr", &self.addr)
            .field("tls", &self.tls.as_ref().map(|(_, name)| name))
            .finish()
    }
}

impl Dialer {
    pub(crate) fn new(
        addr: SocketAddr,
        connect_timeout: Duration,
        tls: Option<(Arc<rustls::ClientConfig>, ServerName<'static>)>,
    ) -> Self {
        Dialer {
            addr,
            connect_timeout,
            tls: tls.map(|(config, name)| (TlsConnector::from(config), name)),
        }
    }

    pub(crate) fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// TCP connect plus TLS handshake, both within the connect timeout.
    pub(crate) async fn connect(&self) -> Result<Stream, DialError> {
        tokio::time::timeout(self.connect_timeout, self.dial())
            .await
            .unwrap_or(Err(DialError::Timeout))
    }

    async fn dial(&self) -> Result<Stream, DialError> {
        let tcp = TcpStream::connect(self.addr)
            .await
            .map_err(DialError::Connect)?;
        // Without NODELAY small requests wait on delayed ACKs.
        tcp.set_nodelay(true).map_err(DialError::Connect)?;
        match &self.tls {
            None => Ok(Stream::Plain(tcp)),
            Some((connector, name)) => connector
                .connect(name.clone(), tcp)
                .await
                .map(|tls| Stream::Tls(Box::new(tls)))
                .map_err(DialError::Handshake),
        }
    }
}
