//! `loadtop bench URL` options (wrk/oha style) → a one-stage [`RunPlan`]
//! (plus a warm-up stage when asked), or a mix from `--urls-from-file`.

use std::time::Duration;

use bytes::Bytes;

use super::input::BenchInput;
use super::{
    ModelKind, PlanError, RunKind, RunPlan, StagePlan, TargetPlan, TransportPlan, invalid,
    parse_header, sample_interval, urls,
};
use crate::load::Model;
use crate::profile;
use crate::server::knobs::KnobPatch;

impl RunPlan {
    pub fn from_bench(args: &BenchInput) -> Result<RunPlan, PlanError> {
        let (url, requests) = match (&args.url, &args.urls_from_file) {
            (Some(_), Some(_)) => {
                return Err(invalid("give a URL or --urls-from-file, not both"));
            }
            (Some(url), None) => (url.clone(), Vec::new()),
            (None, Some(file)) => urls::read(file, &args.method)?,
            (None, None) => return Err(invalid("give a URL (or --urls-from-file FILE)")),
        };
        let parsed = profile::url::parse(&url).map_err(invalid)?;
        let url = profile::url::redact(&url);
        if args.connections == 0 {
            return Err(invalid("--connections must be at least 1"));
        }
        if args.threads == 0 {
            return Err(invalid("--threads must be at least 1"));
        }
        if let Some(rate) = args.rate
            && !(rate.is_finite() && rate >= 1.0)
        {
            return Err(invalid(format!(
                "--rate must be at least 1 request per second (got {rate})"
            )));
        }
        if args.duration.is_some_and(|d| d.is_zero()) {
            return Err(invalid("--duration must be above 0"));
        }
        if args.requests == Some(0) {
            return Err(invalid("--requests must be at least 1"));
        }
        if args.timeout.is_zero() {
            return Err(invalid("--timeout must be above 0"));
        }
        let method = args.method.trim().to_ascii_uppercase();
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(invalid(format!("invalid HTTP method `{}`", args.method)));
        }
        let headers = args
            .headers
            .iter()
            .map(|h| parse_header(h))
            .collect::<Result<Vec<_>, _>>()?;
        let body =
            match (&args.body, &args.body_file) {
                (Some(body), _) => Bytes::from(body.clone()),
                (None, Some(path)) => Bytes::from(std::fs::read(path).map_err(|e| {
                    invalid(format!("cannot read body file {}: {e}", path.display()))
                })?),
                (None, None) => Bytes::new(),
            };
        // The URL list's entries carry the flags' headers and body too.
        let mut requests = requests;
        for request in &mut requests {
            let own = std::mem::take(&mut request.headers);
            let mut merged: Vec<(String, String)> = headers
                .iter()
                .filter(|(name, _)| !own.iter().any(|(o, _)| o.eq_ignore_ascii_case(name)))
                .cloned()
                .collect();
            merged.extend(own);
            request.headers = merged;
            if request.body.is_none() && !body.is_empty() {
                request.body = Some(body.clone());
            }
        }
        // wrk's default: 10 seconds unless a request budget ends the run.
        let duration = match (args.duration, args.requests) {
            (Some(d), _) => Some(d),
            (None, Some(_)) => None,
            (None, None) => Some(Duration::from_secs(10)),
        };
        let model = match args.rate {
            Some(rate) => Model::Open { rate },
            None => Model::Closed,
        };
        let mut stages = Vec::new();
        if let Some(warmup) = args.warmup.filter(|w| !w.is_zero()) {
            stages.push(StagePlan {
                name: "warmup".into(),
                model,
                duration: Some(warmup),
                connections: None,
                ramp: false,
                knobs: KnobPatch::default(),
                thresholds: Vec::new(),
                measured: false,
            });
        }
        stages.push(StagePlan {
            name: "bench".into(),
            model,
            duration,
            connections: None,
            ramp: false,
            knobs: KnobPatch::default(),
            thresholds: Vec::new(),
            measured: true,
        });
        let mut plan = RunPlan {
            kind: RunKind::Bench,
            name: "bench".into(),
            origin: "command line".into(),
            target: TargetPlan::Url {
                url,
                parsed,
                pid: args.pid,
                db_pid: args.load.db_pid,
                metrics_url: args.load.metrics_url.clone(),
                command: None,
                ready_timeout: Duration::ZERO,
            },
            method,
            headers,
            body,
            requests,
            model: ModelKind::of(model),
            threads: args.threads,
            connections: args.connections,
            timeout: args.timeout,
            connect_timeout: args.connect_timeout,
            keepalive: !args.no_keepalive,
            max_requests: args.requests,
            stages,
            thresholds: Vec::new(),
            report: args.load.report.clone(),
            headless: args.load.headless,
            print_latency: args.latency,
            sample_interval: sample_interval(&args.load),
            shard: None,
            transport: TransportPlan::resolve(&args.load, &Default::default())?,
        };
        plan.add_url_credentials();
        plan.transport.check_target(&plan.target, plan.keepalive)?;
        if let Some(shard) = args.load.shard {
            plan.apply_shard(shard)?;
        }
        Ok(plan)
    }
}
