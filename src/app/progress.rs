//! The headless progress line: one line per second on stderr while a run
//! goes on and someone watches stderr.

use std::time::Duration;

use crate::report::text;
use crate::snapshot::Snapshot;

/// One line per second on stderr while a headless run goes on.
pub fn spawn_progress(mut snapshot_rx: tokio::sync::watch::Receiver<Snapshot>, prefix: String) {
    let _ = std::thread::Builder::new()
        .name("loadtop-progress".into())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(1));
                if snapshot_rx.has_changed().is_err() {
                    return;
                }
                let snapshot = snapshot_rx.borrow_and_update().clone();
                if snapshot.finished {
                    return;
                }
                eprintln!("{prefix}{}", progress_line(&snapshot));
            }
        });
}

pub fn progress_line(snapshot: &Snapshot) -> String {
    let stage = snapshot.stage.as_ref();
    let stage_text = stage.map_or_else(String::new, |s| {
        let total = s
            .duration
            .map_or_else(String::new, |d| format!("/{}s", d.as_secs()));
        format!(
            "[{} {}/{}] {}s{total}",
            s.name,
            s.index + 1,
            s.count,
            s.elapsed.as_secs()
        )
    });
    let last = snapshot.timeline.last();
    let errors: u64 = snapshot.timeline.iter().map(|p| p.errors).sum();
    format!(
        "{stage_text}  {:.0} req/s  p99 {}  errors {errors}",
        last.map_or(0.0, |p| p.rps),
        text::format_duration_us(last.map_or(0, |p| p.p99_us)),
    )
}
