//! `--shard I/N`: three generator processes share one plan; their reports
//! merge into exactly the counts and percentiles of one run.

use std::process::{Command, Stdio};

use loadtop::report::json::decode_histogram;
use loadtop::stats::new_latency_histogram;
use serde_json::Value;

use super::{loadtop, read_valid_report, serve};
use crate::support::loadtop_bin;

#[test]
fn three_shards_merge_into_exact_counts_and_percentiles() {
    let (_server, url) = serve();
    let dir = tempfile::tempdir().unwrap();
    let shards: Vec<_> = (1..=3)
        .map(|i| {
            let path = dir.path().join(format!("shard{i}.json"));
            let child = Command::new(loadtop_bin())
                .args([
                    "bench",
                    &format!("{url}/json"),
                    "-c",
                    "3",
                    "-n",
                    "301",
                    "--headless",
                ])
                .args([
                    "--shard",
                    &format!("{i}/3"),
                    "--json",
                    path.to_str().unwrap(),
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (path, child)
        })
        .collect();
    let mut paths = Vec::new();
    for (path, child) in shards {
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        paths.push(path);
    }
    let reports: Vec<Value> = paths.iter().map(|p| read_valid_report(p)).collect();
    let counts: Vec<u64> = reports
        .iter()
        .map(|r| r["summary"]["requests"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [101, 100, 100]);
    assert_eq!(reports[1]["plan"]["shard"], "2/3");
    assert_eq!(reports[0]["plan"]["connections"], 1);

    let merged_path = dir.path().join("merged.json");
    let mut args: Vec<&str> = vec!["merge"];
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    args.extend(["-o", merged_path.to_str().unwrap()]);
    let out = loadtop(&args, dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged = read_valid_report(&merged_path);
    assert_eq!(merged["summary"]["requests"], 301);

    // One histogram of every sample, built from the shards' own histograms.
    let mut all = new_latency_histogram();
    for report in &reports {
        let hist = decode_histogram(report["stages"][0]["histogram"].as_str().unwrap()).unwrap();
        all.add(&hist).unwrap();
    }
    let latency = &merged["summary"]["latency"];
    assert_eq!(latency["count"], 301);
    for (field, q) in [("p50_us", 0.5), ("p90_us", 0.9), ("p99_us", 0.99)] {
        assert_eq!(
            latency[field].as_u64().unwrap(),
            all.value_at_quantile(q),
            "{field}"
        );
    }
}

#[test]
fn a_bad_shard_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = loadtop(
        &["bench", "http://127.0.0.1:1/", "--shard", "4/3"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid shard"));
}
