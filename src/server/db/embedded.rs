//! `--database embedded`, the parent side: find the system's PostgreSQL
//! binaries, make a fresh directory (owned by the unprivileged `postgres`
//! user when loadtop runs as root, since PostgreSQL refuses root), pick a
//! free loopback port and start `loadtop supervise-database` (see
//! `keeper`), which runs initdb and the cluster and removes it all when
//! this side drops its stdin pipe: on drop here, or when the kernel closes
//! the pipe because `loadtop serve` died.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::DbError;
use super::keeper;

/// initdb plus the first start; generous for a loaded 2-core machine.
const START_TIMEOUT: Duration = Duration::from_secs(90);
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// A running throwaway cluster; dropping it stops the cluster and deletes
/// its directory (and waits until that is done).
#[derive(Debug)]
pub struct EmbeddedCluster {
    keeper: Child,
    lifeline: Option<ChildStdin>,
    dir: PathBuf,
    port: u16,
    postmaster_pid: u32,
}

impl EmbeddedCluster {
    /// Starts a cluster and returns once it accepts connections.
    pub fn start() -> Result<EmbeddedCluster, DbError> {
        let bindir = find_bindir().ok_or_else(|| {
            DbError::Setup(
                "no PostgreSQL binaries (initdb, postgres) on PATH, through `pg_config --bindir` \
                 or under /usr/lib/postgresql/*/bin; install PostgreSQL (e.g. apt-get install postgresql)"
                    .to_string(),
            )
        })?;
        let user = cluster_user()?;
        let dir = make_dir(user)?;
        let port = free_port().map_err(|e| {
            let _ = std::fs::remove_dir_all(&dir);
            DbError::Setup(format!("cannot find a free loopback port: {e}"))
        })?;
        let exe = std::env::current_exe()
            .map_err(|e| DbError::Setup(format!("cannot find the loadtop executable: {e}")));
        let spawned = exe.and_then(|exe| {
            let mut command = Command::new(exe);
            command
                .arg("supervise-database")
                .env(keeper::DIR_ENV, &dir)
                .env(keeper::BINDIR_ENV, &bindir)
                .env(keeper::PORT_ENV, port.to_string())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                // Its own group: a Ctrl-C at the terminal reaches serve
                // alone, which then stops the cluster in order.
                .process_group(0);
            if let Some((uid, gid)) = user {
                command.env(keeper::USER_ENV, format!("{uid}:{gid}"));
            }
            command
                .spawn()
                .map_err(|e| DbError::Setup(format!("cannot start the database keeper: {e}")))
        });
        let mut keeper = match spawned {
            Ok(child) => child,
            Err(error) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(error);
            }
        };
        let lifeline = keeper.stdin.take();
        let mut cluster = EmbeddedCluster {
            keeper,
            lifeline,
            dir,
            port,
            postmaster_pid: 0,
        };
        let line = cluster.first_report();
        match line.as_deref().and_then(|l| l.strip_prefix("pid=")) {
            Some(pid) => {
                cluster.postmaster_pid = pid.trim().parse().unwrap_or(0);
                Ok(cluster)
            }
            None => {
                let why = match line {
                    Some(line) => line.strip_prefix("error=").unwrap_or(&line).to_string(),
                    None => format!("no answer within {START_TIMEOUT:?}"),
                };
                Err(DbError::Setup(format!(
                    "cannot start the embedded PostgreSQL: {why}"
                )))
            }
        }
    }

    /// The keeper's first line: `pid=N` or `error=…` (None: nothing in time).
    fn first_report(&mut self) -> Option<String> {
        let stdout = self.keeper.stdout.take()?;
        let (tx, rx) = mpsc::channel();
        let _ = std::thread::Builder::new()
            .name("loadtop-db-keeper".into())
            .spawn(move || {
                let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
                if let Some(first) = lines.next() {
                    let _ = tx.send(first);
                }
                // Later lines (`exit=` when the cluster dies) are drained so
                // the keeper never blocks on a full pipe.
                for _ in lines {}
            });
        rx.recv_timeout(START_TIMEOUT).ok()
    }

    /// libpq-style connection settings through the Unix socket.
    pub fn conninfo(&self) -> String {
        format!(
            "host={} port={} user={} dbname=postgres",
            self.dir.display(),
            self.port,
            keeper::SUPERUSER
        )
    }

    pub fn postmaster_pid(&self) -> u32 {
        self.postmaster_pid
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for EmbeddedCluster {
    fn drop(&mut self) {
        // Closing the lifeline is the stop order; the keeper exits once the
        // cluster is down and its directory removed.
        drop(self.lifeline.take());
        let deadline = std::time::Instant::now() + STOP_TIMEOUT;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.keeper.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.keeper.kill();
        let _ = self.keeper.wait();
    }
}

/// The first directory holding both `initdb` and `postgres`: beside an
/// `initdb` on PATH (symlinks resolved: Debian's live in
/// /usr/lib/postgresql/N/bin), then `pg_config --bindir`, then the newest
/// /usr/lib/postgresql/*/bin.
pub fn find_bindir() -> Option<PathBuf> {
    let complete = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    let on_path = std::env::var_os("PATH").into_iter().flat_map(|path| {
        std::env::split_paths(&path)
            .filter_map(|dir| std::fs::canonicalize(dir.join("initdb")).ok())
            .filter_map(|initdb| initdb.parent().map(Path::to_path_buf))
            .collect::<Vec<_>>()
    });
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versioned.sort();
    on_path
        .chain(from_pg_config)
        .chain(versioned.into_iter().rev().map(|(_, dir)| dir))
        .find(|dir| complete(dir))
}

/// `Some((uid, gid))` of the user to run PostgreSQL as when loadtop is
/// root (PostgreSQL refuses to run as root); `None` runs it as ourselves.
fn cluster_user() -> Result<Option<(u32, u32)>, DbError> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    match nix::unistd::User::from_name("postgres") {
        Ok(Some(user)) => Ok(Some((user.uid.as_raw(), user.gid.as_raw()))),
        Ok(None) => Err(DbError::Setup(
            "PostgreSQL refuses to run as root and there is no `postgres` user to run it as \
             (installing PostgreSQL creates one)"
                .to_string(),
        )),
        Err(e) => Err(DbError::Setup(format!(
            "cannot look up the `postgres` user: {e}"
        ))),
    }
}

/// A new private directory under the temp dir, owned by the cluster's user.
/// Short, so the socket path `DIR/.s.PGSQL.PORT` stays under the 107 bytes
/// a Unix socket address holds.
fn make_dir(user: Option<(u32, u32)>) -> Result<PathBuf, DbError> {
    use std::os::unix::fs::{DirBuilderExt, chown};
    let mut base = std::env::temp_dir();
    if base.as_os_str().len() > 60 {
        base = PathBuf::from("/tmp");
    }
    let mut last_error = None;
    for _ in 0..16 {
        let dir = base.join(format!("loadtop-db-{:08x}", fastrand::u32(..)));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => {
                if let Some((uid, gid)) = user
                    && let Err(e) = chown(&dir, Some(uid), Some(gid))
                {
                    let _ = std::fs::remove_dir(&dir);
                    return Err(DbError::Setup(format!(
                        "cannot give {} to the postgres user: {e}",
                        dir.display()
                    )));
                }
                return Ok(dir);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_error = Some(e),
            Err(e) => {
                return Err(DbError::Setup(format!(
                    "cannot create a directory under {}: {e}",
                    base.display()
                )));
            }
        }
    }
    Err(DbError::Setup(format!(
        "cannot create a directory under {}: {}",
        base.display(),
        last_error.map_or_else(String::new, |e| e.to_string())
    )))
}

/// A loopback port free right now (the cluster binds it a moment later).
fn free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}
