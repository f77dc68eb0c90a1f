//! `loadtop report` without flags, `loadtop check` exit codes and bad
//! input, and a real `bench` run writing every file format.

use std::io::{BufRead, BufReader};
use std::process::Child;

use super::*;

fn report_with(dir: &Path, thresholds: &[(&str, Option<&str>)]) -> PathBuf {
    let report = build_report("shop", "2026-05-01T12:00:00Z", &three_stages(1), thresholds);
    save(dir, "run.json", &report)
}

#[test]
fn report_without_flags_prints_the_stage_table_and_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let mut report = build_report(
        "shop",
        "2026-05-01T12:00:00Z",
        &three_stages(1),
        &[("p99 < 1ms", Some("spike"))],
    );
    report.thresholds[0].passed = false;
    report.thresholds[0].observed_text = "45.00ms".into();
    report.passed = false;
    let run = save(dir.path(), "run.json", &report);
    let out = loadtop(&["report", run.to_str().unwrap()]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(
        text.starts_with("shop (tests/it/reports) against http://127.0.0.1:9/"),
        "{text}"
    );
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("stage "))
        .collect();
    assert!(
        table[1].starts_with("warm up ") && table[1].ends_with('-'),
        "{text}"
    );
    assert!(table[2].starts_with("steady "));
    assert!(
        table[3].starts_with("spike ") && table[3].ends_with("FAIL"),
        "{text}"
    );
    assert!(text.contains("threshold FAIL: p99 < 1ms [spike] observed 45.00ms"));
    assert!(text.contains("thresholds FAILED"));
    assert!(text.contains("corrected for coordinated omission"));
    let measured = format!("measured: {} requests", report.summary.requests);
    assert!(text.contains(&measured), "{text}");

    // A bench report prints wrk's block again, not a stage table.
    let bench = build_report("bench", "2026-05-01T12:00:00Z", &three_stages(1), &[]);
    let run = save(dir.path(), "bench.json", &bench);
    let out = loadtop(&["report", run.to_str().unwrap()]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("Latency Distribution") && text.contains("Requests/sec:"),
        "{text}"
    );
    assert!(!text.contains("stage "), "{text}");
}

#[test]
fn check_exits_zero_when_all_pass_one_when_any_fails() {
    let dir = tempfile::tempdir().unwrap();
    let pass = report_with(
        dir.path(),
        &[("p99 < 10s", Some("steady")), ("requests > 100", None)],
    );
    let out = loadtop(&["check", pass.to_str().unwrap()]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("threshold pass: p99 < 10s [steady] observed"));
    assert!(stdout(&out).contains("all 2 thresholds pass"));

    let dir = tempfile::tempdir().unwrap();
    // steady latencies are 1..5ms: its p99 is above 1ms whatever was recorded.
    let fail = report_with(
        dir.path(),
        &[("p99 < 1ms", Some("steady")), ("requests > 100", None)],
    );
    let out = loadtop(&["check", fail.to_str().unwrap()]);
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("threshold FAIL: p99 < 1ms [steady] observed 4."),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("1 of 2 thresholds FAIL"));

    let dir = tempfile::tempdir().unwrap();
    let none = report_with(dir.path(), &[]);
    let out = loadtop(&["check", none.to_str().unwrap()]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("no thresholds"));
}

const PROFILE: &str = r#"
name = "shop"
thresholds = ["requests >= 1"]
[target]
route = "/plaintext"
[load]
model = "open"
connections = 4
[[stages]]
name = "steady"
duration = "3s"
rate = 100
thresholds = ["STEADY"]
[[stages]]
name = "spike"
duration = "2s"
rate = 100
thresholds = ["p50 < 10s"]
"#;

#[test]
fn check_with_a_profile_uses_its_thresholds_by_stage_name() {
    let dir = tempfile::tempdir().unwrap();
    // Recorded thresholds would fail; the profile's decide.
    let run = report_with(dir.path(), &[("p99 < 1us", None)]);
    for (steady, code) in [("p99 < 1s", 0), ("p99 < 1ms", 1)] {
        let profile = dir.path().join("p.toml");
        std::fs::write(&profile, PROFILE.replace("STEADY", steady)).unwrap();
        let out = loadtop(&[
            "check",
            run.to_str().unwrap(),
            "--profile",
            profile.to_str().unwrap(),
        ]);
        assert_exit(&out, code);
        let text = stdout(&out);
        assert_eq!(
            text.lines().filter(|l| l.starts_with("threshold ")).count(),
            3,
            "{text}"
        );
        assert!(text.contains(&format!("{steady} [steady]")));
        assert!(text.contains("threshold pass: p50 < 10s [spike]"));
        assert!(text.contains("threshold pass: requests >= 1 [run]"));
        assert!(!text.contains("1us"));
    }
}

#[test]
fn bad_input_is_one_clear_line_and_exit_two() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "{\"schema\": ").unwrap();
    let mut other = serde_json::to_value(build_report(
        "p",
        "2026-05-01T12:00:00Z",
        &three_stages(1),
        &[],
    ))
    .unwrap();
    other["schema"] = "loadtop.report/2".into();
    let wrong_schema = dir.path().join("v2.json");
    std::fs::write(&wrong_schema, other.to_string()).unwrap();
    let bad_threshold = report_with(dir.path(), &[("p98 < 1s", None)]);
    let missing = dir.path().join("missing.json");
    let bad_profile = dir.path().join("bad.toml");
    std::fs::write(&bad_profile, "name = 3").unwrap();
    let p = |p: &Path| p.to_str().unwrap().to_string();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["report".into(), p(&garbage)],
            "is not a loadtop report",
        ),
        (vec!["report".into(), p(&missing)], "cannot read report"),
        (vec!["check".into(), p(&wrong_schema)], "loadtop.report/2"),
        (vec!["check".into(), p(&missing)], "missing.json"),
        (vec!["check".into(), p(&bad_threshold)], "p98 < 1s"),
        (
            vec![
                "check".into(),
                p(&bad_threshold),
                "--profile".into(),
                p(&bad_profile),
            ],
            "bad.toml",
        ),
        (
            vec![
                "merge".into(),
                p(&garbage),
                p(&bad_threshold),
                "-o".into(),
                p(&dir.path().join("m.json")),
            ],
            "garbage.json",
        ),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = loadtop(&args);
        assert_exit(&out, 2);
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("loadtop: ") && err.contains(expected),
            "{args:?}: {err}"
        );
    }
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_bench_run_writes_every_requested_file() {
    let mut child = Command::new(loadtop_bin())
        .args(["serve", "--bind", "127.0.0.1:0", "--threads", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _server = Server(child);
    let url = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("listening="))
        .unwrap_or_else(|| panic!("no ready line: {line:?}"))
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (json, html, hgrm, hlog, csv) = (
        file("r.json"),
        file("r.html"),
        file("r.hgrm"),
        file("r.hlog"),
        file("r.csv"),
    );
    let target = format!("{url}/plaintext");
    let out = loadtop(&[
        "bench",
        &target,
        "-c",
        "2",
        "-n",
        "200",
        "--headless",
        "--json",
        &json,
        "--html",
        &html,
        "--hgrm",
        &hgrm,
        "--hlog",
        &hlog,
        "--csv",
        &csv,
    ]);
    assert_exit(&out, 0);
    for path in [&html, &hgrm, &hlog, &csv] {
        assert!(
            stderr(&out).contains(&format!("wrote {path}")),
            "{}",
            stderr(&out)
        );
    }
    let hgrm_text = std::fs::read_to_string(&hgrm).unwrap();
    assert!(
        hgrm_text.contains(&format!("Total count    = {:>12}", 200)),
        "{hgrm_text}"
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<figure id=\"chart-distribution\">") && page.contains("<svg"));
    let report: Report = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let csv_rows = std::fs::read_to_string(&csv).unwrap().lines().count();
    assert_eq!(csv_rows, 1 + report.timeline.len());
    assert!(
        std::fs::read_to_string(&hlog)
            .unwrap()
            .contains("#[StartTime: ")
    );
}

const TWO_STAGES: &str = r#"
name = "two stages"
thresholds = ["error_rate < 1%"]

[target]
route = "/plaintext"

[server]
threads = 1

[load]
model = "open"
connections = 4

[[stages]]
name = "low rate"
duration = "1s"
rate = 50

[[stages]]
name = "higher"
duration = "1s"
rate = 100
thresholds = ["p99 < 5s"]
"#;

/// A real profile run: its report, re-rendered later, shows every stage in
/// every chart and its interval log carries every stage.
#[test]
fn a_profile_run_report_renders_every_stage_later() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("two.toml");
    std::fs::write(&profile, TWO_STAGES).unwrap();
    let json = dir.path().join("run.json");
    let out = loadtop(&[
        "run",
        profile.to_str().unwrap(),
        "--headless",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    let report: Report = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let names: Vec<&str> = report.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["low rate", "higher"]);

    let html = dir.path().join("run.html");
    let hlog = dir.path().join("run.hlog");
    let out = loadtop(&[
        "report",
        json.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
        "--hlog",
        hlog.to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    let page = std::fs::read_to_string(&html).unwrap();
    for id in [
        "chart-throughput",
        "chart-latency",
        "chart-cpu",
        "chart-memory",
    ] {
        let start = page.find(&format!("<figure id=\"{id}\">")).unwrap();
        let figure = &page[start..start + page[start..].find("</figure>").unwrap()];
        for name in &names {
            assert!(
                figure.contains(&format!(">\n{name}\n</text>")),
                "{id} lacks {name}"
            );
        }
    }
    let start = page.find("<figure id=\"chart-distribution\">").unwrap();
    let distribution = &page[start..start + page[start..].find("</figure>").unwrap()];
    for name in &names {
        assert!(
            distribution.contains(&format!("\"name\":\"{name}\",\"color\"")),
            "no curve for {name}"
        );
    }
    let log = std::fs::read_to_string(&hlog).unwrap();
    assert!(
        log.contains("Tag=low_rate,") && log.contains("Tag=higher,"),
        "{log}"
    );

    let out = loadtop(&["check", json.to_str().unwrap()]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("threshold pass: p99 < 5s [higher]"),
        "{}",
        stdout(&out)
    );
}
