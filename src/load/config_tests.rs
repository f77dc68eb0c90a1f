use bytes::Bytes;

use super::*;

#[test]
fn url_with_port_path_and_query() {
    let (addr, spec) = RequestSpec::from_url("http://127.0.0.1:8080/a/b?x=1#frag").unwrap();
    assert_eq!(addr, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(spec.path, "/a/b?x=1");
    assert_eq!(spec.host, "127.0.0.1:8080");
    let (addr, spec) = RequestSpec::from_url("http://[::1]?q").unwrap();
    assert_eq!(addr, "[::1]:80".parse().unwrap());
    assert_eq!(spec.path, "/?q");
    assert_eq!(spec.host, "[::1]");
}

#[test]
fn https_urls_default_to_443_and_carry_tls() {
    let (addr, spec) = RequestSpec::from_url("https://127.0.0.1/x").unwrap();
    assert_eq!(addr, "127.0.0.1:443".parse().unwrap());
    assert_eq!(spec.host, "127.0.0.1");
    let config = LoadConfig::for_url("https://[::1]:8443/").unwrap();
    assert_eq!(config.addr, "[::1]:8443".parse().unwrap());
    let tls = config.transport.tls.unwrap();
    assert_eq!(tls.server_name, "::1");
    assert!(!tls.insecure, "verification is never off by default");
    let plain = LoadConfig::for_url("http://127.0.0.1:1/").unwrap();
    assert_eq!(plain.transport, Transport::default());
}

#[test]
fn stream_counts_are_bounded() {
    let mut config = LoadConfig::for_url("http://127.0.0.1:1/").unwrap();
    config.transport.h2_streams = 0;
    assert!(config.validate().is_err());
    config.transport.h2_streams = 8;
    assert!(config.validate().is_ok());
}

#[test]
fn other_schemes_and_garbage_urls_are_rejected() {
    let err = RequestSpec::from_url("ftp://127.0.0.1/").unwrap_err();
    assert!(
        err.to_string().contains("unsupported scheme `ftp`"),
        "{err}"
    );
    assert!(RequestSpec::from_url("127.0.0.1/").is_err());
    assert!(RequestSpec::from_url("http://127.0.0.1:99999/").is_err());
    assert!(RequestSpec::from_url("http:///x").is_err());
    let err = RequestSpec::from_url("http://127.0.0.1:-1/").unwrap_err();
    assert!(err.to_string().contains("invalid port `-1`"), "{err}");
}

#[test]
fn url_credentials_become_an_authorization_header() {
    let (_, spec) = RequestSpec::from_url("http://u:p@127.0.0.1:8080/x").unwrap();
    assert_eq!(spec.host, "127.0.0.1:8080");
    assert_eq!(
        spec.headers,
        vec![("Authorization".to_string(), "Basic dTpw".to_string())]
    );
    let err = RequestSpec::from_url("http://u:secret@127.0.0.1:0x/").unwrap_err();
    assert!(!err.to_string().contains("secret"), "{err}");
}

#[test]
fn request_bytes_carry_length_and_close() {
    let mut spec = RequestSpec::get("h:1", "/p");
    spec.method = "POST".into();
    spec.body = Bytes::from_static(b"abc");
    spec.headers.push(("X-A".into(), "1".into()));
    let bytes = spec.to_bytes(false);
    assert_eq!(
        &bytes[..],
        b"POST /p HTTP/1.1\r\nHost: h:1\r\nX-A: 1\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"
    );
    let get = RequestSpec::get("h", "/").to_bytes(true);
    assert_eq!(&get[..], b"GET / HTTP/1.1\r\nHost: h\r\n\r\n");
}

#[test]
fn header_injection_is_rejected() {
    let mut spec = RequestSpec::get("h", "/");
    spec.headers.push(("X".into(), "a\r\nEvil: 1".into()));
    assert!(spec.validate().is_err());
    spec.headers.clear();
    spec.path = "/a b".into();
    assert!(spec.validate().is_err());
}
