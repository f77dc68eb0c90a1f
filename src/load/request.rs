//! One request as the run's input describes it ([`RequestSpec`]): built
//! from a URL or by the plan, validated once, and turned into the exact
//! HTTP/1.1 bytes every connection writes. The HTTP/2 form is `prepared`.

use std::net::{SocketAddr, ToSocketAddrs};

use bytes::Bytes;

use super::EngineError;

/// One request, sent unchanged by every connection (as prepared HTTP/1.1
/// bytes, or in HTTP/2 form when the run speaks HTTP/2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestSpec {
    pub method: String,
    /// Path and query, starting with `/`.
    pub path: String,
    /// Host header value (`host` or `host:port`).
    pub host: String,
    /// Extra headers in order; a `Host` or `Content-Length` here replaces ours.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn has_line_break(text: &str) -> bool {
    text.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0)
}

impl RequestSpec {
    /// A GET of `path` with no extra headers.
    pub fn get(host: impl Into<String>, path: impl Into<String>) -> Self {
        RequestSpec {
            method: "GET".into(),
            path: path.into(),
            host: host.into(),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    /// Parses `http[s]://[user:password@]host[:port][/path][?query]` (see
    /// [`super::url::parse`]) and resolves the host; credentials become an
    /// `Authorization` header (see [`LoadConfig::for_url`] for the TLS
    /// settings an https URL implies).
    pub fn from_url(url: &str) -> Result<(SocketAddr, RequestSpec), EngineError> {
        let parsed = parse_url(url)?;
        let host = parsed.host.as_str();
        let addr = (host, parsed.port)
            .to_socket_addrs()
            .map_err(|source| EngineError::Resolve {
                host: host.to_string(),
                source,
            })?
            .next()
            .ok_or_else(|| EngineError::Resolve {
                host: host.to_string(),
                source: std::io::Error::other("no addresses"),
            })?;
        let mut spec = RequestSpec::get(parsed.host_header(), parsed.path.clone());
        parsed.add_authorization(&mut spec.headers);
        spec.validate()?;
        Ok((addr, spec))
    }

    /// `GET /path`: how a request is named when nobody named it.
    pub fn display_name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    pub(crate) fn validate(&self) -> Result<(), EngineError> {
        let bad = |what: String| Err(EngineError::InvalidRequest(what));
        if !is_token(&self.method) {
            return bad(format!("invalid method `{}`", self.method));
        }
        if !(self.path.starts_with('/') || self.path == "*")
            || self.path.bytes().any(|b| b <= b' ' || b == 0x7f)
        {
            return bad(format!(
                "invalid path `{}` (must start with `/`, no spaces or control bytes)",
                self.path
            ));
        }
        if self.host.is_empty() || has_line_break(&self.host) {
            return bad(format!("invalid Host `{}`", self.host));
        }
        for (name, value) in &self.headers {
            if !is_token(name) || has_line_break(value) {
                return bad(format!("invalid header `{name}`"));
            }
        }
        Ok(())
    }

    pub(crate) fn is_head(&self) -> bool {
        self.method.eq_ignore_ascii_case("HEAD")
    }

    /// The exact bytes every connection writes, built once per run.
    pub(crate) fn to_bytes(&self, keepalive: bool) -> Bytes {
        let has = |wanted: &str| {
            self.headers
                .iter()
                .any(|(name, _)| name.eq_ignore_ascii_case(wanted))
        };
        let mut head = format!("{} {} HTTP/1.1\r\n", self.method, self.path);
        if !has("host") {
            head.push_str(&format!("Host: {}\r\n", self.host));
        }
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let body_expected = matches!(
            self.method.to_ascii_uppercase().as_str(),
            "POST" | "PUT" | "PATCH"
        );
        if !has("content-length") && (!self.body.is_empty() || body_expected) {
            head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        if !keepalive && !has("connection") {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        Bytes::from(bytes)
    }
}

pub(super) fn parse_url(url: &str) -> Result<super::url::HttpUrl, EngineError> {
    super::url::parse(url).map_err(|reason| EngineError::Url {
        url: super::url::redact(url),
        reason,
    })
}
