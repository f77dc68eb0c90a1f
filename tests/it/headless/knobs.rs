//! Server knobs from a profile reach the embedded server and the report in
//! the form the report has always written: only the keys set, sorted.

use serde_json::json;

use super::{read_valid_report, run_profile};

const KNOBS: &str = r#"
name = "knobs"

[target]
route = "/pool"

[server]
threads = 1

[server.knobs]
pool_size = 4
hold_ms = 1

[load]
model = "open"
connections = 2

[[stages]]
name = "one"
duration = "1s"
rate = 50

[[stages]]
name = "two"
duration = "1s"
rate = 50
knobs = { pool_size = 2, load_shedding = true }
"#;

#[test]
fn profile_and_stage_knobs_reach_the_server_and_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let (out, report_path) = run_profile(dir.path(), "knobs.toml", KNOBS, "report.json");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = read_valid_report(&report_path);
    assert_eq!(report["plan"]["kind"], "profile");
    assert_eq!(
        report["plan"]["knobs"],
        json!({"hold_ms": 1, "pool_size": 4})
    );
    let planned = report["plan"]["stages"].as_array().unwrap();
    assert_eq!(planned[0]["knobs"], json!({}));
    assert_eq!(
        planned[1]["knobs"],
        json!({"load_shedding": true, "pool_size": 2})
    );
    // Recorded once the server took them, with the keys sorted.
    let knob_events: Vec<&str> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "knobs")
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        knob_events,
        [r#"stage two knobs {"load_shedding":true,"pool_size":2}"#]
    );
    // The file itself keeps the sorted order.
    let text = std::fs::read_to_string(&report_path).unwrap();
    let hold = text.find("\"hold_ms\": 1").unwrap();
    let pool = text.find("\"pool_size\": 4").unwrap();
    assert!(hold < pool, "{text}");
}
