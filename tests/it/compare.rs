//! `loadtop compare` end to end: real targets started by command on
//! 127.0.0.1 (loadtop's own server and `python3 -m http.server`), tables in
//! text and Markdown, the `loadtop.compare/1` document against its schema,
//! skipped runtimes, commands that fail or never answer (and are gone
//! afterwards), and a target killed mid-run.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{finish, loadtop_bin};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn_compare(args: &[&str], dir: &Path) -> Child {
    Command::new(loadtop_bin())
        .arg("compare")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn compare(args: &[&str], dir: &Path) -> (Option<i32>, String, String) {
    let out = finish(spawn_compare(args, dir), Duration::from_secs(90));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write_profile(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("compare.toml");
    std::fs::write(&path, body).unwrap();
    path
}

/// `[[targets]]` entry for `loadtop serve` started by command.
fn own_server(name: &str, port: u16) -> String {
    format!(
        "[[targets]]\nname = \"{name}\"\nurl = \"http://127.0.0.1:{port}/plaintext\"\n\
         command = \"{} serve --bind 127.0.0.1:{port} --threads 1\"\nready_timeout = \"20s\"\n\n",
        loadtop_bin().display()
    )
}

const LOAD: &str = r#"
[load]
model = "closed"
connections = 2
warmup = "300ms"

[[stages]]
name = "one"
duration = "1s"

[[stages]]
name = "two"
duration = "1s"
"#;

fn compare_schema_errors(document: &Value) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/compare.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(document)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// Pids whose command line contains `needle` (and are not zombies).
fn pids_with_cmdline(needle: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let zombie = stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
            (cmdline.contains(needle) && !zombie).then_some(pid)
        })
        .collect()
}

fn answers(port: u16) -> bool {
    TcpStream::connect_timeout(
        &SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(200),
    )
    .is_ok()
}

#[test]
fn two_command_targets_side_by_side_in_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let (own_port, py_port) = (free_port(), free_port());
    let profile = format!(
        "name = \"pair\"\n{}[[targets]]\nname = \"python-http\"\nurl = \"http://127.0.0.1:{py_port}/\"\n\
         command = \"python3 -m http.server {py_port} --bind 127.0.0.1\"\nready_timeout = \"20s\"\n{LOAD}",
        own_server("own-server", own_port)
    );
    let path = write_profile(dir.path(), &profile);
    let json = dir.path().join("out/compare.json");
    let (code, stdout, stderr) = compare(
        &[path.to_str().unwrap(), "--json", json.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(code, Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");

    // Text: a table per measured stage (the warm-up has none), a row per target.
    for stage in ["one", "two"] {
        let table: Vec<&str> = stdout
            .split("\n\n")
            .find(|block| block.starts_with(&format!("stage `{stage}`:")))
            .unwrap_or_else(|| panic!("no table for {stage}:\n{stdout}"))
            .lines()
            .collect();
        assert!(table[0].contains("after a 300ms warm-up"), "{stdout}");
        assert!(table[1].starts_with("target ") && table[1].contains("p99.9"));
        assert!(table[2].starts_with("own-server "), "{stdout}");
        assert!(table[3].starts_with("python-http "), "{stdout}");
    }
    assert!(!stdout.contains("stage `warmup`"), "{stdout}");
    // Both commands were stopped with their process groups.
    assert!(!answers(own_port) && !answers(py_port));

    let document: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let errors = compare_schema_errors(&document);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(document["schema"], "loadtop.compare/1");
    assert_eq!(document["profile"]["name"], "pair");
    let targets = document["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2);
    for (target, name) in targets.iter().zip(["own-server", "python-http"]) {
        assert_eq!(target["name"], name);
        assert!(target["skipped"].is_null());
        let report = &target["report"];
        crate::headless::assert_valid(report);
        assert_eq!(report["outcome"], "completed");
        assert!(report["summary"]["requests"].as_u64().unwrap() > 0);
        // The started process was monitored.
        let measured = report["stages"].as_array().unwrap();
        assert!(
            measured
                .iter()
                .any(|s| s["resources"]["target_samples"].as_u64() > Some(0))
        );
    }
    let tables = document["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 2);
    for table in tables {
        let rows = table["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 2, "{table}");
        assert!(rows.iter().all(|r| r["requests"].as_u64().unwrap() > 0));
        assert_eq!(rows[1]["target"], "python-http");
    }
}

#[test]
fn markdown_tables_and_a_missing_runtime_is_a_skip_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let profile = format!(
        "{}[[targets]]\nname = \"go-net-http\"\nurl = \"http://127.0.0.1:1/\"\n\
         command = \"go-xyz-not-installed run main.go\"\nrequires = [\"sh\", \"go-xyz-not-installed\"]\n{LOAD}",
        own_server("own", port)
    );
    let path = write_profile(dir.path(), &profile);
    let (code, stdout, stderr) = compare(
        &[path.to_str().unwrap(), "--markdown", "--scale-time", "0.5"],
        dir.path(),
    );
    assert_eq!(code, Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");
    let note = "skipped go-net-http: `go-xyz-not-installed` not found on PATH";
    assert!(stdout.contains(&format!("|\n\n- {note}\n")), "{stdout}");
    assert!(stderr.contains(note), "{stderr}");
    let header = "| target | req/s | mean | p50 | p99 | p99.9 | errors | mean CPU % | max CPU % | peak RSS MiB |";
    assert_eq!(stdout.matches(header).count(), 2, "{stdout}");
    assert_eq!(stdout.matches("|:---|---:|").count(), 2, "{stdout}");
    assert_eq!(stdout.matches("\n| own | ").count(), 2, "{stdout}");
    assert!(!stdout.contains("| go-net-http |"), "{stdout}");
}

#[test]
fn an_unknown_command_is_exit_2_and_earlier_targets_are_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let (port, bad_port) = (free_port(), free_port());
    let profile = format!(
        "{}[[targets]]\nname = \"bad\"\nurl = \"http://127.0.0.1:{bad_port}/\"\n\
         command = \"definitely-not-a-program-xyz --port {bad_port}\"\n{LOAD}",
        own_server("own", port)
    );
    let path = write_profile(dir.path(), &profile);
    let (code, stdout, stderr) = compare(&[path.to_str().unwrap()], dir.path());
    assert_eq!(code, Some(2), "stdout:\n{stdout}\nstderr:\n{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("loadtop: "))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(line.contains("target `bad`"), "{line}");
    assert!(line.contains("definitely-not-a-program-xyz"), "{line}");
    assert!(line.contains("exit status: 127"), "{line}");
    assert!(!answers(port));
    assert!(pids_with_cmdline(&format!("--bind 127.0.0.1:{port}")).is_empty());
}

#[test]
fn a_command_that_never_answers_is_exit_2_and_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // A unique argument finds our `sleep` among everything else on the machine.
    let nap = format!("30.{}{port}", std::process::id());
    let profile = format!(
        "[[targets]]\nname = \"sleeper\"\nurl = \"http://127.0.0.1:{port}/\"\n\
         command = \"sleep {nap}\"\nready_timeout = \"1s\"\n{LOAD}"
    );
    let path = write_profile(dir.path(), &profile);
    let started = Instant::now();
    let (code, stdout, stderr) = compare(&[path.to_str().unwrap()], dir.path());
    assert_eq!(code, Some(2), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stderr.contains(&format!(
            "target `sleeper` did not answer on http://127.0.0.1:{port}/ within 1s"
        )),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(25));
    let pid: u32 = stderr
        .split("pid ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no pid in {stderr}"));
    assert!(!Path::new(&format!("/proc/{pid}")).exists());
    assert!(pids_with_cmdline(&format!("sleep {nap}")).is_empty());
}

#[test]
fn a_command_target_killed_mid_run_is_recorded_as_exited() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let profile = format!(
        "{}[load]\nmodel = \"closed\"\nconnections = 2\n\n[[stages]]\nname = \"long\"\nduration = \"20s\"\n",
        own_server("victim", port)
    );
    let path = write_profile(dir.path(), &profile);
    let json = dir.path().join("compare.json");
    let child = spawn_compare(
        &[path.to_str().unwrap(), "--json", json.to_str().unwrap()],
        dir.path(),
    );
    let needle = format!("serve --bind 127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    let pid = loop {
        // After `exec` the server is the only process with this command line.
        let pids = pids_with_cmdline(&needle);
        if answers(port) && pids.len() == 1 {
            break pids[0];
        }
        assert!(Instant::now() < deadline, "the target never came up");
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_millis(500));
    let killed = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = finish(child, Duration::from_secs(30));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("victim: target_exited"), "{stdout}");
    let document: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let errors = compare_schema_errors(&document);
    assert!(errors.is_empty(), "{errors:#?}");
    let report = &document["targets"][0]["report"];
    assert_eq!(report["outcome"], "target_exited");
    assert!(report["duration_secs"].as_f64().unwrap() < 15.0);
    assert_eq!(document["passed"], false);
}

#[test]
fn ctrl_c_prints_what_was_measured_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (free_port(), free_port());
    let profile = format!(
        "{}{}[load]\nmodel = \"closed\"\nconnections = 2\n\n[[stages]]\nname = \"long\"\nduration = \"20s\"\n",
        own_server("first", first),
        own_server("second", second)
    );
    let path = write_profile(dir.path(), &profile);
    let json = dir.path().join("compare.json");
    let child = spawn_compare(
        &[path.to_str().unwrap(), "--json", json.to_str().unwrap()],
        dir.path(),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while !answers(first) {
        assert!(Instant::now() < deadline, "the first target never came up");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = finish(child, Duration::from_secs(30));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(130), "{stdout}");
    assert!(stdout.contains("stage `long`"), "{stdout}");
    assert!(
        stdout.contains("skipped second: not run: the comparison was interrupted"),
        "{stdout}"
    );
    assert!(!answers(first) && !answers(second));
    let document: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(compare_schema_errors(&document).is_empty());
    assert_eq!(document["targets"][0]["report"]["outcome"], "interrupted");
    assert!(document["targets"][1]["report"].is_null());
}

#[test]
fn ctrl_c_while_a_command_target_starts_exits_130_and_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let nap = format!("40.{}{port}", std::process::id());
    let profile = format!(
        "[[targets]]\nname = \"slow-starter\"\nurl = \"http://127.0.0.1:{port}/\"\n\
         command = \"sleep {nap}\"\nready_timeout = \"30s\"\n{LOAD}"
    );
    let path = write_profile(dir.path(), &profile);
    let mut child = crate::support::Spawned(spawn_compare(&[path.to_str().unwrap()], dir.path()));
    let deadline = Instant::now() + Duration::from_secs(10);
    while pids_with_cmdline(&format!("sleep {nap}")).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the target command never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    crate::support::signal(&child, "INT");
    let code = crate::support::exit_code_within(&mut child, Duration::from_secs(10));
    assert_eq!(code, Some(130));
    assert!(pids_with_cmdline(&format!("sleep {nap}")).is_empty());
}
