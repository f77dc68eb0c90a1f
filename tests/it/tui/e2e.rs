//! End to end under a real terminal: tmux runs this test binary again as a
//! child (`child_dashboard`, which does nothing unless tmux started it) with a
//! scripted session behind `tui::run`; the parent types keys and reads the
//! screen. Checks what only a terminal shows: raw mode delivers keys, the
//! controls reach the session, quitting shows the summary, and the shell is
//! cooked again afterwards.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use loadtop::session::Control;
use loadtop::tui;
use tokio::sync::watch;

use super::fixtures;

const CHILD_ENV: &str = "LOADTOP_TUI_E2E_LOG";

/// The scripted session: serves a healthy snapshot, logs every control,
/// applies connections and finishes on Quit. Bounded to 60 s.
#[test]
#[ignore = "run by tui_end_to_end_under_tmux inside tmux"]
fn child_dashboard() {
    let Some(log_path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let (snapshot_tx, snapshot_rx) = watch::channel(fixtures::healthy());
    let (control_tx, control_rx) = mpsc::channel::<Control>();
    let session = std::thread::spawn(move || {
        let mut snapshot = fixtures::healthy();
        let mut log = String::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            match control_rx.recv_timeout(Duration::from_millis(100)) {
                Ok(control) => {
                    log.push_str(&format!("{control:?}\n"));
                    std::fs::write(&log_path, &log).unwrap();
                    match control {
                        Control::SetConnections(n) => snapshot.connections = n,
                        Control::Quit => {
                            let finished = fixtures::finished();
                            snapshot.finished = true;
                            snapshot.stage_rows = finished.stage_rows;
                            snapshot.thresholds = finished.thresholds;
                            snapshot.report_path = finished.report_path;
                        }
                        _ => {}
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            snapshot_tx.send_replace(snapshot.clone());
        }
    });
    tui::run(snapshot_rx, control_tx).unwrap();
    session.join().unwrap();
}

/// `loadtop run PROFILE --json REPORT` under tmux, in a temporary
/// directory; `after` runs in the pane's shell once loadtop exits (after
/// `EXIT=<code>` is printed), and the pane then lingers a minute.
pub(crate) struct ProfileRun {
    pub(crate) tmux: Tmux,
    pub(crate) report: PathBuf,
    /// Holds the profile and the report; deleted when dropped.
    pub(crate) dir: tempfile::TempDir,
}

pub(crate) fn run_profile(
    prefix: &str,
    (width, height): (u16, u16),
    profile_text: &str,
    after: &str,
) -> ProfileRun {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile.toml");
    std::fs::write(&profile, profile_text).unwrap();
    let report = dir.path().join("report.json");
    let script = format!(
        "cd '{}' && '{}' run '{}' --json '{}'; echo EXIT=$?; {after} sleep 60",
        dir.path().display(),
        crate::support::loadtop_bin().display(),
        profile.display(),
        report.display()
    );
    ProfileRun {
        tmux: Tmux::start(prefix, width, height, &script),
        report,
        dir,
    }
}

pub(crate) struct Tmux {
    pub(crate) socket: String,
}

impl Tmux {
    /// A detached tmux server of its own (named `prefix-PID`, so parallel
    /// tests never share one) whose session `dash` runs `script` in a
    /// `width`×`height` terminal.
    pub(crate) fn start(prefix: &str, width: u16, height: u16, script: &str) -> Tmux {
        let tmux = Tmux {
            socket: format!("{prefix}-{}", std::process::id()),
        };
        let (width, height) = (width.to_string(), height.to_string());
        tmux.cmd(&[
            "new-session",
            "-d",
            "-s",
            "dash",
            "-x",
            &width,
            "-y",
            &height,
            "sh",
            "-c",
            script,
        ]);
        tmux
    }

    pub(crate) fn cmd(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub(crate) fn screen(&self) -> String {
        self.cmd(&["capture-pane", "-p", "-t", "dash"])
    }

    pub(crate) fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{needle:?} never appeared:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub(crate) fn wait_gone(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.screen().contains(needle) {
            assert!(Instant::now() < deadline, "{needle:?} never went away");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub(crate) fn keys(&self, keys: &str) {
        self.cmd(&["send-keys", "-t", "dash", keys]);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

fn wait_for_file(path: &Path, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{needle:?} never logged:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn tui_end_to_end_under_tmux() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("tmux is not installed; the end-to-end dashboard test is skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("controls.log");
    let exe = std::env::current_exe().unwrap();
    let script = format!(
        "{CHILD_ENV}='{}' '{}' --exact tui::e2e::child_dashboard --ignored --nocapture \
         --test-threads=1; echo EXIT=$?; \
         stty -a | tr ' ;' '\\n\\n' | grep -qx icanon && echo COOKED; sleep 60",
        log.display(),
        exe.display()
    );
    let tmux = Tmux::start("loadtop-e2e", 100, 30, &script);
    tmux.wait_for("Throughput");
    tmux.wait_for("open 1000 req/s");

    tmux.keys("C");
    wait_for_file(&log, "SetConnections(100)");
    tmux.wait_for("100 conns");

    tmux.keys("?");
    tmux.wait_for("Keys —");
    // `?` again, not Esc: an Esc followed at once by `q` may be read as Alt-q.
    tmux.keys("?");
    tmux.wait_gone("Keys —");

    tmux.keys("q");
    wait_for_file(&log, "Quit");
    let summary = tmux.wait_for("Run finished");
    assert!(summary.contains("reports/loadtop-run.json"), "{summary}");

    tmux.keys("q");
    let after = tmux.wait_for("COOKED");
    assert!(after.contains("EXIT=0"), "{after}");
    assert!(
        !after.contains("Throughput"),
        "left the alternate screen:\n{after}"
    );
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(log_text.matches("Quit").count(), 1, "{log_text}");
}
