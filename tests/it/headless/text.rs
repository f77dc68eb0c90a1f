//! The headless text says what each kind of run was asked to measure: the
//! target's CPU and memory with `--pid`, the service time beside the
//! corrected latency in the open model, and a mix per stage.

use super::{loadtop, run_profile, serve};

const MIX_STAGES: &str = r#"
name = "mix-stages"

[target]
route = "/plaintext"

[server]
threads = 1

[load]
model = "open"
connections = 4

[[requests]]
path = "/plaintext"
weight = 3

[[requests]]
path = "/json"
weight = 1

[[stages]]
name = "low"
duration = "1s"
rate = 100

[[stages]]
name = "high"
duration = "1s"
rate = 200
"#;

#[test]
fn bench_with_pid_prints_the_targets_cpu_and_peak_rss() {
    let (server, url) = serve();
    let dir = tempfile::tempdir().unwrap();
    let pid = server.0.id().to_string();
    let out = loadtop(
        &[
            "bench",
            &format!("{url}/plaintext"),
            "-c",
            "2",
            "-d",
            "2s",
            "--pid",
            &pid,
            "--sample-interval",
            "500ms",
        ],
        dir.path(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("  Target: CPU "))
        .unwrap_or_else(|| panic!("no target line: {stdout}"));
    assert!(line.contains("% mean, "), "{line}");
    assert!(line.contains("(of one core), peak RSS "), "{line}");
    assert!(!line.ends_with("peak RSS 0B"), "{line}");
    // Without --pid there is no process to speak of.
    let out = loadtop(
        &["bench", &format!("{url}/plaintext"), "-c", "2", "-n", "50"],
        dir.path(),
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Target: CPU"));
}

#[test]
fn open_model_bench_prints_service_time_beside_corrected_latency() {
    let (_server, url) = serve();
    let dir = tempfile::tempdir().unwrap();
    let out = loadtop(
        &[
            "bench",
            &format!("{url}/plaintext"),
            "-R",
            "200",
            "-c",
            "2",
            "-d",
            "1s",
        ],
        dir.path(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("  corrected     service\n"), "{stdout}");
    let p99 = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("99% "))
        .unwrap();
    assert_eq!(p99.split_whitespace().count(), 3, "{p99}");
}

#[test]
fn staged_mix_prints_corrected_vs_service_and_each_stages_requests() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = run_profile(dir.path(), "mix.toml", MIX_STAGES, "r.json");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let table = stdout
        .split(
            "Corrected latency (from the intended send) vs service time (from the actual send):\n",
        )
        .nth(1)
        .unwrap_or_else(|| panic!("no corrected-vs-service table: {stdout}"));
    let rows: Vec<&str> = table.lines().take(3).collect();
    assert!(
        rows[0].contains("svc p50") && rows[0].contains("svc p99"),
        "{table}"
    );
    assert!(rows[1].trim_start().starts_with("low "), "{table}");
    assert!(rows[2].trim_start().starts_with("high "), "{table}");
    let low = stdout.find("  Stage low:\n").expect(&stdout);
    let high = stdout.find("  Stage high:\n").expect(&stdout);
    assert!(low < high, "{stdout}");
    let low_part = &stdout[low..high];
    assert!(
        low_part.contains("GET /plaintext") && low_part.contains("GET /json"),
        "{low_part}"
    );
    assert!(stdout[high..].contains("GET /json"), "{stdout}");
}
