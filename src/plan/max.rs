//! `loadtop max` options (plus a profile, when the target is one) become a
//! [`MaxPlan`]: a `RunPlan` holding only a short warm-up, which the capacity
//! planner extends probe by probe, and the search's validated settings.

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;

use super::{
    MaxInput, PlanError, RunKind, RunPlan, StagePlan, TargetPlan, invalid, sample_interval,
};
use crate::load::Model;
use crate::profile::threshold::Metric;
use crate::profile::{self, ModelKind, Profile, Threshold};
use crate::server::knobs::KnobPatch;

/// A validated capacity search: the run (a warm-up the planner extends)
/// and the search's settings.
#[derive(Clone, Debug)]
pub struct MaxPlan {
    pub run: RunPlan,
    pub slos: Vec<Threshold>,
    pub search: SearchConfig,
    pub step_time: Duration,
    /// What the user should know about how their input was read.
    pub notes: Vec<String>,
}

/// The search's knobs, already validated by the plan.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SearchConfig {
    /// Rate of the first probe (req/s).
    pub start_rate: f64,
    /// No probe asks for more than this.
    pub max_rate: f64,
    /// Converged when `(fail - pass) <= precision * pass`.
    pub precision: f64,
}

/// Enough outstanding requests for the open model at the rates a search reaches.
pub const DEFAULT_CONNECTIONS: usize = 256;
/// A probe shorter than two engine ticks measures almost nothing.
const SHORTEST_STEP: Duration = Duration::from_millis(500);

impl RunPlan {
    pub fn for_max(args: &MaxInput) -> Result<MaxPlan, PlanError> {
        if args.step_time < SHORTEST_STEP {
            return Err(invalid(format!(
                "--step-time must be at least {}ms",
                SHORTEST_STEP.as_millis()
            )));
        }
        if !(args.precision.is_finite() && args.precision > 0.0 && args.precision <= 1.0) {
            return Err(invalid("--precision must be above 0% and at most 100%"));
        }
        for (flag, rate) in [
            ("--start-rate", args.start_rate),
            ("--max-rate", args.max_rate),
        ] {
            if !(rate.is_finite() && rate >= 1.0) {
                return Err(invalid(format!(
                    "{flag} must be at least 1 request per second (got {rate})"
                )));
            }
        }
        if args.connections == Some(0) {
            return Err(invalid("--connections must be at least 1"));
        }
        if args.threads == Some(0) {
            return Err(invalid("--threads must be at least 1"));
        }
        let mut slos = args
            .slos
            .iter()
            .map(|text| parse_slo(text))
            .collect::<Result<Vec<_>, _>>()?;
        let mut notes = Vec::new();
        let mut run = if args.target.contains("://") {
            url_plan(args)?
        } else {
            let (run, mut profile_slos) = profile_plan(args, &mut notes)?;
            let ignored: Vec<String> = profile_slos
                .iter()
                .filter(|t| !is_slo(t))
                .map(|t| format!("`{}`", t.expr))
                .collect();
            if !ignored.is_empty() {
                notes.push(format!(
                    "ignored {}: the search sets the rate, so a rate or count is not an SLO",
                    ignored.join(", ")
                ));
                profile_slos.retain(is_slo);
            }
            if slos.is_empty() {
                slos = profile_slos;
            } else if !profile_slos.is_empty() {
                notes.push("the profile's thresholds are replaced by --slo".into());
            }
            run
        };
        run.add_url_credentials();
        run.transport.check_target(&run.target, run.keepalive)?;
        if slos.is_empty() {
            return Err(invalid(
                "give at least one --slo (e.g. --slo 'p99<50ms'), or a profile with thresholds",
            ));
        }
        if let Some(connections) = args.connections {
            run.connections = connections;
        }
        if let Some(threads) = args.threads {
            run.threads = threads;
        }
        let start_rate = args.start_rate.min(args.max_rate);
        run.stages = vec![StagePlan {
            model: Model::Open { rate: start_rate },
            name: "warmup".into(),
            duration: Some((args.step_time / 2).clamp(SHORTEST_STEP, Duration::from_secs(2))),
            connections: None,
            ramp: false,
            knobs: KnobPatch::default(),
            thresholds: Vec::new(),
            measured: false,
        }];
        Ok(MaxPlan {
            run,
            slos,
            search: SearchConfig {
                start_rate,
                max_rate: args.max_rate,
                precision: args.precision,
            },
            step_time: args.step_time,
            notes,
        })
    }
}

/// Whether a threshold can judge a probe: `rps` and `requests` measure the
/// rate the search itself chose (a floor like `rps > 150` would fail every
/// probe below it), so only latency and errors are service levels.
fn is_slo(threshold: &Threshold) -> bool {
    !matches!(threshold.metric, Metric::Rps | Metric::Requests)
}

/// An SLO is a threshold; `errors<1%` means the error rate, since a
/// percentage of a count means nothing else.
pub fn parse_slo(text: &str) -> Result<Threshold, PlanError> {
    let trimmed = text.trim();
    let rewritten = match trimmed.get(..6) {
        Some(head) if head.eq_ignore_ascii_case("errors") && trimmed.ends_with('%') => {
            format!("error_rate{}", &trimmed[6..])
        }
        _ => trimmed.to_string(),
    };
    let mut slo = Threshold::parse(&rewritten)
        .map_err(|e| invalid(format!("invalid --slo `{trimmed}`: {e}")))?;
    slo.expr = trimmed.to_string();
    if !is_slo(&slo) {
        return Err(invalid(format!(
            "--slo `{trimmed}`: the search sets the rate itself; an SLO is a latency or error limit"
        )));
    }
    Ok(slo)
}

fn url_plan(args: &MaxInput) -> Result<RunPlan, PlanError> {
    let parsed = profile::url::parse(&args.target).map_err(invalid)?;
    Ok(RunPlan {
        kind: RunKind::Capacity,
        shard: None,
        name: "max".into(),
        origin: "command line".into(),
        target: TargetPlan::Url {
            url: profile::url::redact(&args.target),
            parsed,
            pid: None,
            db_pid: args.load.db_pid,
            metrics_url: args.load.metrics_url.clone(),
            command: None,
            ready_timeout: Duration::ZERO,
        },
        method: "GET".into(),
        headers: Vec::new(),
        body: Bytes::new(),
        requests: Vec::new(),
        model: ModelKind::Open,
        threads: 1,
        connections: DEFAULT_CONNECTIONS,
        timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(3),
        keepalive: true,
        max_requests: None,
        stages: Vec::new(),
        thresholds: Vec::new(),
        report: args.load.report.clone(),
        headless: args.load.headless,
        print_latency: false,
        sample_interval: sample_interval(&args.load),
        transport: super::TransportPlan::resolve(&args.load, &Default::default())?,
    })
}

/// The profile's target, request, knobs and load settings; its stages are
/// ignored and its whole-run thresholds returned as candidate SLOs.
fn profile_plan(
    args: &MaxInput,
    notes: &mut Vec<String>,
) -> Result<(RunPlan, Vec<Threshold>), PlanError> {
    let path = Path::new(&args.target);
    if !path.exists() {
        return Err(invalid(format!(
            "`{}` is neither an http:// URL nor a profile file",
            args.target
        )));
    }
    let profile = Profile::load(path)?;
    if profile.targets.len() > 1 {
        return Err(invalid(format!(
            "{} lists {} targets; `loadtop max` searches one",
            profile.origin,
            profile.targets.len()
        )));
    }
    if !profile.stages.is_empty() {
        notes.push(format!(
            "the profile's {} stage(s) are ignored: the search plans its own probes",
            profile.stages.len()
        ));
    }
    if profile.load.model == ModelKind::Closed {
        notes.push("the profile's closed model is replaced by the open model".into());
    }
    let slos = profile.thresholds.clone();
    let connections = profile.load.connections.max(DEFAULT_CONNECTIONS);
    let name = format!("max-{}", profile.name);
    let mut run = RunPlan::from_profile(profile, 1.0, &args.load)?;
    run.name = name;
    run.model = ModelKind::Open;
    run.connections = connections;
    run.thresholds = Vec::new();
    Ok((run, slos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_with_a_percentage_is_the_error_rate() {
        for text in ["errors<1%", "errors < 1%", "ERRORS<=0.5%", "error_rate<1%"] {
            let slo = parse_slo(text).unwrap();
            assert_eq!(slo.metric, Metric::ErrorRate, "{text}");
            assert_eq!(slo.expr, text.trim());
        }
        assert!((parse_slo("errors<1%").unwrap().limit - 0.01).abs() < 1e-12);
        // A count stays a count.
        assert_eq!(parse_slo("errors < 10").unwrap().metric, Metric::Errors);
    }

    #[test]
    fn a_rate_is_not_an_slo() {
        for text in ["rps > 150", "requests >= 10", "rps<5000"] {
            let err = parse_slo(text).unwrap_err().to_string();
            assert!(err.contains("sets the rate"), "{err}");
        }
    }

    #[test]
    fn a_bad_slo_names_itself() {
        let err = parse_slo("p99 <<< soon").unwrap_err().to_string();
        assert!(err.contains("--slo `p99 <<< soon`"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }
}
