//! The run's requests in the form connections send them, built once per
//! run by the engine: the HTTP/1.1 bytes and, when the run speaks HTTP/2,
//! the request hyper sends (cloned per send).

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Uri};
use http_body_util::Full;

use super::EngineError;
use super::request::RequestSpec;

/// One request of the mix, ready to write.
#[derive(Debug)]
pub(crate) struct PreparedRequest {
    pub(crate) bytes: Bytes,
    pub(crate) head: bool,
    /// Index of its name's per-request statistics.
    pub(crate) slot: usize,
    /// The request in HTTP/2 form (`Some` when the run speaks HTTP/2).
    pub(crate) h2: Option<H2Request>,
}

/// A request prepared once per run; each send clones it.
#[derive(Clone, Debug)]
pub(crate) struct H2Request {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

impl H2Request {
    pub(crate) fn build(&self) -> Request<Full<Bytes>> {
        let mut request = Request::new(Full::new(self.body.clone()));
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        request
    }
}

/// Headers HTTP/2 forbids (connection-specific) or derives itself.
fn dropped_header(name: &HeaderName) -> bool {
    [
        header::HOST,
        header::CONNECTION,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
        header::CONTENT_LENGTH,
        HeaderName::from_static("keep-alive"),
        HeaderName::from_static("proxy-connection"),
    ]
    .contains(name)
}

/// Turns a request into its HTTP/2 form: `:authority` from the `Host` value
/// (a `Host` header in `spec.headers` wins), `:scheme` from `tls`.
pub(crate) fn h2(spec: &RequestSpec, tls: bool) -> Result<H2Request, EngineError> {
    let bad = |what: String| EngineError::InvalidRequest(what);
    let method = Method::from_bytes(spec.method.as_bytes())
        .map_err(|_| bad(format!("invalid method `{}`", spec.method)))?;
    let authority = spec
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("host"))
        .map_or(spec.host.as_str(), |(_, value)| value.as_str());
    let scheme = if tls { "https" } else { "http" };
    let uri: Uri = format!("{scheme}://{authority}{}", spec.path)
        .parse()
        .map_err(|error| bad(format!("invalid HTTP/2 target `{}`: {error}", spec.path)))?;
    let mut headers = HeaderMap::new();
    for (name, value) in &spec.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| bad(format!("invalid header `{name}`")))?;
        if dropped_header(&name) {
            continue;
        }
        let value = HeaderValue::from_str(value)
            .map_err(|_| bad(format!("invalid value for header `{name}`")))?;
        headers.append(name, value);
    }
    Ok(H2Request {
        method,
        uri,
        headers,
        body: spec.body.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_take_the_h2_form() {
        let mut spec = RequestSpec::get("127.0.0.1:8443", "/a?b=1");
        spec.method = "POST".into();
        spec.body = Bytes::from_static(b"xyz");
        spec.headers = vec![
            ("Connection".into(), "keep-alive".into()),
            ("Content-Length".into(), "3".into()),
            ("X-Test".into(), "1".into()),
        ];
        let request = h2(&spec, true).unwrap().build();
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.uri().to_string(), "https://127.0.0.1:8443/a?b=1");
        assert_eq!(request.headers().len(), 1);
        assert_eq!(request.headers()["x-test"], "1");
        let plain = h2(&RequestSpec::get("h", "/"), false).unwrap().build();
        assert_eq!(plain.uri().scheme_str(), Some("http"));
    }

    #[test]
    fn a_host_header_sets_the_authority() {
        let mut spec = RequestSpec::get("127.0.0.1:80", "/");
        spec.headers.push(("Host".into(), "example.test".into()));
        let request = h2(&spec, false).unwrap().build();
        assert_eq!(request.uri().authority().unwrap().as_str(), "example.test");
        assert!(request.headers().get("host").is_none());
    }
}
