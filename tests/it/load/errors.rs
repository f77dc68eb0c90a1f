//! Failures are counted by kind and never stop a run.

use std::time::Duration;

use loadtop::load::{self, EngineError, LoadConfig, Model, RequestSpec};
use loadtop::stats::ErrorKind;

use super::targets::{Behavior, OK_RESPONSE, Target, garbage_target};
use super::{collect_ticks, stop_and_total};

fn config_for(addr: std::net::SocketAddr) -> LoadConfig {
    let mut config = LoadConfig::new(addr, RequestSpec::get(addr.to_string(), "/"));
    config.threads = 1;
    config.connections = 2;
    config.tick = Duration::from_millis(100);
    config
}

#[test]
fn refused_connections_are_counted_and_retried_with_backoff() {
    let addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let engine = load::start(config_for(addr)).unwrap();
    let ticks = collect_ticks(&engine, Duration::from_millis(600), |_| false);
    let total = stop_and_total(engine, ticks);
    let refused = total.errors[ErrorKind::ConnectRefused.index()];
    assert!(refused >= 2, "refused {refused}");
    // 10 ms doubling: about 6 attempts per connection in 600 ms, not thousands.
    assert!(
        refused <= 40,
        "refused {refused}: backoff is not backing off"
    );
    assert_eq!(total.responses, 0);
    assert_eq!(total.connects, 0);
}

#[test]
fn slow_responses_time_out() {
    let target = Target::start(Behavior::Slow(Duration::from_secs(3)));
    let mut config = target.config();
    config.threads = 1;
    config.connections = 2;
    config.timeout = Duration::from_millis(200);
    let engine = load::start(config).unwrap();
    let ticks = collect_ticks(&engine, Duration::from_millis(700), |_| false);
    let total = stop_and_total(engine, ticks);
    assert!(total.errors[ErrorKind::RequestTimeout.index()] >= 2);
    assert_eq!(total.responses, 0);
}

#[test]
fn connections_closed_before_an_answer_count_as_resets() {
    let target = Target::start(Behavior::CloseWithoutAnswer);
    let engine = load::start(target.config()).unwrap();
    let ticks = collect_ticks(&engine, Duration::from_millis(500), |_| false);
    let total = stop_and_total(engine, ticks);
    assert!(total.errors[ErrorKind::Reset.index()] >= 1);
    assert_eq!(total.responses, 0);
    assert!(total.connects >= 1);
}

#[test]
fn garbage_answers_are_malformed() {
    let (addr, server) = garbage_target(b"this is not http\r\n\r\n");
    let engine = load::start(config_for(addr)).unwrap();
    let ticks = collect_ticks(&engine, Duration::from_millis(500), |_| false);
    let total = stop_and_total(engine, ticks);
    assert!(total.errors[ErrorKind::Malformed.index()] >= 1);
    assert_eq!(total.responses, 0);
    server.join().unwrap();
}

#[test]
fn connects_to_a_full_backlog_time_out() {
    // A listener that never accepts: once its queue is full, SYNs go unanswered.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _listener = runtime.block_on(async { socket.listen(1) }).unwrap();
    let mut config = config_for(addr);
    config.connections = 8;
    config.threads = 1;
    config.connect_timeout = Duration::from_millis(200);
    config.timeout = Duration::from_millis(300);
    let engine = load::start(config).unwrap();
    let ticks = collect_ticks(&engine, Duration::from_millis(800), |_| false);
    let total = stop_and_total(engine, ticks);
    assert!(
        total.errors[ErrorKind::ConnectTimeout.index()] >= 1,
        "errors {:?}",
        total.errors
    );
    assert_eq!(total.responses, 0);
}

#[test]
fn a_target_that_dies_mid_run_is_survived() {
    let mut target = Target::start(Behavior::Respond(OK_RESPONSE));
    let mut config = target.config();
    config.threads = 2;
    config.connections = 4;
    config.model = Model::Open { rate: 400.0 };
    let engine = load::start(config).unwrap();
    let mut ticks = collect_ticks(&engine, Duration::from_millis(400), |_| false);
    target.kill();
    let served = target.requests();
    ticks.extend(collect_ticks(&engine, Duration::from_millis(600), |_| {
        false
    }));
    let total = stop_and_total(engine, ticks);
    assert!(total.responses > 0);
    assert!(total.responses <= served);
    let failures =
        total.errors[ErrorKind::Reset.index()] + total.errors[ErrorKind::ConnectRefused.index()];
    assert!(failures >= 1, "errors {:?}", total.errors);
    assert_eq!(total.errors[ErrorKind::Malformed.index()], 0);
}

#[test]
fn bad_configs_are_refused_before_the_run() {
    let addr = "127.0.0.1:9".parse().unwrap();
    let mut config = config_for(addr);
    config.threads = 0;
    assert!(matches!(
        load::start(config),
        Err(EngineError::InvalidConfig(_))
    ));
    let mut config = config_for(addr);
    config.model = Model::Open { rate: f64::NAN };
    assert!(matches!(
        load::start(config),
        Err(EngineError::InvalidConfig(_))
    ));
    let mut config = config_for(addr);
    config.connections = 1 << 40;
    let error = load::start(config).err().unwrap();
    assert!(matches!(error, EngineError::FileLimit { .. }), "{error}");
    assert!(
        error.to_string().contains("1099511627776 connections"),
        "{error}"
    );
    let mut config = config_for(addr);
    config.requests[0].spec.method = "GE T".into();
    assert!(matches!(
        load::start(config),
        Err(EngineError::InvalidRequest(_))
    ));
}

#[test]
fn stop_is_prompt_against_a_stalled_target() {
    let target = Target::start(Behavior::Slow(Duration::from_secs(5)));
    let mut config = target.config();
    config.threads = 1;
    config.connections = 3;
    config.timeout = Duration::from_secs(30);
    let engine = load::start(config).unwrap();
    let ticks = collect_ticks(&engine, Duration::from_millis(300), |_| false);
    let stopping = std::time::Instant::now();
    let total = stop_and_total(engine, ticks);
    assert!(
        stopping.elapsed() < Duration::from_secs(4),
        "stop took {:?}",
        stopping.elapsed()
    );
    // The three requests in flight are abandoned and counted, not lost.
    assert_eq!(total.errors[ErrorKind::RequestTimeout.index()], 3);
    assert_eq!(target.requests(), 3);
}
