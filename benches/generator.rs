//! Generator benchmark harness: drives the load engine against a URL and
//! prints throughput, its own CPU time per 1,000 requests and peak RSS, so
//! the engine can be compared with wrk before `loadtop bench` exists.
//!
//! ```text
//! generator serve                               # hello server, prints its URL
//! generator URL [-c N] [-t N] [-d SECS] [-R RATE]
//! ```
//! Run the server and the generator as separate processes pinned to
//! different CPUs (`taskset -c 1 ... serve`, `taskset -c 0 ... URL`).
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use loadtop::load::{self, LoadConfig, Model, RequestSpec};
use loadtop::stats::Interval;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("serve") => serve(),
        Some(url) => generate(url, &args[1..]),
        None => {
            eprintln!("usage: generator serve | generator URL [-c N] [-t N] [-d SECS] [-R RATE]")
        }
    }
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn generate(url: &str, args: &[String]) {
    let (addr, request) = RequestSpec::from_url(url).unwrap();
    let mut config = LoadConfig::new(addr, request);
    config.connections = flag(args, "-c").map_or(100, |v| v.parse().unwrap());
    config.threads = flag(args, "-t").map_or(1, |v| v.parse().unwrap());
    if let Some(rate) = flag(args, "-R") {
        config.model = Model::Open {
            rate: rate.parse().unwrap(),
        };
    }
    let seconds: f64 = flag(args, "-d").map_or(10.0, |v| v.parse().unwrap());
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let engine = load::start(config).unwrap();
    let mut total = Interval::new();
    let mut rss_samples = Vec::new();
    while started.elapsed().as_secs_f64() < seconds {
        if let Ok(tick) = engine.ticks().recv_timeout(Duration::from_millis(100)) {
            total.merge(&tick.interval);
            rss_samples.push(status_kib("VmRSS:"));
        }
    }
    let last = engine.stop();
    total.merge(&last.interval);
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_before;
    let n = total.responses.max(1) as f64;
    let quarter = rss_samples.len() / 4;
    println!(
        "requests={} errors={} wall_s={wall:.2} req_per_s={:.0} cpu_s={cpu:.2} cpu_ms_per_1k={:.2} \
         peak_rss_kib={} rss_kib_q1={} rss_kib_end={} p50_us={} p99_us={} service_p99_us={} late={} dropped={} connects={} errors_by_kind={:?}",
        total.responses,
        total.error_count(),
        total.responses as f64 / wall,
        cpu * 1e6 / n,
        status_kib("VmHWM:"),
        rss_samples.get(quarter).copied().unwrap_or(0),
        rss_samples.last().copied().unwrap_or(0),
        total.latency.value_at_quantile(0.5),
        total.latency.value_at_quantile(0.99),
        total.service.value_at_quantile(0.99),
        total.late_sends,
        total.dropped_sends,
        total.connects,
        loadtop::stats::ErrorKind::ALL
            .iter()
            .filter(|kind| total.errors[kind.index()] > 0)
            .map(|kind| (kind.as_str(), total.errors[kind.index()]))
            .collect::<Vec<_>>(),
    );
}

/// User + system CPU seconds of this process (clock ticks of 1/100 s).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat; 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|line| line.starts_with(key))
        .and_then(|line| line.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// A minimal keep-alive hello server (raw tokio, one thread).
fn serve() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const RESPONSE: &[u8] =
        b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, world!";
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("listening=http://{}/", listener.local_addr().unwrap());
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut filled = 0;
                loop {
                    let Ok(n) = stream.read(&mut buf[filled..]).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    filled += n;
                    let mut start = 0;
                    while let Some(end) =
                        buf[start..filled].windows(4).position(|w| w == b"\r\n\r\n")
                    {
                        start += end + 4;
                        if stream.write_all(RESPONSE).await.is_err() {
                            return;
                        }
                    }
                    buf.copy_within(start..filled, 0);
                    filled -= start;
                }
            });
        }
    });
}
