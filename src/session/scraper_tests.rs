//! The scraper against a real socket on loopback: a page that does not
//! answer yet is said once, and its recovery once, with the pools it then
//! gives.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use super::*;
use crate::diagnosis::pool_metrics::ScrapedPool;

const PAGE: &str = "# TYPE hikaricp_connections_active gauge\n\
                    hikaricp_connections_active{pool=\"HikariPool-1\",} 10.0\n\
                    hikaricp_connections_max{pool=\"HikariPool-1\",} 10.0\n\
                    hikaricp_connections_pending{pool=\"HikariPool-1\",} 3.0\n";

fn next(events: &Receiver<Event>) -> Event {
    events
        .recv_timeout(Duration::from_secs(20))
        .expect("the scraper said nothing")
}

/// Answers every GET with `page` until the test ends.
fn serve_page(listener: TcpListener, page: &'static str) {
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut request = [0u8; 1024];
            let _ = stream.read(&mut request);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{page}",
                page.len()
            );
        }
    });
}

#[test]
fn an_unreachable_page_is_said_once_and_its_recovery_once() {
    // Bound but not accepting yet: each scrape times out (no port to lose
    // to another process between a close and a rebind).
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let url = crate::parse::parse_metrics_url(&format!("http://{addr}/metrics")).unwrap();
    let (events_tx, events) = channel();
    let scraper = spawn(url, events_tx).unwrap();
    match next(&events) {
        Event::PoolsNote(EventKind::Warning, text) => {
            assert!(
                text.starts_with("metrics_url unreachable: ")
                    && text.ends_with("no answer within 800 ms"),
                "{text}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(next(&events), Event::Pools(pools) if pools.is_empty()));
    // Two more failed scrapes say nothing.
    let quiet_until = Instant::now() + Duration::from_millis(2500);
    while let Some(left) = quiet_until.checked_duration_since(Instant::now()) {
        if let Ok(event) = events.recv_timeout(left) {
            panic!("said again: {event:?}");
        }
    }
    serve_page(listener, PAGE);
    match next(&events) {
        Event::PoolsNote(EventKind::Target, text) => {
            assert_eq!(text, "metrics_url reachable again")
        }
        other => panic!("{other:?}"),
    }
    match next(&events) {
        Event::Pools(pools) => assert_eq!(
            pools,
            [ScrapedPool {
                name: Some("HikariPool-1".into()),
                max: Some(10),
                used: Some(10),
                pending: Some(3),
                ..ScrapedPool::default()
            }]
        ),
        other => panic!("{other:?}"),
    }
    // Pools every second from now on, and nothing else to say.
    assert!(matches!(next(&events), Event::Pools(pools) if pools.len() == 1));
    drop(scraper);
}

#[test]
fn a_page_without_pool_gauges_is_said_once() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    serve_page(listener, "# TYPE up gauge\nup 1\n");
    let url = crate::parse::parse_metrics_url(&format!("http://{addr}/metrics")).unwrap();
    let (events_tx, events) = channel();
    let scraper = spawn(url, events_tx).unwrap();
    match next(&events) {
        Event::PoolsNote(EventKind::Warning, text) => {
            assert!(
                text.starts_with("metrics_url: no pool gauges found"),
                "{text}"
            )
        }
        other => panic!("{other:?}"),
    }
    for _ in 0..2 {
        assert!(matches!(next(&events), Event::Pools(pools) if pools.is_empty()));
    }
    drop(scraper);
}
