//! Hostile or broken clients: slowloris, oversized bodies and heads,
//! malformed requests. The server answers or closes, and keeps serving.

use std::io::{Read, Write};
use std::net::TcpStream;

use std::time::{Duration, Instant};

use loadtop::server::ServerConfig;
use loadtop::server::admin_client::parse_response;

use super::{InProc, get};

/// Sends `bytes` and reads until the server closes. A refused request may
/// close the connection before all of it was sent or read (a reset), so
/// write errors are ignored: what came back is what counts.
fn raw_exchange(addr: std::net::SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = stream.write_all(bytes);
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    out
}

#[test]
fn slowloris_connection_is_closed_after_the_header_timeout() {
    let server = InProc::start(ServerConfig {
        header_read_timeout: Duration::from_millis(300),
        ..ServerConfig::default()
    });
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"GET /plaintext HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    let started = Instant::now();
    let mut out = Vec::new();
    // The server must end the connection itself, well before our 10 s.
    let result = stream.read_to_end(&mut out);
    let took = started.elapsed();
    assert!(
        result.is_ok() || took < Duration::from_secs(9),
        "{result:?}"
    );
    assert!(took >= Duration::from_millis(250), "{took:?}");
    assert!(took < Duration::from_secs(9), "{took:?}");
    assert!(!String::from_utf8_lossy(&out).contains("Hello, World!"));
    assert_eq!(get(server.addr(), "/plaintext").status, 200);
}

#[test]
fn oversized_body_gets_413() {
    let server = InProc::with_defaults();
    let addr = server.addr();
    let raw = raw_exchange(
        addr,
        b"POST /json HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(parse_response(&raw, false).unwrap().status, 413);
    let patch = format!(
        "PATCH /_loadtop/knobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Length: 1048586\r\nConnection: close\r\n\r\n",
        server.admin().token
    );
    let raw = raw_exchange(addr, patch.as_bytes());
    assert_eq!(parse_response(&raw, false).unwrap().status, 413);
    assert_eq!(get(addr, "/plaintext").status, 200);
}

fn status_of(raw: &[u8]) -> u16 {
    parse_response(raw, false)
        .unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(raw)))
        .status
}

#[test]
fn malformed_requests_get_hypers_400_or_431_and_the_server_survives() {
    let server = InProc::with_defaults();
    let addr = server.addr();
    for garbage in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET /plaintext HTTP/1.1\r\nBad Header Without Colon\r\n\r\n",
        b"\x00\x01\x02\x03\r\n\r\n",
    ] {
        let raw = raw_exchange(addr, garbage);
        assert_eq!(
            status_of(&raw),
            400,
            "{:?}",
            String::from_utf8_lossy(garbage)
        );
    }
    // More headers than hyper parses (100), and a head over the 64 KiB buffer
    // (a long URI or a long header): 431, not a bare close.
    let mut many_headers = b"GET /plaintext HTTP/1.1\r\nHost: x\r\n".to_vec();
    for i in 0..10_000 {
        many_headers.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
    }
    many_headers.extend_from_slice(b"\r\n");
    let mut long_uri = b"GET /plaintext?".to_vec();
    long_uri.extend(std::iter::repeat_n(b'a', 100 * 1024));
    long_uri.extend_from_slice(b" HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut long_header = b"GET /plaintext HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
    long_header.extend(std::iter::repeat_n(b'a', 200 * 1024));
    long_header.extend_from_slice(b"\r\n\r\n");
    for (what, head) in [
        ("10,000 headers", many_headers),
        ("a 100 KB URI", long_uri),
        ("a 200 KB header", long_header),
    ] {
        let raw = raw_exchange(addr, &head);
        assert_eq!(status_of(&raw), 431, "{what}");
        assert!(!String::from_utf8_lossy(&raw).contains("Hello, World!"));
    }
    assert_eq!(get(addr, "/plaintext").status, 200);
}

#[test]
fn http_1_1_without_exactly_one_host_is_400() {
    let server = InProc::with_defaults();
    let addr = server.addr();
    let no_host = raw_exchange(
        addr,
        b"GET /plaintext HTTP/1.1\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status_of(&no_host), 400);
    let two_hosts = raw_exchange(
        addr,
        b"GET /plaintext HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status_of(&two_hosts), 400);
    // HTTP/1.0 has no Host to require.
    let http10 = raw_exchange(addr, b"GET /plaintext HTTP/1.0\r\n\r\n");
    assert_eq!(status_of(&http10), 200);
    let with_host = raw_exchange(
        addr,
        b"GET /plaintext HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status_of(&with_host), 200);
    assert_eq!(server.admin().stats().unwrap().rejected, 2);
}

#[test]
fn pipelined_requests_are_all_answered_in_order() {
    let server = InProc::with_defaults();
    let count = 2_000;
    let mut batch = Vec::new();
    for id in 0..count {
        batch.extend_from_slice(format!("GET /user/{id} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
    }
    batch.extend_from_slice(b"GET /json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let raw = raw_exchange(server.addr(), &batch);
    let text = String::from_utf8_lossy(&raw);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), count + 1);
    let ids: Vec<u64> = text
        .match_indices("\"user_id\":")
        .map(|(at, key)| {
            let digits = &text[at + key.len()..];
            let end = digits.find(|c: char| !c.is_ascii_digit()).unwrap();
            digits[..end].parse().unwrap()
        })
        .collect();
    assert_eq!(ids, (0..count as u64).collect::<Vec<_>>());
    assert!(
        text.ends_with("{\"message\":\"Hello, World!\"}"),
        "{}",
        &text[text.len() - 200..]
    );
}

#[test]
fn keep_alive_and_pipelining_on_one_connection() {
    let server = InProc::with_defaults();
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let request = b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut batch = request.repeat(3);
    batch.extend_from_slice(b"GET /json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(&batch).unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 4, "{text}");
    assert_eq!(text.matches("Hello, World!").count(), 4, "{text}");
}
