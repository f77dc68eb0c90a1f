//! The command line's clap types turned into the plan's plain inputs: the
//! one place flags become config, so `plan` never imports `cli`.

use std::path::PathBuf;

use crate::cli::{BenchArgs, LoadArgs, MaxArgs, RunArgs};
use crate::plan::{BenchInput, LoadOptions, MaxInput, ReportDest, RunInput};

pub fn load_options(args: &LoadArgs) -> LoadOptions {
    LoadOptions {
        headless: args.headless,
        report: args.json.as_deref().map(|dest| match dest {
            "-" => ReportDest::Stdout,
            path => ReportDest::File(PathBuf::from(path)),
        }),
        sample_interval: args.sample_interval,
        shard: args.shard,
        http2: args.http2,
        h2_streams: args.h2_streams,
        insecure: args.insecure,
        cacert: args.cacert.clone(),
        db_pid: args.db_pid,
        metrics_url: args.metrics_url.clone(),
    }
}

pub fn run_input(args: &RunArgs) -> RunInput {
    RunInput {
        profile: args.profile.clone(),
        scale_time: args.scale_time,
        load: load_options(&args.load),
    }
}

pub fn bench_input(args: &BenchArgs) -> BenchInput {
    BenchInput {
        url: args.url.clone(),
        urls_from_file: args.urls_from_file.clone(),
        pid: args.pid,
        connections: args.connections,
        threads: args.threads,
        duration: args.duration,
        requests: args.requests,
        rate: args.rate,
        method: args.method.clone(),
        headers: args.headers.clone(),
        body: args.body.clone(),
        body_file: args.body_file.clone(),
        timeout: args.timeout,
        connect_timeout: args.connect_timeout,
        warmup: args.warmup,
        latency: args.latency,
        no_keepalive: args.no_keepalive,
        load: load_options(&args.load),
    }
}

pub fn max_input(args: &MaxArgs) -> MaxInput {
    MaxInput {
        target: args.target.clone(),
        slos: args.slos.clone(),
        step_time: args.step_time,
        precision: args.precision,
        start_rate: args.start_rate,
        max_rate: args.max_rate,
        connections: args.connections,
        threads: args.threads,
        load: load_options(&args.load),
    }
}

#[cfg(test)]
#[path = "inputs_tests.rs"]
mod tests;
