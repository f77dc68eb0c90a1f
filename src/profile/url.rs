//! Target URLs: what the generator can load (plain HTTP/1.1 over TCP).

use http::Uri;

/// A target URL split into what the generator needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpUrl {
    pub host: String,
    pub port: u16,
    /// Path and query, at least `/`.
    pub path: String,
}

impl HttpUrl {
    /// The `Host` header value (port omitted when it is the default).
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == 80 {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

pub fn parse(text: &str) -> Result<HttpUrl, String> {
    let uri: Uri = text
        .trim()
        .parse()
        .map_err(|e| format!("invalid URL `{text}`: {e}"))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some(other) => {
            return Err(format!(
                "unsupported scheme `{other}` in `{text}` (supported: http)"
            ));
        }
        None => {
            return Err(format!(
                "invalid URL `{text}`: missing scheme (e.g. http://127.0.0.1:8080/)"
            ));
        }
    }
    let host = uri
        .host()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| format!("invalid URL `{text}`: missing host"))?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
    let path = if path.is_empty() {
        "/".to_string()
    } else {
        path
    };
    Ok(HttpUrl {
        host,
        port: uri.port_u16().unwrap_or(80),
        path,
    })
}

pub fn validate(text: &str) -> Result<(), String> {
    parse(text).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_http_urls() {
        let url = parse("http://127.0.0.1:8080/user/7?x=1").unwrap();
        assert_eq!(url.host, "127.0.0.1");
        assert_eq!(url.port, 8080);
        assert_eq!(url.path, "/user/7?x=1");
        assert_eq!(url.host_header(), "127.0.0.1:8080");
        let url = parse("http://[::1]/").unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.path.as_str()),
            ("::1", 80, "/")
        );
        assert_eq!(url.host_header(), "[::1]");
        assert_eq!(parse("http://localhost:9").unwrap().path, "/");
    }

    #[test]
    fn refuses_what_it_cannot_load() {
        assert!(
            parse("https://example.com/")
                .unwrap_err()
                .contains("supported: http")
        );
        assert!(parse("127.0.0.1:8080").unwrap_err().contains("scheme"));
        assert!(parse("http://").unwrap_err().contains("invalid URL"));
        assert!(parse("not a url").unwrap_err().contains("invalid URL"));
    }
}
