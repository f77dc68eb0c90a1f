//! `loadtop serve --database embedded` against the system's real
//! PostgreSQL: the /db routes, the orders index and its plan, pool waves,
//! acquire and statement timeouts, a killed database, and the cluster gone
//! on every way serve ends. These tests need PostgreSQL installed (CI
//! installs it); when the cluster cannot start they fail, never skip.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use loadtop::server::admin_client::{self, AdminClient, RawResponse};
use loadtop::server::db::DbStats;
use serde_json::Value;

use crate::server::wait_until;
use crate::support::{Spawned, loadtop_bin, signal};

const START_LIMIT: Duration = Duration::from_secs(120);
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A `loadtop serve --database embedded`, SIGKILLed when dropped (its
/// keeper then removes the cluster).
struct DbServer {
    child: Spawned,
    addr: SocketAddr,
    token: String,
}

impl DbServer {
    fn start(extra: &[&str]) -> DbServer {
        DbServer::start_with(extra, |_| {})
    }

    fn start_with(extra: &[&str], customize: impl FnOnce(&mut Command)) -> DbServer {
        let mut command = Command::new(loadtop_bin());
        command
            .args(["serve", "--bind", "127.0.0.1:0", "--threads", "2"])
            .args(["--database", "embedded"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        customize(&mut command);
        let mut child = Spawned(command.spawn().unwrap());
        let stdout = child.0.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
            if let Some(line) = lines.next() {
                let _ = tx.send(line);
            }
            for _ in lines {}
        });
        let line = rx.recv_timeout(START_LIMIT).unwrap_or_else(|_| {
            panic!(
                "`loadtop serve --database embedded` printed no ready line within {START_LIMIT:?}: \
                 is PostgreSQL installed (apt-get install postgresql)?"
            )
        });
        let field = |key: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(key))
                .unwrap_or_else(|| panic!("no {key} in {line:?}"))
                .to_string()
        };
        let addr = field("listening=http://").parse().unwrap();
        DbServer {
            child,
            addr,
            token: field("admin-token="),
        }
    }

    fn get(&self, path: &str) -> RawResponse {
        admin_client::request(self.addr, "GET", path, &[], b"", HTTP_TIMEOUT).unwrap()
    }

    fn json(&self, path: &str) -> Value {
        let response = self.get(path);
        assert_eq!(response.status, 200, "{path}: {}", response.text());
        serde_json::from_slice(&response.body).unwrap()
    }

    fn patch(&self, json: &str) -> RawResponse {
        let auth = format!("Bearer {}", self.token);
        admin_client::request(
            self.addr,
            "PATCH",
            "/_loadtop/knobs",
            &[("Authorization", &auth)],
            json.as_bytes(),
            HTTP_TIMEOUT,
        )
        .unwrap()
    }

    fn db_stats(&self) -> DbStats {
        let stats = AdminClient::new(self.addr, &self.token).stats().unwrap();
        stats.db.expect("stats carry a db object with --database")
    }
}

/// Median wall time of GETs of `paths` (each must answer 200).
/// The fastest request: the query's own cost without a busy machine's
/// scheduling delays (a scan can never beat reading the table).
fn fastest_time(server: &DbServer, paths: &[String]) -> Duration {
    let mut times: Vec<Duration> = paths
        .iter()
        .map(|path| {
            let started = Instant::now();
            let response = server.get(path);
            assert_eq!(response.status, 200, "{path}: {}", response.text());
            started.elapsed()
        })
        .collect();
    times.sort();
    times[0]
}

#[test]
fn db_routes_answer_and_the_orders_index_makes_the_query_ten_times_faster() {
    let server = DbServer::start(&["--db-users", "40000", "--db-orders", "400000"]);
    let user = server.json("/db/user/7");
    assert_eq!(user["id"], 7);
    assert_eq!(user["name"], "user-7");
    assert_eq!(server.get("/db/user/40001").status, 404);
    assert_eq!(server.get("/db/user/x").status, 400);
    let orders = server.json("/db/orders?user_id=7&status=pending");
    let rows = orders["orders"].as_array().unwrap();
    assert!(!rows.is_empty(), "{orders}");
    assert!(rows.iter().all(|o| o["status"] == "pending"), "{orders}");
    assert_eq!(server.get("/db/orders?status=pending").status, 400);
    assert_eq!(server.get("/db/orders?user_id=1&status=x'").status, 400);
    assert_eq!(server.json("/db/sleep?ms=20")["slept_ms"], 20);
    assert_eq!(server.get("/plaintext").status, 200);

    let stats = server.db_stats();
    assert_eq!(stats.orders_plan, "Seq Scan on orders");
    assert!(!stats.orders_index && stats.up, "{stats:?}");
    assert!(stats.postmaster_pid.is_some() && stats.dir.is_some());
    let metrics = server.get("/metrics").text();
    for name in [
        "db_client_connection_count{pool_name=\"loadtop.db\",state=\"idle\"}",
        "db_client_connection_count{pool_name=\"loadtop.db\",state=\"used\"}",
        "db_client_connection_max{pool_name=\"loadtop.db\"} 10",
        "db_client_connection_pending_requests",
        "db_client_connection_wait_time_seconds_bucket",
    ] {
        assert!(metrics.contains(name), "/metrics lacks {name}:\n{metrics}");
    }

    let paths: Vec<String> = (100..109)
        .map(|u| format!("/db/orders?user_id={u}&status=pending"))
        .collect();
    let scanned = fastest_time(&server, &paths);
    let response = server.patch(r#"{"orders_index":true}"#);
    assert_eq!(response.status, 200, "{}", response.text());
    let knobs: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(knobs["orders_index"], true);
    // The PATCH answers once the index exists, and the plan is re-read then.
    let stats = server.db_stats();
    assert!(
        stats.orders_plan.contains("orders_user_id_status_idx")
            && !stats.orders_plan.contains("Seq Scan"),
        "{}",
        stats.orders_plan
    );
    let indexed = fastest_time(&server, &paths);
    assert!(
        indexed * 10 <= scanned,
        "the indexed query took {indexed:?}, the scan {scanned:?}: not 10x faster"
    );
    assert_eq!(server.patch(r#"{"orders_index":false}"#).status, 200);
    assert_eq!(server.db_stats().orders_plan, "Seq Scan on orders");
}

#[test]
fn a_pool_of_two_queues_requests_into_waves_and_times_out() {
    let server = DbServer::start(&[
        "--db-users",
        "100",
        "--db-orders",
        "1000",
        "--knobs",
        r#"{"db_pool_size":2,"db_acquire_timeout_ms":10000}"#,
    ]);
    let addr = server.addr;
    let requests: Vec<_> = (0..10)
        .map(|_| {
            std::thread::spawn(move || {
                let started = Instant::now();
                let response =
                    admin_client::request(addr, "GET", "/db/sleep?ms=300", &[], b"", HTTP_TIMEOUT)
                        .unwrap();
                (response.status, started.elapsed())
            })
        })
        .collect();
    let mut most_waiting = 0;
    let saw_waiters = wait_until(Duration::from_secs(5), || {
        most_waiting = most_waiting.max(server.db_stats().waiting);
        most_waiting >= 4
    });
    let mut results: Vec<(u16, Duration)> =
        requests.into_iter().map(|h| h.join().unwrap()).collect();
    results.sort_by_key(|(_, took)| *took);
    assert!(
        results.iter().all(|(status, _)| *status == 200),
        "{results:?}"
    );
    assert!(
        saw_waiters,
        "stats never showed 4 waiters (most: {most_waiting})"
    );
    // Two at a time, 300 ms each: five waves, the last done after ≥ 1.5 s.
    let last = results[9].1;
    assert!(last >= Duration::from_millis(1450), "{results:?}");
    assert!(results[0].1 < Duration::from_millis(1000), "{results:?}");
    let stats = server.db_stats();
    assert!(stats.acquire_wait_max_us >= 1_000_000, "{stats:?}");
    assert_eq!((stats.pool_size, stats.timeouts), (2, 0), "{stats:?}");

    // Both connections held for 2 s: the next request gives up after 100 ms.
    assert_eq!(server.patch(r#"{"db_acquire_timeout_ms":100}"#).status, 200);
    let holders: Vec<_> = (0..2)
        .map(|_| {
            std::thread::spawn(move || {
                admin_client::request(addr, "GET", "/db/sleep?ms=2000", &[], b"", HTTP_TIMEOUT)
                    .unwrap()
                    .status
            })
        })
        .collect();
    assert!(wait_until(Duration::from_secs(5), || server
        .db_stats()
        .in_use
        == 2));
    let started = Instant::now();
    let refused = server.get("/db/user/1");
    assert_eq!(refused.status, 503, "{}", refused.text());
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert!(started.elapsed() < Duration::from_millis(1500));
    assert_eq!(server.get("/plaintext").status, 200);
    assert!(holders.into_iter().all(|h| h.join().unwrap() == 200));
    assert!(server.db_stats().timeouts >= 1);

    // Live knobs: a bigger pool, and a statement timeout that cuts a query.
    assert_eq!(
        server
            .patch(r#"{"db_pool_size":4,"db_statement_timeout_ms":100}"#)
            .status,
        200
    );
    assert_eq!(server.db_stats().pool_size, 4);
    let cut = server.get("/db/sleep?ms=1000");
    assert_eq!(cut.status, 503, "{}", cut.text());
    assert!(cut.text().contains("statement_timeout"), "{}", cut.text());
    assert_eq!(server.db_stats().errors["statement_timeout"], 1);
}

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
