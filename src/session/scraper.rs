//! The pool scraper: a thread that GETs a URL target's own Prometheus page
//! (`metrics_url`) once a second and sends the connection pools it reads
//! ([`crate::diagnosis::pool_metrics`]) as an [`Event`]. Like the target
//! probe it keeps network I/O off the session thread. A page that fails is
//! said once, when it starts failing and again when it recovers, never
//! once a second.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use crate::diagnosis::pool_metrics::{self, PoolPage};
use crate::load::url::HttpUrl;
use crate::report::EventKind;
use crate::server::admin_client;

use super::events::Event;
use super::helper::{Helper, STOP_CHECK};

const SCRAPE_EVERY: Duration = Duration::from_secs(1);
/// Short enough that a slow page never delays the next second's reading
/// by more than itself: a page that takes longer is as good as missing.
const SCRAPE_TIMEOUT: Duration = Duration::from_millis(800);
/// A scrape in progress ends by its own timeout; the join waits that long.
const JOIN_BOUND: Duration = Duration::from_secs(1);

/// Starts scraping `url`; dropping the helper stops it.
pub fn spawn(url: HttpUrl, events: Sender<Event>) -> Option<Helper> {
    Helper::spawn("loadtop-scraper", JOIN_BOUND, move |stop| {
        run(&url, &events, stop);
    })
}

/// What was last said about the page, so each change is said once.
#[derive(Default)]
struct Said {
    failing: bool,
    no_pools: bool,
    malformed: bool,
}

fn run(url: &HttpUrl, events: &Sender<Event>, stop: &AtomicBool) {
    let mut said = Said::default();
    loop {
        let began = Instant::now();
        let mut outbox = Vec::new();
        match scrape(url) {
            Ok(page) => {
                if std::mem::take(&mut said.failing) {
                    outbox.push(note(EventKind::Target, "metrics_url reachable again"));
                }
                if page.pools.is_empty() && !std::mem::replace(&mut said.no_pools, true) {
                    outbox.push(note(
                        EventKind::Warning,
                        "metrics_url: no pool gauges found (looked for db_client_connection_*, \
                         db_client_connections_* and hikaricp_connections_*)",
                    ));
                }
                if let Some(first) = page.malformed.first()
                    && !std::mem::replace(&mut said.malformed, true)
                {
                    outbox.push(note(
                        EventKind::Warning,
                        &format!("metrics_url: a pool gauge could not be read ({first})"),
                    ));
                }
                outbox.push(Event::Pools(page.pools));
            }
            Err(reason) => {
                if !std::mem::replace(&mut said.failing, true) {
                    outbox.push(note(
                        EventKind::Warning,
                        &format!("metrics_url unreachable: {reason}"),
                    ));
                    // Stale gauges must not keep deciding the verdict.
                    outbox.push(Event::Pools(Vec::new()));
                }
            }
        }
        for event in outbox {
            if events.send(event).is_err() {
                return;
            }
        }
        let next = began + SCRAPE_EVERY;
        while Instant::now() < next {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(STOP_CHECK.min(next.saturating_duration_since(Instant::now())));
        }
        if stop.load(Ordering::Relaxed) {
            return;
        }
    }
}

fn note(kind: EventKind, text: &str) -> Event {
    Event::PoolsNote(kind, text.to_string())
}

/// One GET of the page, read with the admin client's HTTP/1.1 client.
fn scrape(url: &HttpUrl) -> Result<PoolPage, String> {
    let addr: SocketAddr = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {}: {e}", url.host))?
        .next()
        .ok_or_else(|| format!("cannot resolve {}", url.host))?;
    let mut headers = vec![("Accept", "text/plain")];
    if let Some(auth) = &url.authorization {
        headers.push(("Authorization", auth.as_str()));
    }
    let response = admin_client::request(addr, "GET", &url.path, &headers, b"", SCRAPE_TIMEOUT)
        .map_err(|e| match e.kind() {
            // A read timeout surfaces as EAGAIN ("Resource temporarily unavailable").
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                format!("{addr}: no answer within {} ms", SCRAPE_TIMEOUT.as_millis())
            }
            _ => format!("{addr}: {e}"),
        })?;
    if response.status != 200 {
        return Err(format!("{addr}{} answered {}", url.path, response.status));
    }
    Ok(pool_metrics::parse(&response.text()))
}

#[cfg(test)]
#[path = "scraper_tests.rs"]
mod tests;
