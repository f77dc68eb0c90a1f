//! Exact counting: what the engine reports equals what the server saw.

use std::time::Duration;

use loadtop::load::{self, Model};
use loadtop::stats::ErrorKind;

use super::targets::{Behavior, CHUNKED_RESPONSE, CLOSE_RESPONSE, OK_RESPONSE, Target};
use super::{collect_ticks, stop_and_total};

#[test]
fn closed_model_with_max_requests_counts_exactly() {
    let target = Target::start(Behavior::Respond(OK_RESPONSE));
    let mut config = target.config();
    config.threads = 2;
    config.connections = 8;
    config.max_requests = Some(2001);
    let engine = load::start(config).unwrap();
    let ticks = collect_ticks(&engine, Duration::from_secs(20), |tick| tick.done);
    assert!(
        ticks.last().is_some_and(|tick| tick.done),
        "run never finished"
    );
    let total = stop_and_total(engine, ticks);
    assert_eq!(total.responses, 2001);
    assert_eq!(target.requests(), 2001);
    assert_eq!(total.status[200], 2001);
    assert_eq!(total.bytes_read, 2001 * OK_RESPONSE.len() as u64);
    assert_eq!(total.connects, 8);
    assert_eq!(total.error_count(), 0);
}

#[test]
fn closed_model_stopped_mid_run_counts_exactly() {
    let target = Target::start(Behavior::Respond(OK_RESPONSE));
    let mut config = target.config();
    config.threads = 2;
    config.connections = 4;
    let engine = load::start(config).unwrap();
    let ticks = collect_ticks(&engine, Duration::from_millis(500), |_| false);
    let total = stop_and_total(engine, ticks);
    assert!(total.responses > 0);
    assert_eq!(total.responses, target.requests());
    assert_eq!(total.latency.len(), total.responses);
    // Closed model: latency is service time.
    assert_eq!(total.latency.max(), total.service.max());
}

#[test]
fn open_model_hits_its_rate_and_counts_exactly() {
    let target = Target::start(Behavior::Respond(OK_RESPONSE));
    let mut config = target.config();
    config.threads = 2;
    config.connections = 4;
    config.model = Model::Open { rate: 200.0 };
    let engine = load::start(config).unwrap();
    let ticks = collect_ticks(&engine, Duration::from_secs(2), |_| false);
    let elapsed = ticks.last().unwrap().elapsed.as_secs_f64();
    let seen: u64 = ticks.iter().map(|tick| tick.interval.responses).sum();
    let achieved = seen as f64 / elapsed;
    assert!(
        (160.0..=240.0).contains(&achieved),
        "achieved {achieved} req/s"
    );
    let total = stop_and_total(engine, ticks);
    assert_eq!(total.responses, target.requests());
    assert_eq!(total.error_count(), 0);
}

#[test]
fn open_model_with_max_requests_stops_at_the_quota() {
    let target = Target::start(Behavior::Respond(OK_RESPONSE));
    let mut config = target.config();
    config.threads = 2;
    config.connections = 3;
    config.model = Model::Open { rate: 500.0 };
    config.max_requests = Some(150);
    let engine = load::start(config).unwrap();
    let ticks = collect_ticks(&engine, Duration::from_secs(10), |tick| tick.done);
    assert!(ticks.last().is_some_and(|tick| tick.done));
    let total = stop_and_total(engine, ticks);
    assert_eq!(total.responses, 150);
    assert_eq!(target.requests(), 150);
}

#[test]
fn open_model_corrects_latency_for_a_stalling_server() {
    let stall = Duration::from_millis(500);
    let target = Target::start(Behavior::StallOnce {
        after: Duration::from_millis(1000),
        stall,
    });
    let mut config = target.config();
    config.threads = 1;
    config.connections = 2;
    config.model = Model::Open { rate: 200.0 };
    let engine = load::start(config).unwrap();
    let ticks = collect_ticks(&engine, Duration::from_millis(2500), |_| false);
    let total = stop_and_total(engine, ticks);
    let stall_us = stall.as_micros() as u64;
    // Requests intended during the stall waited for it: about S - 1% of the
    // run's length for p99, the whole stall for the max.
    assert!(
        total.latency.value_at_quantile(0.99) >= stall_us * 9 / 10,
        "corrected p99 {} us",
        total.latency.value_at_quantile(0.99)
    );
    assert!(total.latency.max() >= stall_us);
    // Only the requests in flight when the stall began saw it as service time.
    assert!(
        total.service.value_at_quantile(0.99) < stall_us / 2,
        "service p99 {} us",
        total.service.value_at_quantile(0.99)
    );
    assert!(total.late_sends > 0);
}

#[test]
fn chunked_bodies_are_framed_and_counted() {
    let target = Target::start(Behavior::Respond(CHUNKED_RESPONSE));
    let mut config = target.config();
    config.threads = 1;
    config.connections = 2;
    config.max_requests = Some(100);
    let engine = load::start(config).unwrap();
    let ticks = collect_ticks(&engine, Duration::from_secs(10), |tick| tick.done);
    let total = stop_and_total(engine, ticks);
    assert_eq!(total.responses, 100);
    assert_eq!(total.bytes_read, 100 * CHUNKED_RESPONSE.len() as u64);
    assert_eq!(total.connects, 2, "chunked responses keep the connection");
    assert_eq!(total.error_count(), 0);
}

#[test]
fn server_connection_close_reconnects_without_errors() {
    let target = Target::start(Behavior::Respond(CLOSE_RESPONSE));
    let mut config = target.config();
    config.threads = 1;
    config.connections = 2;
    config.max_requests = Some(60);
    let engine = load::start(config).unwrap();
    let ticks = collect_ticks(&engine, Duration::from_secs(10), |tick| tick.done);
    let total = stop_and_total(engine, ticks);
    assert_eq!(total.responses, 60);
    // Each response closes; a connection may reconnect just before the
    // quota runs out elsewhere, so up to one spare connect per connection.
    assert!((60..=62).contains(&total.connects), "{}", total.connects);
    assert_eq!(total.error_count(), 0);
    assert_eq!(target.requests(), 60);
}

#[test]
fn keepalive_off_sends_connection_close_and_reconnects() {
    let target = Target::start(Behavior::Respond(OK_RESPONSE));
    let mut config = target.config();
    config.threads = 1;
    config.connections = 2;
    config.keepalive = false;
    config.max_requests = Some(40);
    let engine = load::start(config).unwrap();
    let ticks = collect_ticks(&engine, Duration::from_secs(10), |tick| tick.done);
    let total = stop_and_total(engine, ticks);
    assert_eq!(total.responses, 40);
    assert!((40..=42).contains(&total.connects), "{}", total.connects);
    assert_eq!(total.errors[ErrorKind::Reset.index()], 0);
}

#[test]
fn head_requests_expect_no_body() {
    let target = Target::start(Behavior::Respond(
        b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
    ));
    let mut config = target.config();
    config.requests[0].spec.method = "HEAD".into();
    config.threads = 1;
    config.connections = 1;
    config.max_requests = Some(20);
    let engine = load::start(config).unwrap();
    let ticks = collect_ticks(&engine, Duration::from_secs(10), |tick| tick.done);
    let total = stop_and_total(engine, ticks);
    assert_eq!(total.responses, 20);
    assert_eq!(total.connects, 1);
}
