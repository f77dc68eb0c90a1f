//! A database killed under load, and the cluster gone on every way serve
//! ends; a database URL that cannot be reached.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::server::wait_until;
use crate::support::{loadtop_bin, signal};

use super::DbServer;

/// Processes of the cluster in `dir`: PostgreSQL's processes work in its
/// data directory (the backends call `setsid`, so no process group holds
/// them all).
fn cluster_processes(dir: &Path) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let pid = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let cwd = std::fs::read_link(entry.path().join("cwd")).ok()?;
            cwd.starts_with(dir).then_some(pid)
        })
        .collect()
}

fn assert_cluster_gone(pid: u32, dir: &Path, how: &str) {
    let gone = wait_until(Duration::from_secs(15), || {
        cluster_processes(dir).is_empty()
            && !dir.exists()
            && !Path::new(&format!("/proc/{pid}")).exists()
    });
    assert!(
        gone,
        "after {how}: postgres processes {:?}, directory {} exists: {}",
        cluster_processes(dir),
        dir.display(),
        dir.exists()
    );
}

#[test]
fn a_killed_database_answers_503_fast_while_other_routes_serve() {
    let server = DbServer::start(&["--db-users", "100", "--db-orders", "1000"]);
    assert_eq!(server.get("/db/user/1").status, 200);
    let stats = server.db_stats();
    let pid = stats.postmaster_pid.unwrap();
    let dir = std::path::PathBuf::from(stats.dir.unwrap());
    let shmid = shared_memory_id(&dir);
    let status = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let killed = Instant::now();
    let mut last = None;
    let refused = wait_until(Duration::from_secs(1), || {
        let started = Instant::now();
        let response = server.get("/db/user/1");
        last = Some((response.status, started.elapsed(), response.text()));
        response.status == 503
    });
    assert!(refused, "no 503 within 1 s of the kill: {last:?}");
    assert!(killed.elapsed() < Duration::from_secs(2));
    let (_, took, _) = last.unwrap();
    assert!(took < Duration::from_secs(1), "the 503 took {took:?}");
    assert_eq!(server.get("/db/orders?user_id=1").status, 503);
    assert_eq!(server.get("/plaintext").status, 200);
    assert!(wait_until(Duration::from_secs(5), || !server.db_stats().up));
    let stats = server.db_stats();
    assert!(
        stats.errors["connect"] + stats.errors["connection_lost"] >= 1,
        "{stats:?}"
    );
    signal(&server.child, "TERM");
    assert_cluster_gone(pid, &dir, "a killed postmaster and SIGTERM");
    // Only a clean shutdown releases the System V segment; the keeper does it
    // for a postmaster that was killed.
    let segments = std::fs::read_to_string("/proc/sysvipc/shm").unwrap();
    let left = segments
        .lines()
        .skip(1)
        .any(|line| line.split_whitespace().nth(1) == Some(&shmid.to_string()));
    assert!(!left, "shared memory segment {shmid} left:\n{segments}");
}

/// The System V segment the running postmaster holds (`postmaster.pid`,
/// seventh line: `key shmid`).
fn shared_memory_id(dir: &Path) -> u64 {
    let pid_file = std::fs::read_to_string(dir.join("data/postmaster.pid")).unwrap();
    pid_file
        .lines()
        .nth(6)
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no segment in postmaster.pid:\n{pid_file}"))
}

#[test]
fn no_cluster_is_left_after_sigterm_sigint_sigkill_or_a_closed_parent_pipe() {
    let small = ["--db-users", "10", "--db-orders", "10"];
    let ends = ["TERM", "INT", "KILL", "pipe"];
    let runs: Vec<_> = ends
        .into_iter()
        .map(|end| {
            std::thread::spawn(move || {
                let mut server = DbServer::start_with(&small, |command| {
                    if end == "pipe" {
                        // How `loadtop run` starts its server: it exits
                        // when its stdin, a pipe from the parent, closes.
                        command
                            .env("LOADTOP_PARENT_PIPE", "stdin")
                            .stdin(Stdio::piped());
                    }
                });
                let stats = server.db_stats();
                let (pid, dir) = (stats.postmaster_pid.unwrap(), stats.dir.unwrap());
                assert!(
                    cluster_processes(Path::new(&dir)).contains(&pid),
                    "no cluster before {end}"
                );
                assert_eq!(server.get("/db/user/1").status, 200);
                if end == "pipe" {
                    drop(server.child.0.stdin.take());
                } else {
                    signal(&server.child, end);
                }
                let exited = wait_until(Duration::from_secs(20), || {
                    server.child.0.try_wait().unwrap().is_some()
                });
                assert!(exited, "serve did not end after {end}");
                assert_cluster_gone(pid, Path::new(&dir), end);
            })
        })
        .collect();
    for run in runs {
        run.join().unwrap();
    }
}

#[test]
fn an_unreachable_database_url_is_one_line_and_exit_2() {
    let output = Command::new(loadtop_bin())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(["--database", "postgres://loadtop@127.0.0.1:1/none"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot reach the database"), "{stderr}");
}
