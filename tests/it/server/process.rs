//! `loadtop serve` as a real process: the ready line, exit codes, graceful
//! SIGTERM drain, and `ChildServer` (the parent side `loadtop run` uses).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use loadtop::server::ServerError;
use loadtop::server::child::{ChildServer, parse_ready_line};

use crate::support::loadtop_bin;

use super::{get, wait_until};

fn process_alive(pid: u32) -> bool {
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn child_server_reports_ready_and_is_killed_on_drop() {
    let child = ChildServer::spawn(&loadtop_bin(), &["--threads".into(), "1".into()]).unwrap();
    assert!(child.url().starts_with("http://127.0.0.1:"));
    assert_eq!(child.addr().ip().to_string(), "127.0.0.1");
    assert_eq!(child.token().len(), 32);
    assert!(child.token().chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(child.try_exit_status(), None);
    assert_eq!(get(child.addr(), "/plaintext").text(), "Hello, World!");
    let admin = loadtop::server::admin_client::AdminClient::new(child.addr(), child.token());
    assert_eq!(admin.stats().unwrap().per_route["plaintext"], 1);
    let pid = child.pid();
    assert!(process_alive(pid));
    drop(child);
    assert!(!process_alive(pid), "the child outlived its ChildServer");
}

#[test]
fn child_server_notices_its_death() {
    let child = ChildServer::spawn(&loadtop_bin(), &[]).unwrap();
    let killed = Command::new("kill")
        .args(["-KILL", &child.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut status = None;
    assert!(wait_until(Duration::from_secs(5), || {
        status = child.try_exit_status();
        status.is_some()
    }));
    assert!(status.unwrap().contains("signal"));
}

#[test]
fn child_server_reports_a_failed_start() {
    let err =
        ChildServer::spawn(&loadtop_bin(), &["--knobs".into(), "{\"nope\":1}".into()]).unwrap_err();
    assert!(matches!(err, ServerError::ChildExited(_)), "{err}");
    assert!(err.to_string().contains("nope"), "{err}");
    let err = ChildServer::spawn(std::path::Path::new("/no/such/loadtop"), &[]).unwrap_err();
    assert!(matches!(err, ServerError::Spawn { .. }), "{err}");
}

#[test]
fn sigterm_drains_in_flight_requests_and_exits_zero() {
    let mut process = Command::new(loadtop_bin())
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--threads",
            "2",
            "--log-requests",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(process.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready = parse_ready_line(&line).unwrap();
    assert_eq!(ready.pid, process.id());
    let addr = ready.addr;
    let in_flight = std::thread::spawn(move || get(addr, "/sleep?ms=1500"));
    let admin = loadtop::server::admin_client::AdminClient::new(addr, ready.token.clone());
    assert!(wait_until(Duration::from_secs(5), || admin
        .stats()
        .is_ok_and(|s| s.inflight == 1)));
    let sent = Command::new("kill")
        .args(["-TERM", &ready.pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let response = in_flight.join().unwrap();
    assert_eq!(response.status, 200);
    assert!(wait_until(Duration::from_secs(10), || process
        .try_wait()
        .unwrap()
        .is_some()));
    assert_eq!(process.wait().unwrap().code(), Some(0));
    let mut log = String::new();
    std::io::Read::read_to_string(&mut process.stderr.take().unwrap(), &mut log).unwrap();
    assert!(log.contains("GET /sleep 200"), "{log}");
}

#[test]
fn port_in_use_exits_2_with_one_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let output = Command::new(loadtop_bin())
        .args(["serve", "--bind", &addr.to_string()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        format!("loadtop: cannot bind {addr}: address in use")
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn bad_address_and_bad_static_dir_exit_2() {
    for args in [
        vec!["serve", "--bind", "localhost:80"],
        vec![
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--static-dir",
            "/no/such/dir",
        ],
        vec![
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--knobs",
            "{\"pool_size\":0}",
        ],
    ] {
        let output = Command::new(loadtop_bin()).args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("loadtop: "), "{stderr}");
    }
}

/// `loadtop serve ARGS` with `env`, which must exit by itself: its code and stderr.
fn serve_refused(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let child = Command::new(loadtop_bin())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .env_remove("LOADTOP_ADMIN_TOKEN")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = crate::support::finish(child, Duration::from_secs(20));
    assert!(output.stdout.is_empty(), "{args:?}: it started");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), stderr)
}

#[test]
fn empty_short_or_unsendable_admin_tokens_exit_2_before_listening() {
    for (args, env, expected) in [
        (&["--admin-token", ""][..], &[][..], "is empty"),
        (&[], &[("LOADTOP_ADMIN_TOKEN", "")], "is empty"),
        (
            &["--admin-token", "0123456789abcde"],
            &[],
            "has 15 characters",
        ),
        (&[], &[("LOADTOP_ADMIN_TOKEN", "short")], "has 5 characters"),
        (
            &["--admin-token", "0123456789abcdef 0123"],
            &[],
            "only visible ASCII",
        ),
    ] {
        let (code, stderr) = serve_refused(args, env);
        assert_eq!(code, Some(2), "{args:?} {env:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("loadtop: --admin-token (or LOADTOP_ADMIN_TOKEN) ")
                && stderr.contains(expected),
            "{args:?} {env:?}: {stderr}"
        );
    }
}

#[test]
fn threads_out_of_range_exit_2() {
    for threads in ["0", "1025", "99999999999"] {
        let (code, stderr) = serve_refused(&["--threads", threads], &[]);
        assert_eq!(code, Some(2), "--threads {threads}: {stderr}");
        assert_eq!(
            stderr.trim_end(),
            format!("loadtop: --threads must be 1..=1024, not {threads}")
        );
    }
    let (code, stderr) = serve_refused(&["--threads", "-1"], &[]);
    assert_eq!(code, Some(2), "{stderr}");
}
