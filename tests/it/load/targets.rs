//! Small misbehaving HTTP targets for the engine tests: each runs on its own
//! thread with a current-thread runtime, counts the requests it parsed, and
//! is killed (listener and every connection closed) on `kill` or drop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use super::background::Background;
use loadtop::load::{LoadConfig, RequestSpec};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

pub const OK_RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
/// Two complete answers in one write.
const TWO_RESPONSES: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
pub const CHUNKED_RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
    5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: yes\r\n\r\n";
pub const CLOSE_RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";

#[derive(Clone, Copy, Debug)]
pub enum Behavior {
    /// Answers every request with `response`, keeping the connection open
    /// unless the response says `Connection: close`.
    Respond(&'static [u8]),
    /// Like `Respond(OK_RESPONSE)`, but the whole server freezes for `stall`
    /// once, `after` its start.
    StallOnce { after: Duration, stall: Duration },
    /// Reads a request, then closes without answering.
    CloseWithoutAnswer,
    /// Waits this long before answering each request.
    Slow(Duration),
    /// Answers every request twice (one write holding both responses): a
    /// broken target whose extra answer nobody asked for.
    AnswerTwice,
}

pub struct Target {
    pub addr: SocketAddr,
    server: Background,
}

impl Target {
    pub fn start(behavior: Behavior) -> Self {
        let server = Background::start(move |listener, counter| async move {
            accept_loop(listener, behavior, counter, Instant::now()).await;
        });
        Target {
            addr: server.addr,
            server,
        }
    }

    pub fn requests(&self) -> u64 {
        self.server.requests()
    }

    pub fn kill(&mut self) {
        self.server.stop();
    }

    pub fn config(&self) -> LoadConfig {
        let mut config = LoadConfig::new(self.addr, RequestSpec::get(self.addr.to_string(), "/"));
        config.tick = Duration::from_millis(100);
        config.timeout = Duration::from_secs(2);
        config.connect_timeout = Duration::from_secs(1);
        config
    }
}

async fn accept_loop(
    listener: TcpListener,
    behavior: Behavior,
    counter: Arc<AtomicU64>,
    started: Instant,
) {
    let stall_until = Arc::new(std::sync::Mutex::new(None::<Instant>));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let counter = counter.clone();
        let stall_until = stall_until.clone();
        tokio::spawn(async move {
            let _ = serve(stream, behavior, counter, started, stall_until).await;
        });
    }
}

async fn serve(
    mut stream: TcpStream,
    behavior: Behavior,
    counter: Arc<AtomicU64>,
    started: Instant,
    stall_until: Arc<std::sync::Mutex<Option<Instant>>>,
) -> std::io::Result<()> {
    let mut pending = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        pending.extend_from_slice(&buf[..n]);
        // Requests carry no body in these tests: each ends at a blank line.
        while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            pending.drain(..end + 4);
            counter.fetch_add(1, Ordering::SeqCst);
            let response = match behavior {
                Behavior::Respond(response) => response,
                Behavior::AnswerTwice => TWO_RESPONSES,
                Behavior::StallOnce { after, stall } => {
                    let wake_at = {
                        let mut guard = stall_until.lock().unwrap();
                        if guard.is_none() && started.elapsed() >= after {
                            *guard = Some(Instant::now() + stall);
                        }
                        *guard
                    };
                    if let Some(wake_at) = wake_at {
                        tokio::time::sleep_until(wake_at).await;
                    }
                    OK_RESPONSE
                }
                Behavior::CloseWithoutAnswer => return Ok(()),
                Behavior::Slow(delay) => {
                    tokio::time::sleep(delay).await;
                    OK_RESPONSE
                }
            };
            stream.write_all(response).await?;
            if response == CLOSE_RESPONSE {
                return Ok(());
            }
        }
    }
}

/// A one-shot server answering every connection with `bytes`, then closing.
pub fn garbage_target(bytes: &'static [u8]) -> (SocketAddr, JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(false).unwrap();
    let thread = std::thread::spawn(move || {
        listener
            .set_nonblocking(true)
            .expect("listener can be made non-blocking");
        let deadline = std::time::Instant::now() + Duration::from_secs(3);
        while std::time::Instant::now() < deadline {
            match listener.accept() {
                Ok((mut stream, _)) => {
                    use std::io::{Read, Write};
                    let _ = stream.set_nonblocking(false);
                    let mut buf = [0u8; 1024];
                    let _ = stream.read(&mut buf);
                    let _ = stream.write_all(bytes);
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    });
    (addr, thread)
}
