//! Target URLs: what the generator can load (`http://` over plain TCP,
//! `https://` over TLS).

use http::Uri;

/// A target URL split into what the generator needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpUrl {
    pub host: String,
    pub port: u16,
    /// Path and query, at least `/`.
    pub path: String,
    /// `https://`: the generator speaks TLS (default port 443).
    pub tls: bool,
}

impl HttpUrl {
    /// Same scheme, host and port: one server, whatever the path.
    pub fn same_origin(&self, other: &HttpUrl) -> bool {
        self.tls == other.tls && self.host == other.host && self.port == other.port
    }

    /// The `Host` header value (port omitted when it is the default).
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == self.default_port() {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

impl HttpUrl {
    pub fn default_port(&self) -> u16 {
        if self.tls { 443 } else { 80 }
    }
}

pub fn parse(text: &str) -> Result<HttpUrl, String> {
    let uri: Uri = text
        .trim()
        .parse()
        .map_err(|e| format!("invalid URL `{text}`: {e}"))?;
    let tls = match uri.scheme_str() {
        Some("http") => false,
        Some("https") => true,
        Some(other) => {
            return Err(format!(
                "unsupported scheme `{other}` in `{text}` (supported: http, https)"
            ));
        }
        None => {
            return Err(format!(
                "invalid URL `{text}`: missing scheme (e.g. http://127.0.0.1:8080/)"
            ));
        }
    };
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
        port: uri.port_u16().unwrap_or(if tls { 443 } else { 80 }),
        path,
        tls,
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
    fn https_defaults_to_443() {
        let url = parse("https://localhost/x").unwrap();
        assert!(url.tls);
        assert_eq!((url.port, url.host_header().as_str()), (443, "localhost"));
        let url = parse("https://127.0.0.1:8443/").unwrap();
        assert_eq!(url.host_header(), "127.0.0.1:8443");
        let url = parse("https://127.0.0.1:80/").unwrap();
        assert_eq!(url.host_header(), "127.0.0.1:80");
        assert!(!parse("http://127.0.0.1/").unwrap().tls);
    }

    #[test]
    fn refuses_what_it_cannot_load() {
        assert!(
            parse("ftp://example.com/")
                .unwrap_err()
                .contains("supported: http, https")
        );
        assert!(parse("127.0.0.1:8080").unwrap_err().contains("scheme"));
        assert!(parse("http://").unwrap_err().contains("invalid URL"));
        assert!(parse("not a url").unwrap_err().contains("invalid URL"));
    }
}
