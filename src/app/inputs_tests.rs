use std::time::Duration;

use bytes::Bytes;
use clap::Parser;

use super::*;
use crate::cli::{Cli, Command};
use crate::load::Model;
use crate::plan::{PlanError, RunPlan};
use crate::profile::ModelKind;

/// `loadtop bench ARGS` as the command line gives it to the plan.
fn bench(args: &[&str]) -> Result<RunPlan, PlanError> {
    let cli = Cli::try_parse_from(["loadtop", "bench"].iter().chain(args)).unwrap();
    match cli.command {
        Some(Command::Bench(args)) => RunPlan::from_bench(&bench_input(&args)),
        other => panic!("parsed {other:?}"),
    }
}

fn bench_error(args: &[&str]) -> String {
    bench(args).unwrap_err().to_string()
}

#[test]
fn bench_defaults_like_wrk() {
    let plan = bench(&["http://127.0.0.1:8080/x"]).unwrap();
    assert_eq!(plan.model, ModelKind::Closed);
    assert_eq!(plan.stages.len(), 1);
    assert_eq!(plan.stages[0].duration, Some(Duration::from_secs(10)));
    assert_eq!(plan.method, "GET");
    assert!(plan.keepalive);
}

#[test]
fn bench_rate_selects_the_open_model_and_warmup_adds_a_stage() {
    let plan = bench(&[
        "http://127.0.0.1:1/",
        "-R",
        "500",
        "--warmup",
        "2s",
        "-d",
        "5s",
    ])
    .unwrap();
    assert_eq!(plan.model, ModelKind::Open);
    assert_eq!(plan.stages.len(), 2);
    assert!(!plan.stages[0].measured);
    assert_eq!(plan.stages[1].model, Model::Open { rate: 500.0 });
    assert_eq!(plan.total_duration(), Some(Duration::from_secs(7)));
}

#[test]
fn bench_requests_without_duration_is_open_ended() {
    let plan = bench(&["http://127.0.0.1:1/", "-n", "100"]).unwrap();
    assert_eq!(plan.stages[0].duration, None);
    assert_eq!(plan.total_duration(), None);
    assert_eq!(plan.max_requests, Some(100));
}

#[test]
fn bench_refuses_bad_input_with_a_reason() {
    assert!(bench_error(&["nope"]).contains("invalid URL"));
    assert!(bench_error(&["ftp://127.0.0.1/"]).contains("supported: http, https"));
    assert!(bench_error(&["http://127.0.0.1/", "-c", "0"]).contains("--connections"));
    assert!(bench_error(&["http://127.0.0.1/", "-R", "0.5"]).contains("--rate"));
    assert!(bench_error(&["http://127.0.0.1/", "-d", "0s"]).contains("--duration"));
    assert!(
        bench_error(&["http://127.0.0.1/", "--body-file", "/nonexistent/body"])
            .contains("cannot read body file")
    );
    assert!(bench_error(&["http://127.0.0.1/", "-H", "NoColon"]).contains("invalid header"));
    assert!(bench_error(&["http://127.0.0.1/", "-m", "G E T"]).contains("invalid HTTP method"));
    assert_eq!(
        bench_error(&["http://127.0.0.1:8080/", "--insecure"]),
        "--insecure applies to https:// targets; http://127.0.0.1:8080/ is not one"
    );
    assert!(bench_error(&["http://127.0.0.1/", "--cacert", "ca.pem"]).contains("--cacert applies"));
    assert!(bench(&["https://127.0.0.1/", "--cacert", "ca.pem"]).is_ok());
    assert!(
        bench_error(&["http://127.0.0.1/", "--http2", "--no-keepalive"])
            .contains("drop --no-keepalive")
    );
}

#[test]
fn bench_headers_and_body_are_carried() {
    let plan = bench(&[
        "http://127.0.0.1:1/",
        "-H",
        "X-A: 1",
        "-H",
        "X-B:two",
        "-m",
        "post",
        "--body",
        "hi",
    ])
    .unwrap();
    assert_eq!(
        plan.headers,
        vec![("X-A".into(), "1".into()), ("X-B".into(), "two".into())]
    );
    assert_eq!(plan.method, "POST");
    assert_eq!(plan.body, Bytes::from_static(b"hi"));
}

#[test]
fn transport_flags_override_the_profile() {
    let plan = bench(&["https://127.0.0.1:8443/", "--http2", "--h2-streams", "4"]).unwrap();
    assert!(plan.transport.http2 && !plan.transport.insecure);
    assert_eq!(plan.transport.h2_streams, 4);
    let plan = bench(&["https://127.0.0.1/", "--insecure"]).unwrap();
    assert!(plan.transport.insecure);
    assert!(bench_error(&["http://127.0.0.1/", "--h2-streams", "2"]).contains("--http2"));
    assert!(
        bench_error(&["http://127.0.0.1/", "--http2", "--h2-streams", "0"]).contains("1 to 1000")
    );
}

#[test]
fn json_dash_means_stdout() {
    let mut args = crate::cli::LoadArgs {
        json: Some("-".into()),
        ..Default::default()
    };
    assert_eq!(load_options(&args).report, Some(ReportDest::Stdout));
    args.json = Some("r.json".into());
    assert_eq!(
        load_options(&args).report,
        Some(ReportDest::File("r.json".into()))
    );
}

#[test]
fn metrics_url_reaches_a_url_target_and_is_refused_elsewhere() {
    let plan = bench(&[
        "http://127.0.0.1:1/",
        "--metrics-url",
        "http://127.0.0.1:2/metrics",
    ])
    .unwrap();
    let crate::plan::TargetPlan::Url { metrics_url, .. } = &plan.target else {
        panic!("not a URL target: {:?}", plan.target);
    };
    let url = metrics_url.as_ref().unwrap();
    assert_eq!((url.port, url.path.as_str()), (2, "/metrics"));
    // Refused by the flag's parser: plain http only.
    let err = Cli::try_parse_from([
        "loadtop",
        "bench",
        "http://127.0.0.1:1/",
        "--metrics-url",
        "https://127.0.0.1:2/metrics",
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("plain http://"), "{err}");
    // The embedded server's pools come from its stats.
    let cli = Cli::try_parse_from([
        "loadtop",
        "run",
        "--metrics-url",
        "http://127.0.0.1:2/metrics",
    ])
    .unwrap();
    let Some(Command::Run(args)) = cli.command else {
        panic!("not run");
    };
    let err = RunPlan::from_run(&run_input(&args))
        .unwrap_err()
        .to_string();
    assert!(err.contains("--metrics-url is for URL targets"), "{err}");
}
