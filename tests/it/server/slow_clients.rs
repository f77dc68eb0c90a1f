//! Clients that send and never read: the server must stop producing output
//! once the socket is full (backpressure), so its memory stays bounded
//! whatever the client does. Measured on a real `loadtop serve` process
//! (VmRSS from /proc/PID/status), over plain HTTP/1.1 and HTTPS.

use std::io::{ErrorKind, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;

use super::http_client::{block_on, client_config, connect_tls};
use crate::support::{Spawned, serve_with};

/// Far more than the socket buffers and hyper's 64 KiB write buffer hold,
/// far less than the file (256 MiB) or the responses to the pipelined
/// requests (~200 MB before backpressure was restored).
const RSS_GROWTH_LIMIT_KB: u64 = 64 * 1024;
/// Pipelined responses are small: with backpressure the server stops
/// reading after ~100,000 requests and grows by well under 1 MB.
const PIPELINED_GROWTH_LIMIT_KB: u64 = 16 * 1024;
/// How long the server gets to (wrongly) fill its memory.
const WATCH: Duration = Duration::from_secs(3);

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmRSS in {status}"))
}

/// The highest RSS of `pid` above `baseline` seen while watching.
fn peak_growth_kb(pid: u32, baseline: u64) -> u64 {
    let deadline = Instant::now() + WATCH;
    let mut peak = 0;
    while Instant::now() < deadline {
        peak = peak.max(rss_kb(pid).saturating_sub(baseline));
        std::thread::sleep(Duration::from_millis(50));
    }
    peak
}

fn addr_of(url: &str) -> SocketAddr {
    url.split_once("://").unwrap().1.parse().unwrap()
}

/// A 256 MiB sparse file: costs no disk, reads as zeros at memory speed.
fn big_file(dir: &Path) {
    let file = std::fs::File::create(dir.join("big.bin")).unwrap();
    file.set_len(256 * 1024 * 1024).unwrap();
}

fn static_server(dir: &Path, extra: &[&str]) -> (Spawned, SocketAddr, u64) {
    let mut args = vec!["--static-dir", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let (server, url) = serve_with(&args);
    let baseline = rss_kb(server.0.id());
    (server, addr_of(&url), baseline)
}

const BIG_GET: &[u8] = b"GET /static/big.bin HTTP/1.1\r\nHost: x\r\n\r\n";

#[test]
fn a_client_that_never_reads_a_big_file_does_not_grow_the_server() {
    let dir = tempfile::tempdir().unwrap();
    big_file(dir.path());
    let (server, addr, baseline) = static_server(dir.path(), &[]);
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(BIG_GET).unwrap();
    let growth = peak_growth_kb(server.0.id(), baseline);
    assert!(
        growth < RSS_GROWTH_LIMIT_KB,
        "server RSS grew {growth} kB while a client did not read"
    );
    drop(stream);
    assert_eq!(super::get(addr, "/plaintext").status, 200);
}

#[test]
fn a_tls_client_that_never_reads_a_big_file_does_not_grow_the_server() {
    let dir = tempfile::tempdir().unwrap();
    big_file(dir.path());
    let cert = dir.path().join("cert.pem");
    let (server, addr, _) = static_server(
        dir.path(),
        &["--tls", "--tls-cert-out", cert.to_str().unwrap()],
    );
    let pem = std::fs::read_to_string(&cert).unwrap();
    let pid = server.0.id();
    block_on(async move {
        let mut stream = connect_tls(addr, client_config(&pem, b"http/1.1"))
            .await
            .unwrap();
        // After the handshake, so the baseline holds the TLS session.
        let baseline = rss_kb(pid);
        stream.write_all(BIG_GET).await.unwrap();
        stream.flush().await.unwrap();
        let growth = tokio::task::spawn_blocking(move || peak_growth_kb(pid, baseline))
            .await
            .unwrap();
        assert!(
            growth < RSS_GROWTH_LIMIT_KB,
            "server RSS grew {growth} kB while a TLS client did not read"
        );
    });
}

#[test]
fn pipelined_requests_never_read_do_not_grow_the_server() {
    let (server, url) = serve_with(&[]);
    let addr = addr_of(&url);
    let baseline = rss_kb(server.0.id());
    let mut stream = TcpStream::connect(addr).unwrap();
    // Once the server stops reading, our writes block: that is the
    // backpressure under test, so a blocked write ends the sending.
    stream
        .set_write_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let batch = b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n".repeat(1000);
    let sender = std::thread::spawn(move || {
        let mut sent = 0;
        // 600,000 requests: with backpressure lost (hyper's `pipeline_flush`)
        // a release server took them all and grew by ~95 MB; 200,000 grew it
        // by only ~32 MB, under the limit, so fewer would not catch it.
        for _ in 0..600 {
            match stream.write(&batch) {
                Ok(n) => sent += n,
                Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    break;
                }
                Err(err) => panic!("pipelined send failed: {err}"),
            }
        }
        (stream, sent)
    });
    let growth = peak_growth_kb(server.0.id(), baseline);
    let (stream, sent) = sender.join().unwrap();
    assert!(
        growth < PIPELINED_GROWTH_LIMIT_KB,
        "server RSS grew {growth} kB after {sent} bytes of pipelined requests"
    );
    drop(stream);
    assert_eq!(super::get(addr, "/plaintext").status, 200);
}
