//! The last place input is validated: a profile (or `bench` flags) plus the
//! command line become one [`RunPlan`] with units in types. Everything after
//! this trusts the plan.

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;

use crate::load::Model;
use crate::profile::{
    self, MixRequest, ModelKind, Profile, ProfileError, Target, Threshold, url::HttpUrl,
};
use crate::server::knobs::KnobPatch;

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error("{0}")]
    Invalid(String),
}

fn invalid(message: impl Into<String>) -> PlanError {
    PlanError::Invalid(message.into())
}

#[derive(Clone, Debug, PartialEq)]
pub enum TargetPlan {
    /// Start `loadtop serve` as a child process and load `route` on it.
    Embedded {
        route: String,
        server_threads: Option<usize>,
        knobs: KnobPatch,
        /// A real PostgreSQL behind `/db/*`, started by the server.
        database: Option<Box<profile::DatabaseSettings>>,
    },
    Url {
        url: String,
        parsed: HttpUrl,
        pid: Option<u32>,
        /// The PostgreSQL postmaster behind `url`, monitored as the database.
        db_pid: Option<u32>,
        /// The target's Prometheus page, scraped for its pools' gauges.
        metrics_url: Option<profile::url::HttpUrl>,
        /// Started before the run (and stopped after it); serves `url`.
        command: Option<String>,
        ready_timeout: Duration,
    },
}

impl TargetPlan {
    pub fn describe(&self) -> String {
        match self {
            TargetPlan::Embedded { route, .. } => format!("embedded {route}"),
            TargetPlan::Url { url, .. } => url.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct StagePlan {
    pub name: String,
    /// The engine's own model type: an open stage carries its rate (a
    /// ramp's end; it starts from the previous stage's).
    pub model: Model,
    /// `None`: until the request budget is spent (`bench -n`).
    pub duration: Option<Duration>,
    pub connections: Option<usize>,
    pub ramp: bool,
    /// Knobs the embedded server takes when the stage starts.
    pub knobs: KnobPatch,
    pub thresholds: Vec<Threshold>,
    /// Warm-up stages drive load but stay out of the whole-run summary.
    pub measured: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ReportDest {
    Stdout,
    File(PathBuf),
}

/// Where a plan came from, which decides defaults such as whether a report
/// is written when none was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunKind {
    /// `loadtop bench URL`: one stage from flags, wrk-style output.
    Bench,
    /// A profile (`loadtop`, `run`, `compare`).
    Profile,
    /// `loadtop max URL`: probes appended as stages.
    Capacity,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RunPlan {
    pub kind: RunKind,
    pub name: String,
    pub origin: String,
    pub target: TargetPlan,
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// A weighted mix on the target; empty = the one request above on the
    /// target's own path.
    pub requests: Vec<MixRequest>,
    pub model: ModelKind,
    pub threads: usize,
    pub connections: usize,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub keepalive: bool,
    pub max_requests: Option<u64>,
    pub stages: Vec<StagePlan>,
    pub thresholds: Vec<Threshold>,
    pub report: Option<ReportDest>,
    pub headless: bool,
    pub print_latency: bool,
    pub sample_interval: Duration,
    /// This process produces only its share of the load.
    pub shard: Option<crate::parse::Shard>,
    /// HTTP version and TLS trust (flags over the profile's `[request]` keys).
    pub transport: TransportPlan,
}

impl RunPlan {
    pub fn total_duration(&self) -> Option<Duration> {
        self.stages.iter().map(|s| s.duration).sum()
    }

    pub fn from_run(args: &RunInput) -> Result<RunPlan, PlanError> {
        let profile = match &args.profile {
            Some(path) => Profile::load(path)?,
            None => Profile::default_profile()?,
        };
        if !(args.scale_time.is_finite() && args.scale_time > 0.0) {
            return Err(invalid(format!(
                "--scale-time must be above 0 (got {})",
                args.scale_time
            )));
        }
        if profile.targets.len() > 1 {
            return Err(invalid(format!(
                "{} lists {} targets: run it with `loadtop compare`",
                profile.origin,
                profile.targets.len()
            )));
        }
        RunPlan::from_profile(profile, args.scale_time, &args.load)
    }

    pub fn from_profile(
        profile: Profile,
        scale_time: f64,
        load: &LoadOptions,
    ) -> Result<RunPlan, PlanError> {
        if load.metrics_url.is_some() && matches!(profile.target, Target::Embedded { .. }) {
            return Err(invalid(
                "--metrics-url is for URL targets: the embedded server's pools are read from its stats",
            ));
        }
        let target = match profile.target {
            Target::Embedded { route } => TargetPlan::Embedded {
                route,
                server_threads: profile.server.threads,
                knobs: profile.server.knobs,
                database: profile.server.database.map(Box::new),
            },
            Target::Url {
                url,
                pid,
                db_pid,
                metrics_url,
                command,
                ready_timeout,
            } => TargetPlan::Url {
                parsed: profile::url::parse(&url).map_err(invalid)?,
                url: profile::url::redact(&url),
                pid,
                db_pid: load.db_pid.or(db_pid),
                metrics_url: load.metrics_url.clone().or(metrics_url),
                command,
                ready_timeout,
            },
        };
        // Scaled stages still last a tick at least; an absurd factor is
        // refused rather than overflowing.
        let scale = |d: Duration| {
            Duration::try_from_secs_f64(d.as_secs_f64() * scale_time)
                .ok()
                .filter(|scaled| *scaled <= crate::parse::LONGEST_DURATION)
                .map(|scaled| scaled.max(crate::session::TICK))
                .ok_or_else(|| {
                    invalid(format!(
                        "--scale-time makes a {} stage longer than a year",
                        humantime::format_duration(d)
                    ))
                })
        };
        let mut stages = Vec::new();
        if !profile.load.warmup.is_zero() {
            let first = profile.stages.first();
            stages.push(StagePlan {
                name: "warmup".into(),
                model: stage_model(
                    first.map_or(profile.load.model, |s| s.model),
                    first.and_then(|s| s.rate).or(profile.load.rate),
                ),
                duration: Some(scale(profile.load.warmup)?),
                connections: first.and_then(|s| s.connections),
                ramp: false,
                knobs: KnobPatch::default(),
                thresholds: Vec::new(),
                measured: false,
            });
        }
        for s in profile.stages {
            stages.push(StagePlan {
                name: s.name,
                model: stage_model(s.model, s.rate.or(profile.load.rate)),
                duration: Some(scale(s.duration)?),
                connections: s.connections,
                ramp: s.ramp,
                knobs: s.knobs,
                thresholds: s.thresholds,
                measured: true,
            });
        }
        let mut plan = RunPlan {
            kind: RunKind::Profile,
            name: profile.name,
            origin: profile.origin,
            target,
            method: profile.request.method,
            headers: profile.request.headers,
            body: Bytes::from(profile.request.body.unwrap_or_default()),
            requests: profile.requests,
            model: profile.load.model,
            threads: profile.load.threads,
            connections: profile.load.connections,
            timeout: profile.load.timeout,
            connect_timeout: profile.load.connect_timeout,
            keepalive: profile.load.keepalive,
            max_requests: None,
            stages,
            thresholds: profile.thresholds,
            report: load.report.clone(),
            headless: load.headless,
            print_latency: false,
            sample_interval: sample_interval(load),
            shard: None,
            transport: TransportPlan::resolve(load, &profile.request.transport)?,
        };
        plan.add_url_credentials();
        plan.transport.check_target(&plan.target, plan.keepalive)?;
        if let Some(shard) = load.shard {
            plan.apply_shard(shard)?;
        }
        Ok(plan)
    }

    /// `user:password@` in the target URL becomes a Basic `Authorization`
    /// header on every request that does not set one itself.
    fn add_url_credentials(&mut self) {
        if let TargetPlan::Url { parsed, .. } = &self.target {
            parsed.add_authorization(&mut self.headers);
            for request in &mut self.requests {
                parsed.add_authorization(&mut request.headers);
            }
        }
    }
}

/// A profile stage's model with its rate; validation saw to it that an
/// open stage has one (its own or `[load]`'s), so the fallback is not reached.
fn stage_model(kind: ModelKind, rate: Option<f64>) -> Model {
    match kind {
        ModelKind::Open => Model::Open {
            rate: rate.unwrap_or(1.0),
        },
        ModelKind::Closed => Model::Closed,
    }
}

fn sample_interval(load: &LoadOptions) -> Duration {
    load.sample_interval.unwrap_or(Duration::from_secs(1))
}

fn parse_header(text: &str) -> Result<(String, String), PlanError> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| invalid(format!("invalid header `{text}` (expected `Name: value`)")))?;
    let name = name.trim();
    let valid_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !valid_name || value.contains(['\r', '\n']) {
        return Err(invalid(format!("invalid header `{text}`")));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

mod bench;
mod compare;
mod input;
mod max;
mod shard;
mod transport;
mod urls;

pub use input::{BenchInput, LoadOptions, MaxInput, RunInput};
pub use max::{MaxPlan, SearchConfig};
pub use transport::TransportPlan;

#[cfg(test)]
mod tests;
