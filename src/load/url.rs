//! Target URLs: what the generator can load (`http://` over plain TCP,
//! `https://` over TLS). This is the one parser for every place a URL
//! enters (`bench`, `max`, `--urls-from-file`, a profile's `target.url`,
//! `[[targets]]` and `[[requests]]`, and [`super::RequestSpec::from_url`]),
//! so they all refuse the same things: a port that is not 1 to 65535 (it
//! would otherwise silently become 80 or 443), a missing scheme or host.

use base64::Engine as _;
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
    /// `Basic …` from `user:password@` in the URL, as curl and k6 send it.
    pub authorization: Option<String>,
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

    pub fn default_port(&self) -> u16 {
        if self.tls { 443 } else { 80 }
    }

    /// Adds the URL's credentials as an `Authorization` header unless the
    /// headers already carry one (an explicit header wins, as in curl).
    pub fn add_authorization(&self, headers: &mut Vec<(String, String)>) {
        let Some(value) = &self.authorization else {
            return;
        };
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        {
            headers.push(("Authorization".into(), value.clone()));
        }
    }
}

pub fn parse(text: &str) -> Result<HttpUrl, String> {
    let text = text.trim();
    // Messages are shown and logged: never with the password in them.
    let shown = redact(text);
    let Some((scheme, _)) = text.split_once("://") else {
        return Err(format!(
            "invalid URL `{shown}`: missing scheme (e.g. http://127.0.0.1:8080/)"
        ));
    };
    let tls = if scheme.eq_ignore_ascii_case("http") {
        false
    } else if scheme.eq_ignore_ascii_case("https") {
        true
    } else {
        return Err(format!(
            "unsupported scheme `{scheme}` in `{shown}` (supported: http, https)"
        ));
    };
    let uri: Uri = text
        .parse()
        .map_err(|e| format!("invalid URL `{shown}`: {e}"))?;
    let missing_host = || format!("invalid URL `{shown}`: missing host");
    let authority = uri.authority().ok_or_else(missing_host)?.as_str();
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((userinfo, host_port)) => (Some(userinfo), host_port),
        None => (None, authority),
    };
    let (host, port) = split_host_port(host_port).ok_or_else(missing_host)?;
    if host.is_empty() {
        return Err(missing_host());
    }
    let port = match port {
        // `http://host:/` is the default port (RFC 3986 §3.2.3), as in curl.
        None | Some("") => {
            if tls {
                443
            } else {
                80
            }
        }
        Some(port) => port
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0 && port.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| format!("invalid port `{port}` in `{shown}` (a port is 1 to 65535)"))?,
    };
    let path = match uri.path_and_query().map_or("", |p| p.as_str()) {
        "" => "/".to_string(),
        query if query.starts_with('?') => format!("/{query}"),
        path => path.to_string(),
    };
    Ok(HttpUrl {
        host: host.to_string(),
        port,
        path,
        tls,
        authorization: userinfo.map(basic_authorization),
    })
}

pub fn validate(text: &str) -> Result<(), String> {
    parse(text).map(|_| ())
}

/// The URL as it may be shown and saved: a password in it becomes `***`.
pub fn redact(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}@{host}{tail}")
        }
        None => text.to_string(),
    }
}

/// `user:password` (percent-decoded) as a Basic credential; a user without
/// a password has an empty one.
fn basic_authorization(userinfo: &str) -> String {
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let decode = |part: &str| percent_encoding::percent_decode_str(part).collect::<Vec<u8>>();
    let mut credential = decode(user);
    credential.push(b':');
    credential.extend(decode(password));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credential)
    )
}

/// `host`, `host:port`, `[v6]` or `[v6]:port` → the host (no brackets) and
/// the port text, if any.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after {
            "" => Some((host, None)),
            _ => Some((host, Some(after.strip_prefix(':')?))),
        };
    }
    Some(match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    })
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
        assert_eq!(url.authorization, None);
        let url = parse("http://[::1]/").unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.path.as_str()),
            ("::1", 80, "/")
        );
        assert_eq!(url.host_header(), "[::1]");
        assert_eq!(parse("http://localhost:9").unwrap().path, "/");
        assert_eq!(parse("http://[::1]:8080?q").unwrap().path, "/?q");
        assert_eq!(parse("HTTP://127.0.0.1:/").unwrap().port, 80);
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
    fn ports_outside_1_to_65535_are_refused_not_defaulted() {
        for port in ["65536", "99999", "-1", "abc", "0", "+80", "8080x"] {
            for host in ["127.0.0.1", "[::1]", "localhost"] {
                let text = format!("http://{host}:{port}/x");
                let err = parse(&text).unwrap_err();
                assert!(err.contains(&format!("invalid port `{port}`")), "{err}");
            }
        }
        assert_eq!(parse("http://127.0.0.1:65535/").unwrap().port, 65535);
        assert_eq!(parse("https://127.0.0.1:1/").unwrap().port, 1);
    }

    #[test]
    fn user_info_becomes_basic_authorization() {
        let url = parse("http://user:pa%20ss@127.0.0.1:8080/x").unwrap();
        // base64("user:pa ss")
        assert_eq!(url.authorization.as_deref(), Some("Basic dXNlcjpwYSBzcw=="));
        assert_eq!((url.host.as_str(), url.port), ("127.0.0.1", 8080));
        let url = parse("http://alice@[::1]/").unwrap();
        assert_eq!(url.authorization.as_deref(), Some("Basic YWxpY2U6"));
        let mut headers = vec![("authorization".to_string(), "Bearer t".to_string())];
        url.add_authorization(&mut headers);
        assert_eq!(headers.len(), 1, "an explicit header wins");
        let mut headers = Vec::new();
        url.add_authorization(&mut headers);
        assert_eq!(
            headers,
            vec![("Authorization".into(), "Basic YWxpY2U6".into())]
        );
    }

    #[test]
    fn passwords_are_redacted_for_display() {
        assert_eq!(
            redact("http://u:secret@127.0.0.1:80/p?q"),
            "http://u:***@127.0.0.1:80/p?q"
        );
        assert_eq!(redact("http://u@h/"), "http://u@h/");
        assert_eq!(redact("http://h/a@b"), "http://h/a@b");
    }

    #[test]
    fn refuses_what_it_cannot_load() {
        assert!(
            parse("ftp://example.com/")
                .unwrap_err()
                .contains("supported: http, https")
        );
        for text in ["127.0.0.1:8080", "127.0.0.1:8080/x", "localhost/x"] {
            let err = parse(text).unwrap_err();
            assert!(err.contains("missing scheme (e.g. http://"), "{err}");
        }
        assert!(parse("http://").unwrap_err().contains("invalid URL"));
        assert!(parse("http:///x").unwrap_err().contains("invalid URL"));
        assert!(parse("not a url").unwrap_err().contains("invalid URL"));
    }
}
