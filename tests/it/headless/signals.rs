//! Signals and process lifetimes: Ctrl-C typed in a real terminal (tmux),
//! a second signal, SIGKILL of loadtop (no child may survive it), and
//! inputs that never arrive (FIFOs) still yielding to a signal.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::lifecycle::children_of;
use super::{QUICK, Spawned, read_valid_report, write_profile};
use crate::support::{exit_code_within, loadtop_bin, signal};
use crate::tui::e2e::Tmux;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn long_profile(dir: &Path) -> std::path::PathBuf {
    write_profile(
        dir,
        "long.toml",
        &QUICK.replace("duration = \"1s\"", "duration = \"30s\""),
    )
}

/// Gone, or a zombie waiting for init: either way it runs no more.
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X")
    })
}

fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "{what} within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// All descendants of `pid`.
fn descendants(pid: u32) -> Vec<u32> {
    let mut all = Vec::new();
    let mut queue = vec![pid];
    while let Some(next) = queue.pop() {
        for child in children_of(next) {
            all.push(child);
            queue.push(child);
        }
    }
    all
}

#[test]
fn ctrl_c_in_a_terminal_on_a_headless_run_exits_130_with_its_report() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("tmux is not installed; skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let profile = long_profile(dir.path());
    let report = dir.path().join("report.json");
    let script = format!(
        // The shell gets the terminal's SIGINT too: a trap keeps it alive
        // (and, unlike an ignored signal, is not inherited by loadtop).
        "trap 'true' INT; '{}' run '{}' --headless --json '{}' >/dev/null 2>&1; echo EXIT=$?; sleep 60",
        loadtop_bin().display(),
        profile.display(),
        report.display()
    );
    let tmux = Tmux::start("loadtop-ctrlc", 100, 20, &script);
    // The embedded server is up once the report would have something in it.
    std::thread::sleep(Duration::from_millis(3000));
    tmux.keys("C-c");
    let screen = tmux.wait_for("EXIT=");
    assert!(screen.contains("EXIT=130"), "{screen}");
    let report = read_valid_report(&report);
    assert_eq!(report["outcome"], "interrupted");
    assert!(report["summary"]["requests"].as_u64().unwrap() > 0);
}

#[test]
fn sigkill_of_loadtop_leaves_no_embedded_server() {
    let dir = tempfile::tempdir().unwrap();
    let profile = long_profile(dir.path());
    let mut child = headless_run(&profile, dir.path(), Stdio::null());
    let mut server = Vec::new();
    wait_until(
        Duration::from_secs(15),
        "the embedded server starts",
        || {
            server = children_of(child.0.id());
            !server.is_empty()
        },
    );
    signal(&child, "KILL");
    let _ = exit_code_within(&mut child, Duration::from_secs(5));
    wait_until(Duration::from_secs(3), "the embedded server exits", || {
        server.iter().all(|&pid| !running(pid))
    });
}

#[test]
fn sigkill_of_loadtop_stops_a_command_target_and_frees_its_port() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let profile = write_profile(
        dir.path(),
        "command.toml",
        &format!(
            "name = \"cmd\"\n[target]\nurl = \"http://127.0.0.1:{port}/plaintext\"\n\
             command = \"sh -c 'sleep 120 & exec {} serve --bind 127.0.0.1:{port} --threads 1'\"\n\
             ready_timeout = \"20s\"\n[load]\nmodel = \"open\"\nconnections = 2\n\
             [[stages]]\nname = \"one\"\nduration = \"30s\"\nrate = 50\n",
            loadtop_bin().display()
        ),
    );
    let mut child = headless_run(&profile, dir.path(), Stdio::null());
    // Supervisor, the command and its background `sleep`.
    let mut family = Vec::new();
    wait_until(Duration::from_secs(20), "the command target starts", || {
        family = descendants(child.0.id());
        family.len() >= 3 && TcpListener::bind(("127.0.0.1", port)).is_err()
    });
    signal(&child, "KILL");
    let _ = exit_code_within(&mut child, Duration::from_secs(5));
    wait_until(Duration::from_secs(5), "the command's group exits", || {
        family.iter().all(|&pid| !running(pid))
    });
    assert!(
        TcpListener::bind(("127.0.0.1", port)).is_ok(),
        "port still held"
    );
}

#[test]
fn a_second_signal_exits_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // A target that ignores SIGTERM: stopping it takes the 2 s grace.
    let profile = write_profile(
        dir.path(),
        "stubborn.toml",
        &format!(
            "name = \"stubborn\"\n[target]\nurl = \"http://127.0.0.1:{port}/\"\n\
             command = \"sh -c \\\"trap '' TERM; exec python3 -m http.server {port} --bind 127.0.0.1\\\"\"\n\
             ready_timeout = \"20s\"\n[load]\nmodel = \"open\"\nconnections = 1\n\
             [[stages]]\nname = \"one\"\nduration = \"30s\"\nrate = 5\n"
        ),
    );
    let mut child = headless_run(&profile, dir.path(), Stdio::piped());
    wait_until(Duration::from_secs(20), "the target answers", || {
        TcpListener::bind(("127.0.0.1", port)).is_err() && descendants(child.0.id()).len() >= 2
    });
    std::thread::sleep(Duration::from_millis(1500));
    signal(&child, "TERM");
    std::thread::sleep(Duration::from_millis(300));
    let second = Instant::now();
    signal(&child, "TERM");
    assert_eq!(
        exit_code_within(&mut child, Duration::from_secs(10)),
        Some(130)
    );
    // The first stop would still be waiting out the target's grace.
    assert!(
        second.elapsed() < Duration::from_millis(1500),
        "{:?}",
        second.elapsed()
    );
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.0.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("interrupted again"), "{stderr}");
    // The supervisor still stops the target after its grace.
    wait_until(Duration::from_secs(8), "the target stops", || {
        TcpListener::bind(("127.0.0.1", port)).is_ok()
    });
}

/// A FIFO nobody writes to, as the profile and as `--body-file`: the read
/// blocks, and a signal still ends the process with 130.
#[test]
fn a_fifo_input_that_never_arrives_yields_to_a_signal() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("never.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let fifo = fifo.to_str().unwrap();
    for (args, sig) in [
        (vec!["run", fifo], "TERM"),
        (
            vec![
                "bench",
                "--body-file",
                fifo,
                "-d",
                "1s",
                "http://127.0.0.1:9/",
            ],
            "INT",
        ),
    ] {
        let mut child = Spawned(
            Command::new(loadtop_bin())
                .args(&args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        std::thread::sleep(Duration::from_millis(700));
        signal(&child, sig);
        assert_eq!(
            exit_code_within(&mut child, Duration::from_secs(5)),
            Some(130),
            "{args:?}"
        );
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.0.stderr.take().unwrap(), &mut stderr).unwrap();
        assert!(stderr.contains("loadtop: interrupted"), "{stderr}");
    }
}

/// `loadtop run PROFILE --headless --json DIR/r.json`, stdout discarded.
fn headless_run(profile: &Path, dir: &Path, stderr: Stdio) -> Spawned {
    Spawned(
        Command::new(loadtop_bin())
            .args(["run", profile.to_str().unwrap(), "--headless", "--json"])
            .arg(dir.join("r.json"))
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap(),
    )
}
