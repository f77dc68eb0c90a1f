use super::*;

fn parse(text: &str) -> Result<Profile, ProfileError> {
    Profile::parse(text, "test.toml")
}

fn error_of(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

const MINIMAL: &str = r#"
[target]
url = "http://127.0.0.1:9/"

[[stages]]
name = "only"
duration = "2s"
rate = 10
"#;

#[test]
fn the_default_profile_parses_with_three_stages() {
    let profile = Profile::default_profile().unwrap();
    let names: Vec<_> = profile.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["low", "medium", "high"]);
    let rates: Vec<_> = profile.stages.iter().map(|s| s.rate).collect();
    assert_eq!(rates, [Some(100.0), Some(1000.0), Some(5000.0)]);
    assert_eq!(
        profile.target,
        Target::Embedded {
            route: "/pool".into()
        }
    );
    assert_eq!(profile.load.model, ModelKind::Open);
    assert_eq!(profile.server.knobs.pool_size, Some(16));
}

#[test]
fn every_shipped_profile_parses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            Profile::load(&path).unwrap_or_else(|e| panic!("{e}"));
            seen += 1;
        }
    }
    assert!(seen >= 1);
}

#[test]
fn a_minimal_profile_gets_defaults() {
    let profile = parse(MINIMAL).unwrap();
    assert_eq!(profile.name, "test");
    assert_eq!(profile.request.method, "GET");
    assert_eq!(profile.load.threads, 1);
    assert_eq!(profile.load.timeout, Duration::from_secs(10));
    assert_eq!(profile.total_duration(), Duration::from_secs(2));
}

#[test]
fn unknown_keys_name_file_line_and_key() {
    let text = MINIMAL.replace("rate = 10", "rate = 10\nrat = 3");
    let err = error_of(&text);
    assert!(err.starts_with("test.toml:9:"), "{err}");
    assert!(err.contains("stages[0].rat"), "{err}");
    assert!(err.contains("unknown field"), "{err}");
}

#[test]
fn wrong_types_name_the_key() {
    let err = error_of(&MINIMAL.replace("rate = 10", "rate = \"fast\""));
    assert!(err.starts_with("test.toml:8:"), "{err}");
    assert!(err.contains("stages[0].rate"), "{err}");
}

#[test]
fn syntax_errors_give_the_line() {
    let err = error_of("[target\nurl = 1");
    assert!(err.starts_with("test.toml:1:"), "{err}");
}

#[test]
fn semantic_errors_name_line_and_key() {
    let cases = [
        (
            MINIMAL.replace("rate = 10", "rate = 0"),
            "test.toml:8:",
            "stages[0].rate",
        ),
        (
            MINIMAL.replace("\"2s\"", "\"0s\""),
            "test.toml:7:",
            "stages[0].duration",
        ),
        (
            MINIMAL.replace("\"2s\"", "\"soon\""),
            "test.toml:7:",
            "stages[0].duration",
        ),
        (
            MINIMAL.replace("http://127.0.0.1:9/", "ftp://x/"),
            "test.toml:3:",
            "target.url",
        ),
        (
            MINIMAL.replace("duration", "thresholds = [\"p99 < quick\"]\nduration"),
            "test.toml:7:",
            "stages[0].thresholds[0]",
        ),
    ];
    for (text, location, key) in cases {
        let err = error_of(&text);
        assert!(err.starts_with(location), "{err}");
        assert!(err.contains(key), "{err}");
    }
}

#[test]
fn knobs_require_the_embedded_target() {
    let text = format!("{MINIMAL}\n[server.knobs]\npool_size = 4\n");
    let err = error_of(&text);
    assert!(err.contains("server.knobs"), "{err}");
    assert!(err.contains("embedded"), "{err}");
}

#[test]
fn closed_model_refuses_a_stage_rate() {
    let text = MINIMAL.replace("[[stages]]", "[load]\nmodel = \"closed\"\n\n[[stages]]");
    assert!(error_of(&text).contains("open model"));
}

#[test]
fn open_model_needs_a_rate() {
    let text = MINIMAL.replace("rate = 10\n", "");
    assert!(error_of(&text).contains("needs a rate"));
}

#[test]
fn duplicate_stage_names_are_refused() {
    let text = format!("{MINIMAL}\n[[stages]]\nname = \"only\"\nduration = 1\nrate = 5\n");
    let err = error_of(&text);
    assert!(err.contains("duplicate stage name"), "{err}");
    assert!(err.contains("stages[1].name"), "{err}");
}

#[test]
fn a_missing_file_is_a_read_error() {
    let err = Profile::load(Path::new("/nonexistent/x.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cannot read profile /nonexistent/x.toml"),
        "{err}"
    );
}

#[test]
fn bad_knobs_point_at_their_line() {
    let text = r#"
[target]
route = "/pool"

[server.knobs]
pool_size = 4
hold_msec = 3

[[stages]]
name = "only"
duration = "2s"
rate = 10
"#;
    let err = error_of(text);
    assert!(
        err.starts_with("test.toml:7:1: `server.knobs.hold_msec`"),
        "{err}"
    );
    let err = error_of(&text.replace("hold_msec = 3", "hold_ms = 999999999"));
    assert!(
        err.starts_with("test.toml:7:1: `server.knobs.hold_ms`"),
        "{err}"
    );
}

#[test]
fn a_sweep_makes_one_stage_per_value() {
    let text = r#"
[target]
route = "/pool"

[load]
rate = 500

[sweep]
knob = "pool_size"
values = [1, 2, 4]
duration = "3s"
thresholds = ["p99 < 1s"]
"#;
    let profile = parse(text).unwrap();
    let names: Vec<_> = profile.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["pool_size=1", "pool_size=2", "pool_size=4"]);
    assert_eq!(profile.stages[2].knobs.pool_size, Some(4));
    assert_eq!(profile.stages[1].rate, None);
    assert_eq!(profile.stages[0].thresholds.len(), 1);
    assert_eq!(profile.total_duration(), Duration::from_secs(9));

    let err = error_of(&text.replace("values = [1, 2, 4]", "values = [1, 0]"));
    assert!(
        err.contains("sweep.values[1]") && err.contains("out of range"),
        "{err}"
    );
    let err = error_of(&text.replace("pool_size", "pool_sighs"));
    assert!(
        err.contains("sweep.values[0]") && err.contains("unknown field"),
        "{err}"
    );
}

#[test]
fn compare_profiles_list_named_targets() {
    let text = r#"
[[targets]]
name = "embedded"
route = "/plaintext"

[[targets]]
name = "python"
url = "http://127.0.0.1:8000/"
command = "python3 -m http.server 8000"
ready_timeout = "5s"

[[stages]]
name = "only"
duration = "2s"
rate = 10
"#;
    let profile = parse(text).unwrap();
    assert_eq!(profile.targets.len(), 2);
    assert_eq!(profile.targets[1].name, "python");
    assert_eq!(
        profile.targets[1].target,
        Target::Url {
            url: "http://127.0.0.1:8000/".into(),
            pid: None,
            db_pid: None,
            metrics_url: None,
            command: Some("python3 -m http.server 8000".into()),
            ready_timeout: Duration::from_secs(5),
        }
    );
    let err = error_of(&text.replace("name = \"python\"", "name = \"embedded\""));
    assert!(err.contains("duplicate target name"), "{err}");
    let err = error_of(&text.replace("route = \"/plaintext\"", "route = \"/plaintext\"\npid = 3"));
    assert!(err.contains("targets[0]"), "{err}");
}

#[test]
fn a_profile_needs_a_target() {
    let err = error_of("[[stages]]\nname = \"a\"\nduration = 1\nrate = 1\n");
    assert!(err.contains("missing `[target]`"), "{err}");
}

#[test]
fn a_stage_may_switch_the_model() {
    let text = MINIMAL.replace(
        "rate = 10\n",
        "rate = 10\n\n[[stages]]\nname = \"closed\"\nmodel = \"closed\"\nduration = 1\nconnections = 2\n",
    );
    let profile = parse(&text).unwrap();
    assert_eq!(profile.stages[0].model, ModelKind::Open);
    assert_eq!(profile.stages[1].model, ModelKind::Closed);
    let err = error_of(&text.replace("connections = 2", "rate = 5"));
    assert!(
        err.contains("stages[1].rate") && err.contains("open model"),
        "{err}"
    );
    let err = error_of(&text.replace("model = \"closed\"", "model = \"ajar\""));
    assert!(err.contains("stages[1].model"), "{err}");
}

#[test]
fn request_keys_choose_http2_and_tls_trust() {
    let text = MINIMAL.replace(
        "[[stages]]",
        "[request]\nhttp2 = true\nh2_streams = 8\ncacert = \"certs/ca.pem\"\n\n[[stages]]",
    );
    let profile = Profile::parse(&text, "profiles/p.toml").unwrap();
    let transport = &profile.request.transport;
    assert!(transport.http2 && !transport.insecure);
    assert_eq!(transport.h2_streams, Some(8));
    assert_eq!(
        transport.cacert.as_deref(),
        Some(std::path::Path::new("profiles/certs/ca.pem"))
    );
    assert_eq!(
        parse(MINIMAL).unwrap().request.transport,
        Default::default()
    );
}

#[test]
fn request_transport_keys_are_checked() {
    let with =
        |keys: &str| MINIMAL.replace("[[stages]]", &format!("[request]\n{keys}\n\n[[stages]]"));
    assert!(error_of(&with("h2_streams = 4")).contains("need `http2 = true`"));
    assert!(error_of(&with("http2 = true\nh2_streams = 0")).contains("1 to 1000"));
    let both = error_of(&with("insecure = true\ncacert = \"ca.pem\""));
    assert!(both.contains("request.cacert"), "{both}");
}

#[test]
fn a_server_database_is_passed_to_serve_and_bad_ones_name_line_and_key() {
    let embedded = MINIMAL.replace(
        "url = \"http://127.0.0.1:9/\"",
        "route = \"/db/user/1\"\n\n[server]\ndatabase = \"embedded\"\ndb_orders = 5000",
    );
    let profile = parse(&embedded).unwrap();
    let database = profile.server.database.clone().unwrap();
    assert_eq!(
        database.serve_args(),
        ["--database", "embedded", "--db-orders", "5000"]
    );
    // The default profile stays on the simulated pool.
    assert_eq!(Profile::default_profile().unwrap().server.database, None);

    let err = error_of(&embedded.replace("\"embedded\"", "\"mysql://x\""));
    assert!(
        err.contains("test.toml:6:") && err.contains("server.database"),
        "{err}"
    );
    let err = error_of(&embedded.replace("database = \"embedded\"\n", ""));
    assert!(
        err.contains("test.toml:6:") && err.contains("server.db_orders"),
        "{err}"
    );
    let on_url = MINIMAL.replace(
        "[[stages]]",
        "[server]\ndatabase = \"embedded\"\n\n[[stages]]",
    );
    let err = error_of(&on_url);
    assert!(
        err.contains("server.database") && err.contains("embedded target"),
        "{err}"
    );
    let db_pid = MINIMAL.replace(
        "url = \"http://127.0.0.1:9/\"",
        "url = \"http://127.0.0.1:9/\"\ndb_pid = 77",
    );
    let Target::Url { db_pid, .. } = parse(&db_pid).unwrap().target else {
        panic!("a url target");
    };
    assert_eq!(db_pid, Some(77));
}
