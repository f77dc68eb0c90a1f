//! Request mixes through the real binary: `bench --urls-from-file` and a
//! profile's `[[requests]]` with a threshold on one request name.

use serde_json::Value;

use super::{assert_valid, loadtop, run_profile, serve};

fn request_counts(report: &Value) -> Vec<(String, u64)> {
    report["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["summary"]["requests"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn urls_from_file_spreads_the_load_evenly_and_reports_each_path() {
    let (_server, url) = serve();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("urls.txt");
    std::fs::write(
        &list,
        format!("# three routes\n{url}/plaintext\n{url}/json\n\n{url}/user/7\n"),
    )
    .unwrap();
    let out = loadtop(
        &[
            "bench",
            "--urls-from-file",
            list.to_str().unwrap(),
            "-c",
            "6",
            "-n",
            "600",
            "--json",
            "-",
        ],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid(&report);
    assert_eq!(report["summary"]["requests"], 600);
    // Each connection cycles the list from its own place; where each one
    // stands when the budget runs out moves a count by a request or so.
    let counts = request_counts(&report);
    let names: Vec<&str> = counts.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["/plaintext", "/json", "/user/7"]);
    for (name, count) in &counts {
        assert!(count.abs_diff(200) <= 6, "{name}: {count} of 600");
    }
    assert!(stderr.contains("By request:"), "{stderr}");

    std::fs::write(&list, format!("{url}/a\nhttp://127.0.0.1:1/b\n")).unwrap();
    let out = loadtop(
        &["bench", "--urls-from-file", list.to_str().unwrap()],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("urls.txt:2:"), "{stderr}");
}

const MIX: &str = r#"
name = "mix"
thresholds = ['"GET /json" requests > 100000000']

[target]
route = "/plaintext"

[server]
threads = 1

[load]
model = "open"
connections = 8

[[requests]]
path = "/plaintext"
weight = 3

[[requests]]
path = "/json"
weight = 1
thresholds = ["p99 < 5s"]

[[stages]]
name = "one"
duration = "2s"
rate = 200
"#;

#[test]
fn a_threshold_on_one_request_name_decides_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let (out, report_path) = run_profile(dir.path(), "mix.toml", MIX, "r.json");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(r#"threshold FAIL: "GET /json" requests > 100000000 [run]"#),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#"threshold pass: "GET /json" p99 < 5s [run]"#),
        "{stdout}"
    );
    let report = super::read_valid_report(&report_path);
    let counts = request_counts(&report);
    let (plain, json) = (counts[0].1 as f64, counts[1].1 as f64);
    assert!(plain + json > 200.0, "{counts:?}");
    let share = json / (plain + json);
    assert!((share - 0.25).abs() <= 0.25 * 0.03, "{counts:?}");
    assert_eq!(report["plan"]["requests"][1]["weight"], 1);
    let stage = &report["stages"][0];
    assert_eq!(stage["requests"].as_array().unwrap().len(), 2);
    let second = &report["timeline"][0]["requests"];
    assert_eq!(second[1]["name"], "GET /json", "{second}");

    // The HTML report charts each name's p99 and tables each name's figures.
    let page_path = dir.path().join("page.html");
    let out = loadtop(
        &[
            "report",
            report_path.to_str().unwrap(),
            "--html",
            page_path.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let page = std::fs::read_to_string(&page_path).unwrap();
    assert!(page.contains("<table id=\"requests\">"));
    let start = page.find("<figure id=\"chart-requests\">").unwrap();
    let figure = &page[start..start + page[start..].find("</figure>").unwrap()];
    assert!(figure.contains("<svg"));
    let tag = "<script type=\"application/json\" class=\"chart-data\">";
    let data_start = figure.find(tag).unwrap() + tag.len();
    let data: Value = serde_json::from_str(
        &figure[data_start..data_start + figure[data_start..].find("</script>").unwrap()],
    )
    .unwrap();
    let series = data["series"].as_array().unwrap();
    let names: Vec<&str> = series.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["GET /plaintext", "GET /json"]);
    for s in series {
        assert!(!s["points"].as_array().unwrap().is_empty(), "{s}");
    }
}
