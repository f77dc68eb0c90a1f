//! Hostile or broken clients: slowloris, oversized bodies and heads,
//! malformed requests. The server answers or closes, and keeps serving.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use loadtop::server::ServerConfig;
use loadtop::server::admin_client::parse_response;

use super::{InProc, get};

fn raw_exchange(addr: std::net::SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(bytes).unwrap();
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

#[test]
fn malformed_requests_get_400_and_the_server_survives() {
    let server = InProc::with_defaults();
    let addr = server.addr();
    for garbage in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET /plaintext HTTP/1.1\r\nBad Header Without Colon\r\n\r\n",
        b"\x00\x01\x02\x03\r\n\r\n",
    ] {
        let raw = raw_exchange(addr, garbage);
        if !raw.is_empty() {
            let status = parse_response(&raw, false).unwrap().status;
            assert!((400..500).contains(&status), "{status}");
        }
    }
    // A head larger than the 64 KiB buffer is refused, not buffered forever.
    let mut huge = b"GET /plaintext HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 200 * 1024));
    huge.extend_from_slice(b"\r\n\r\n");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = stream.write_all(&huge);
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    assert!(!String::from_utf8_lossy(&out).contains("Hello, World!"));
    assert_eq!(get(addr, "/plaintext").status, 200);
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
