//! `loadtop serve --database embedded` against the system's real
//! PostgreSQL: the /db routes, the orders index and its plan, pool waves,
//! acquire and statement timeouts, a killed database, and the cluster gone
//! on every way serve ends. These tests need PostgreSQL installed (CI
//! installs it); when the cluster cannot start they fail, never skip.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use loadtop::server::admin_client::{self, AdminClient, RawResponse};
use loadtop::server::db::DbStats;
use serde_json::Value;

use crate::support::{Spawned, loadtop_bin};

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

mod lifecycle;
mod routes;
