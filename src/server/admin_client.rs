//! A small blocking HTTP/1.1 client for the admin API, used from non-async
//! threads (the session, the profile loader). One request per connection
//! (`Connection: close`), short timeouts, typed errors, never a panic.
//! `request` is public so tests and tools can make one-off raw requests.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::ServerError;
use super::knobs::{KnobPatch, Knobs};
use super::stats::ServerStats;
use crate::load::response::{ParseError, ResponseParser, Sink};

const TIMEOUT: Duration = Duration::from_secs(3);
/// A PATCH that builds the orders index or rebuilds the database pool
/// answers when that is done: seconds on a big table or a busy machine.
const SLOW_PATCH_TIMEOUT: Duration = Duration::from_secs(120);
const MAX_RESPONSE: u64 = 4 * 1024 * 1024;

/// A parsed HTTP response (body de-chunked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request (`Connection: close`) and reads the whole response.
/// `headers` are extra "Name: value" lines.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> std::io::Result<RawResponse> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method == "PATCH" || method == "POST" || method == "PUT" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.take(MAX_RESPONSE).read_to_end(&mut raw)?;
    parse_response(&raw, method == "HEAD")
}

fn invalid(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string())
}

/// Keeps what the generator's parser drops: headers and the body.
struct Collect<'a>(&'a mut RawResponse);

impl Sink for Collect<'_> {
    fn header(&mut self, name: &str, value: &[u8]) {
        let value = String::from_utf8_lossy(value).into_owned();
        self.0.headers.push((name.to_string(), value));
    }

    fn body(&mut self, bytes: &[u8]) {
        self.0.body.extend_from_slice(bytes);
    }
}

/// Parses a complete response as read until the connection closed, with
/// the generator's HTTP/1.1 parser (so both read responses the same way).
pub fn parse_response(raw: &[u8], head_request: bool) -> std::io::Result<RawResponse> {
    let mut response = RawResponse {
        status: 0,
        headers: Vec::new(),
        body: Vec::new(),
    };
    let mut parser = ResponseParser::new(head_request);
    let parsed = parser
        .advance_into(raw, &mut Collect(&mut response))
        .and_then(|_| parser.on_eof());
    match parsed {
        Ok(()) => {
            response.status = parser.status();
            Ok(response)
        }
        Err(ParseError::Malformed) => Err(invalid("malformed response")),
        Err(ParseError::Truncated) => Err(invalid("truncated response")),
    }
}

/// The admin API of one server (blocking; call from a non-async thread).
#[derive(Debug, Clone)]
pub struct AdminClient {
    pub addr: SocketAddr,
    pub token: String,
}

impl AdminClient {
    pub fn new(addr: SocketAddr, token: impl Into<String>) -> Self {
        AdminClient {
            addr,
            token: token.into(),
        }
    }

    pub fn get_knobs(&self) -> Result<Knobs, ServerError> {
        self.call("GET", "/_loadtop/knobs", b"", TIMEOUT)
    }

    pub fn patch_knobs(&self, patch: &KnobPatch) -> Result<Knobs, ServerError> {
        let body = serde_json::to_vec(patch).map_err(|e| self.error(e.to_string()))?;
        let slow = patch.orders_index.is_some() || patch.db_pool_size.is_some();
        let timeout = if slow { SLOW_PATCH_TIMEOUT } else { TIMEOUT };
        self.call("PATCH", "/_loadtop/knobs", &body, timeout)
    }

    pub fn stats(&self) -> Result<ServerStats, ServerError> {
        self.call("GET", "/_loadtop/stats", b"", TIMEOUT)
    }

    fn error(&self, reason: String) -> ServerError {
        ServerError::Admin {
            addr: self.addr,
            reason,
        }
    }

    fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        timeout: Duration,
    ) -> Result<T, ServerError> {
        let auth = format!("Bearer {}", self.token);
        let mut headers = vec![("Authorization", auth.as_str())];
        if !body.is_empty() {
            headers.push(("Content-Type", "application/json"));
        }
        let response = request(self.addr, method, path, &headers, body, timeout)
            .map_err(|e| self.error(e.to_string()))?;
        if response.status != 200 {
            return Err(ServerError::AdminStatus {
                addr: self.addr,
                status: response.status,
                body: response.text().trim().to_string(),
            });
        }
        serde_json::from_slice(&response.body).map_err(|e| self.error(format!("bad JSON: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_chunked_and_sized_bodies() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;x\r\n!\r\n0\r\n\r\n";
        let response = parse_response(raw, false).unwrap();
        assert_eq!(response.body, b"hello!");
        let raw = b"HTTP/1.1 404 Not Found\r\ncontent-length: 3\r\n\r\nabcdef";
        let response = parse_response(raw, false).unwrap();
        assert_eq!(
            (response.status, response.body.as_slice()),
            (404, &b"abc"[..])
        );
        assert!(parse_response(b"garbage", false).is_err());
    }
}
