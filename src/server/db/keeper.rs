//! `loadtop supervise-database`: the process that owns an embedded
//! PostgreSQL cluster for `loadtop serve --database embedded`. It runs
//! `initdb`, starts `postgres` (as the unprivileged user when loadtop runs
//! as root), reports on stdout (`pid=N` once the cluster accepts
//! connections, or `error=…`), and when its stdin closes it stops the
//! cluster and deletes the directory. stdin is a pipe from `loadtop serve`,
//! which the kernel closes however serve ends, SIGKILL included: the same
//! lifeline as `supervise-target` and the embedded server's child. A
//! process of its own rather than `supervise-target`, because the cluster
//! needs what a generic command does not: a privilege drop, PostgreSQL's
//! immediate shutdown (SIGQUIT: no checkpoint to wait for, shared memory
//! released) instead of SIGTERM (a smart shutdown waits for every client),
//! and the directory removed once the cluster is gone.

use std::fs::File;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::child::{Signal, signal, signal_group, stop_by_signal};

/// Where the cluster lives (a fresh directory `loadtop serve` made).
pub const DIR_ENV: &str = "LOADTOP_DB_DIR";
/// The directory holding `initdb` and `postgres`.
pub const BINDIR_ENV: &str = "LOADTOP_DB_BINDIR";
/// The loopback TCP port the cluster listens on (beside its Unix socket).
pub const PORT_ENV: &str = "LOADTOP_DB_PORT";
/// `UID:GID` to run PostgreSQL as (absent: as the keeper's own user).
pub const USER_ENV: &str = "LOADTOP_DB_USER";
/// The superuser `initdb` creates; the pool connects as it.
pub const SUPERUSER: &str = "loadtop";

const POLL: Duration = Duration::from_millis(20);
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Server settings of a throwaway cluster: durability off (the data is
/// re-created at every start), no parallel query or JIT (so the orders
/// query is one plain scan whose plan line reads "Seq Scan on orders"),
/// and dynamic shared memory in files under the data directory, so even a
/// killed cluster leaves nothing in /dev/shm.
const SETTINGS: &[&str] = &[
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_parallel_workers_per_gather=0",
    "jit=off",
    "dynamic_shared_memory_type=mmap",
    "max_connections=300",
    "shared_buffers=64MB",
    "logging_collector=off",
];

struct Spec {
    dir: PathBuf,
    bindir: PathBuf,
    port: u16,
    user: Option<(u32, u32)>,
}

impl Spec {
    fn from_env() -> Result<Spec, String> {
        let var = |name: &str| {
            std::env::var_os(name).ok_or_else(|| format!("{name} is not set (internal command)"))
        };
        let port = var(PORT_ENV)?
            .to_str()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| format!("{PORT_ENV} is not a port"))?;
        let user = match std::env::var(USER_ENV) {
            Ok(value) => {
                let parsed = value
                    .split_once(':')
                    .and_then(|(u, g)| Some((u.parse().ok()?, g.parse().ok()?)));
                Some(parsed.ok_or_else(|| format!("{USER_ENV} is not UID:GID"))?)
            }
            Err(_) => None,
        };
        Ok(Spec {
            dir: var(DIR_ENV)?.into(),
            bindir: var(BINDIR_ENV)?.into(),
            port,
            user,
        })
    }

    /// A PostgreSQL program as the cluster's user, in a process group of
    /// its own (a Ctrl-C at the terminal is `loadtop serve`'s to handle),
    /// its output appended to `log`.
    fn command(&self, program: &str, log: &Path) -> std::io::Result<Command> {
        let out = File::options().create(true).append(true).open(log)?;
        let mut command = Command::new(self.bindir.join(program));
        command
            .current_dir(&self.dir)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .process_group(0);
        if let Some((uid, gid)) = self.user {
            command.uid(uid).gid(gid);
        }
        Ok(command)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }
}

/// Runs the cluster until the parent goes; returns the process exit code.
pub fn supervise_database() -> u8 {
    let spec = match Spec::from_env() {
        Ok(spec) => spec,
        Err(error) => {
            eprintln!("loadtop: supervise-database: {error}");
            return 2;
        }
    };
    let parent_gone = watch_stdin();
    let code = match run(&spec, &parent_gone) {
        Ok(()) => 0,
        Err(error) => {
            report(&format!("error={error}"));
            1
        }
    };
    // Wait for the parent to go even after a failure, so it reads the
    // error line before the directory (and its logs) disappear.
    while !parent_gone.load(Ordering::SeqCst) {
        std::thread::sleep(POLL);
    }
    sweep(&spec.dir);
    release_shared_memory(&spec.data());
    let _ = std::fs::remove_dir_all(&spec.dir);
    code
}

/// A postmaster killed outright (SIGKILL) leaves its small System V
/// segment behind: only a clean shutdown removes it, and with it
/// `postmaster.pid`, whose seventh line names the segment (`key shmid`).
/// Every process of the cluster is gone by now, so nothing is attached.
fn release_shared_memory(data: &Path) {
    let Some(shmid) = std::fs::read_to_string(data.join("postmaster.pid"))
        .ok()
        .and_then(|pid_file| shared_memory_id(&pid_file))
    else {
        return;
    };
    let _ = Command::new("ipcrm")
        .args(["-m", &shmid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn shared_memory_id(pid_file: &str) -> Option<u64> {
    pid_file
        .lines()
        .nth(6)?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Every PostgreSQL process of this cluster: its working directory is the
/// data directory. (Backends call `setsid`, so the postmaster's process
/// group does not hold them, and once the postmaster is gone they are no
/// longer its children; they end by themselves on its death, and this
/// makes sure.)
fn cluster_processes(dir: &Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let cwd = std::fs::read_link(entry.path().join("cwd")).ok()?;
            cwd.starts_with(dir).then_some(pid)
        })
        .collect()
}

/// Waits briefly for the cluster's processes to end, then kills those left.
fn sweep(dir: &Path) {
    let deadline = Instant::now() + STOP_GRACE;
    loop {
        let left = cluster_processes(dir);
        if left.is_empty() {
            return;
        }
        if Instant::now() > deadline {
            for pid in left {
                signal(pid, Signal::SIGKILL);
            }
            std::thread::sleep(POLL);
            return;
        }
        std::thread::sleep(POLL);
    }
}

fn run(spec: &Spec, parent_gone: &AtomicBool) -> Result<(), String> {
    let init_log = spec.dir.join("initdb.log");
    let data = spec.data();
    let mut initdb = spec
        .command("initdb", &init_log)
        .and_then(|mut c| {
            c.arg("-D")
                .arg(&data)
                .args(["-U", SUPERUSER, "--auth=trust", "-E", "UTF8"])
                .args(["--locale=C", "--no-sync", "--no-instructions"])
                .spawn()
        })
        .map_err(|e| format!("cannot run initdb: {e}"))?;
    let status = wait_unless_gone(&mut initdb, parent_gone);
    match status {
        None => return Ok(()),
        Some(status) if !status.success() => {
            return Err(format!(
                "initdb failed ({status}): {}",
                last_line(&init_log)
            ));
        }
        Some(_) => {}
    }
    let log = spec.dir.join("postgres.log");
    let mut postgres = spec
        .command("postgres", &log)
        .and_then(|mut c| {
            c.arg("-D").arg(&data).arg("-k").arg(&spec.dir).args([
                "-h",
                "127.0.0.1",
                "-p",
                &spec.port.to_string(),
            ]);
            for setting in SETTINGS {
                c.args(["-c", setting]);
            }
            c.spawn()
        })
        .map_err(|e| format!("cannot run postgres: {e}"))?;
    let started = Instant::now();
    loop {
        if parent_gone.load(Ordering::SeqCst) {
            stop(&mut postgres);
            return Ok(());
        }
        if let Ok(Some(status)) = postgres.try_wait() {
            return Err(format!(
                "postgres exited ({status}) before it was ready: {}",
                last_line(&log)
            ));
        }
        if accepts_connections(&data) {
            break;
        }
        if started.elapsed() > READY_TIMEOUT {
            stop(&mut postgres);
            return Err(format!(
                "postgres was not ready within {READY_TIMEOUT:?}: {}",
                last_line(&log)
            ));
        }
        std::thread::sleep(POLL);
    }
    report(&format!("pid={}", postgres.id()));
    while !parent_gone.load(Ordering::SeqCst) {
        // Reaped when it dies on its own (killed to show a dead database),
        // so it never lingers as a zombie; the server notices by itself.
        if let Ok(Some(status)) = postgres.try_wait() {
            report(&format!("exit={status}"));
            return Ok(());
        }
        std::thread::sleep(POLL);
    }
    stop(&mut postgres);
    Ok(())
}

/// `postmaster.pid` says `ready` on its eighth line once the cluster
/// accepts connections (PostgreSQL 10 and later).
fn accepts_connections(data: &Path) -> bool {
    std::fs::read_to_string(data.join("postmaster.pid"))
        .is_ok_and(|pid_file| pid_file.lines().nth(7).is_some_and(|s| s.trim() == "ready"))
}

/// Waits for `child`; when the parent goes first, kills the child's group
/// and returns `None`.
fn wait_unless_gone(child: &mut Child, parent_gone: &AtomicBool) -> Option<ExitStatus> {
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if parent_gone.load(Ordering::SeqCst) {
            signal_group(child.id(), Signal::SIGKILL);
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(POLL);
    }
}

/// Immediate shutdown (SIGQUIT: backends end at once, no checkpoint, shared
/// memory released), then SIGKILL after the grace; reaps. A postmaster that
/// ignored SIGQUIT leaves backends, swept by their working directory
/// before the directory goes.
fn stop(postgres: &mut Child) {
    stop_by_signal(postgres, Signal::SIGQUIT, STOP_GRACE);
}

fn last_line(log: &Path) -> String {
    std::fs::read_to_string(log)
        .ok()
        .and_then(|text| {
            text.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "no output".to_string())
}

fn report(line: &str) {
    let mut out = std::io::stdout().lock();
    // The parent may be gone already: nobody is left to tell.
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Set once the parent is gone (or wants the cluster gone).
fn watch_stdin() -> Arc<AtomicBool> {
    let gone = Arc::new(AtomicBool::new(false));
    let flag = gone.clone();
    let watching = crate::child::watch_parent("loadtop-parent-watch", move || {
        flag.store(true, Ordering::SeqCst);
    });
    if !watching {
        // Without a watcher nothing would ever stop the cluster.
        gone.store(true, Ordering::SeqCst);
    }
    gone
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_shared_memory_id_is_the_second_field_of_line_seven() {
        let pid_file = "4242\n/tmp/d/data\n1764548000\n5432\n/tmp/d\n127.0.0.1\n  5432001     98317\nready   \n";
        assert_eq!(super::shared_memory_id(pid_file), Some(98_317));
        assert_eq!(super::shared_memory_id("4242\n/tmp/d/data\n"), None);
    }
}
