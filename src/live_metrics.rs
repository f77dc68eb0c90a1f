//! `--metrics-addr`: the run's live counters and latency quantiles in
//! Prometheus text format, so an existing Prometheus and Grafana can watch a
//! long run. It reads the same snapshots as the dashboard; the engine never
//! knows it exists.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::registry::Registry;
use tokio::sync::watch;

use crate::snapshot::{Model, Snapshot};

/// Binds now (so a bad or busy address is an error before the run) and
/// serves from a thread of its own; returns the bound address.
pub fn serve(
    addr: SocketAddr,
    snapshot_rx: watch::Receiver<Snapshot>,
) -> std::io::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("loadtop-metrics".into())
        .spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                while let Ok((stream, _)) = listener.accept().await {
                    let snapshot_rx = snapshot_rx.clone();
                    tokio::spawn(async move {
                        let service =
                            service_fn(move |request| answer(request, snapshot_rx.clone()));
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        })?;
    Ok(bound)
}

async fn answer(
    request: Request<Incoming>,
    snapshot_rx: watch::Receiver<Snapshot>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, body) = if request.uri().path() == "/metrics" {
        (StatusCode::OK, render(&snapshot_rx.borrow()))
    } else {
        (StatusCode::NOT_FOUND, "try /metrics\n".to_string())
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}

type Labels = Vec<(String, String)>;

/// The Prometheus text of one snapshot.
pub fn render(snapshot: &Snapshot) -> String {
    let mut registry = Registry::with_prefix("loadtop");
    let counter = |registry: &mut Registry, name: &str, help: &str, value: u64| {
        registry.register(name, help, ConstCounter::new(value));
    };
    counter(
        &mut registry,
        "responses",
        "Responses received (any status)",
        snapshot.totals.responses,
    );
    counter(
        &mut registry,
        "failed",
        "Transport errors plus responses with status >= 400",
        snapshot.totals.failed,
    );
    counter(
        &mut registry,
        "bytes_read",
        "Response bytes read",
        snapshot.totals.bytes,
    );

    let latency = Family::<Labels, Gauge<f64, AtomicU64>>::default();
    let last = &snapshot.interval;
    for (quantile, us) in [
        ("0.5", last.p50_us),
        ("0.9", last.p90_us),
        ("0.99", last.p99_us),
        ("0.999", last.p999_us),
        ("1", last.max_us),
    ] {
        latency
            .get_or_create(&vec![("quantile".to_string(), quantile.to_string())])
            .set(us as f64 / 1e6);
    }
    registry.register(
        "latency_seconds",
        "Latency over the last second (open model: from the intended send time)",
        latency,
    );

    let gauge = |registry: &mut Registry, name: &str, help: &str, value: f64| {
        registry.register(name, help, ConstGauge::new(value));
    };
    let rps = snapshot.timeline.last().map_or(0.0, |p| p.rps);
    gauge(
        &mut registry,
        "throughput_rps",
        "Responses per second over the last second",
        rps,
    );
    if let Model::Open { rate } = snapshot.model {
        gauge(
            &mut registry,
            "target_rate_rps",
            "Rate asked for (open model)",
            rate,
        );
    }
    gauge(
        &mut registry,
        "connections",
        "Connections asked for",
        snapshot.connections as f64,
    );
    gauge(
        &mut registry,
        "open_connections",
        "Connections open",
        snapshot.connection_stats.open as f64,
    );
    gauge(
        &mut registry,
        "threads",
        "Generator threads",
        snapshot.threads as f64,
    );
    gauge(
        &mut registry,
        "elapsed_seconds",
        "Time since the run started",
        snapshot.elapsed.as_secs_f64(),
    );
    if let Some(stage) = &snapshot.stage {
        let info = Family::<Labels, Gauge>::default();
        info.get_or_create(&vec![("stage".to_string(), stage.name.clone())])
            .set(1);
        registry.register("stage", "The running stage", info);
    }
    if let Some(resources) = &snapshot.resources {
        gauge(
            &mut registry,
            "generator_cpu_percent",
            "Generator CPU, percent of one core",
            f64::from(resources.cpu_generator),
        );
        gauge(
            &mut registry,
            "generator_rss_bytes",
            "Generator resident memory",
            resources.rss_generator as f64,
        );
        if let Some(cpu) = resources.cpu_target {
            gauge(
                &mut registry,
                "target_cpu_percent",
                "Target CPU, percent of one core",
                f64::from(cpu),
            );
        }
        if let Some(rss) = resources.rss_target {
            gauge(
                &mut registry,
                "target_rss_bytes",
                "Target resident memory",
                rss as f64,
            );
        }
    }
    let mut text = String::new();
    if encode(&mut text, &registry).is_err() {
        text = "# encoding failed\n".to_string();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{LatencyView, StageView, Totals};

    #[test]
    fn renders_counters_quantiles_and_stage() {
        let snapshot = Snapshot {
            model: Model::Open { rate: 500.0 },
            totals: Totals {
                responses: 1234,
                failed: 5,
                bytes: 99,
            },
            interval: LatencyView {
                p50_us: 1500,
                p99_us: 250_000,
                ..LatencyView::default()
            },
            stage: Some(StageView {
                name: "high".into(),
                ..StageView::default()
            }),
            ..Snapshot::default()
        };
        let text = render(&snapshot);
        assert!(text.contains("loadtop_responses_total 1234"), "{text}");
        assert!(text.contains("loadtop_failed_total 5"), "{text}");
        assert!(
            text.contains("loadtop_latency_seconds{quantile=\"0.99\"} 0.25"),
            "{text}"
        );
        assert!(text.contains("loadtop_target_rate_rps 500"), "{text}");
        assert!(text.contains("loadtop_stage{stage=\"high\"} 1"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
