//! `[[requests]]` mixes: defaults, scoping of thresholds, and errors that
//! name the line and key.

use super::*;

fn parse(text: &str) -> Result<Profile, ProfileError> {
    Profile::parse(text, "mix.toml")
}

const STAGE: &str = r#"
[[stages]]
name = "only"
duration = "2s"
rate = 10
"#;

fn with_stage(text: &str) -> String {
    format!("{text}{STAGE}")
}

#[test]
fn entries_inherit_the_request_defaults_and_scope_their_thresholds() {
    let text = with_stage(
        r#"
thresholds = ['"slow report" p99 < 2s']

[target]
url = "http://127.0.0.1:9/"

[request]
method = "POST"
headers = { "X-Team" = "a", Accept = "text/plain" }
body = "{}"

[[requests]]
path = "/user/1"
method = "get"
weight = 9
headers = { accept = "application/json" }
thresholds = ["p99 < 20ms"]

[[requests]]
name = "slow report"
url = "http://127.0.0.1:9/report?days=90"
"#,
    );
    let profile = parse(&text).unwrap();
    let [user, report] = profile.requests.as_slice() else {
        panic!("{:?}", profile.requests);
    };
    assert_eq!(
        (user.name.as_str(), user.method.as_str(), user.weight),
        ("GET /user/1", "GET", 9)
    );
    // The entry's `accept` replaces the default `Accept`; other defaults stay.
    assert_eq!(
        user.headers,
        vec![
            ("X-Team".to_string(), "a".to_string()),
            ("accept".to_string(), "application/json".to_string())
        ]
    );
    assert_eq!(user.body.as_deref(), Some(&b"{}"[..]));
    assert_eq!(
        (report.method.as_str(), report.path.as_str(), report.weight),
        ("POST", "/report?days=90", 1)
    );
    let scoped: Vec<(Option<&str>, &str)> = profile
        .thresholds
        .iter()
        .map(|t| (t.request.as_deref(), t.expr.as_str()))
        .collect();
    assert_eq!(
        scoped,
        vec![
            (Some("slow report"), r#""slow report" p99 < 2s"#),
            (Some("GET /user/1"), r#""GET /user/1" p99 < 20ms"#),
        ]
    );
}

#[test]
fn body_files_are_read_beside_the_profile() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("order.json"), br#"{"id":1}"#).unwrap();
    let path = dir.path().join("mix.toml");
    let text = with_stage(
        r#"
[target]
route = "/json"

[[requests]]
method = "POST"
path = "/json"
body_file = "order.json"
"#,
    );
    std::fs::write(&path, text).unwrap();
    let profile = Profile::load(&path).unwrap();
    assert_eq!(
        profile.requests[0].body.as_deref(),
        Some(&br#"{"id":1}"#[..])
    );

    std::fs::write(
        &path,
        with_stage(
            "[target]\nroute = \"/\"\n[[requests]]\npath = \"/\"\nbody_file = \"missing.json\"\n",
        ),
    )
    .unwrap();
    let message = Profile::load(&path).unwrap_err().to_string();
    assert!(
        message.contains(":5:") && message.contains("requests[0].body_file"),
        "{message}"
    );
    assert!(message.contains("missing.json"), "{message}");
}

#[test]
fn mistakes_name_the_line_and_key() {
    let cases = [
        (
            "[target]\nroute = \"/\"\n[[requests]]\npath = \"/a\"\nweight = 0\n",
            "mix.toml:5:10: `requests[0].weight`: a weight is a whole number 1..=10000",
        ),
        (
            "[target]\nroute = \"/\"\n[[requests]]\nmethod = \"GET\"\n",
            "mix.toml:4:10: `requests[0].path`: each request needs a `path`",
        ),
        (
            "[target]\nroute = \"/\"\n[[requests]]\nurl = \"http://127.0.0.1:9/a\"\n",
            "mix.toml:4:7: `requests[0].url`: `url` needs a single `[target]` with a `url`",
        ),
        (
            "[target]\nurl = \"http://127.0.0.1:9/\"\n[[requests]]\nurl = \"http://127.0.0.1:8/a\"\n",
            "mix.toml:4:7: `requests[0].url`: `http://127.0.0.1:8/a` is not on the target's origin 127.0.0.1:9",
        ),
        (
            "[target]\nroute = \"/\"\n[[requests]]\npath = \"/a\"\n[[requests]]\npath = \"/a\"\n",
            "`requests[1].name`: duplicate request name `GET /a`",
        ),
        (
            "thresholds = ['\"GET /b\" p99 < 1s']\n[target]\nroute = \"/\"\n[[requests]]\npath = \"/a\"\n",
            "mix.toml:1:15: `thresholds[0]`: no request named `GET /b` (requests are `GET /a`)",
        ),
        (
            "thresholds = ['\"GET /b\" p99 < 1s']\n[target]\nroute = \"/\"\n",
            "no request named `GET /b` (the profile lists no `[[requests]]`)",
        ),
    ];
    for (text, expected) in cases {
        let message = parse(&with_stage(text)).unwrap_err().to_string();
        assert!(
            message.contains(expected),
            "{message}\n  expected: {expected}"
        );
    }
}
