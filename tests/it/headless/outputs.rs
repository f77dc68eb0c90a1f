//! Where reports go: devices and FIFOs written through (never replaced),
//! symlinks followed, `-` on stdout; a destination that cannot be written
//! refused before any load; a write that fails at the end keeps the summary
//! and the data.

use std::os::unix::fs::FileTypeExt;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::Value;

use super::inputs::recorder;
use super::{assert_valid, loadtop, write_profile};
use crate::support::{finish, loadtop_bin};

#[test]
fn devices_fifos_and_symlinks_are_written_through_not_replaced() {
    let server = recorder();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{}/x", server.url);
    let out = loadtop(
        &["bench", &url, "-n", "5", "--json", "/dev/null"],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let null = std::fs::metadata("/dev/null").unwrap();
    assert!(null.file_type().is_char_device(), "/dev/null was replaced");

    let fifo = dir.path().join("report.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let reader_path = fifo.clone();
    let reader = std::thread::spawn(move || std::fs::read(reader_path).unwrap());
    let out = loadtop(
        &["bench", &url, "-n", "5", "--json", fifo.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&reader.join().unwrap()).unwrap();
    assert_valid(&report);
    assert_eq!(report["summary"]["requests"], 5);
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());

    std::fs::create_dir(dir.path().join("real")).unwrap();
    let link = dir.path().join("latest.json");
    std::os::unix::fs::symlink("real/run.json", &link).unwrap();
    let csv_link = dir.path().join("latest.csv");
    std::fs::write(dir.path().join("real/old.csv"), "old").unwrap();
    std::os::unix::fs::symlink("real/old.csv", &csv_link).unwrap();
    let out = loadtop(
        &[
            "bench",
            &url,
            "-n",
            "5",
            "--json",
            link.to_str().unwrap(),
            "--csv",
            csv_link.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (link, target) in [(&link, "real/run.json"), (&csv_link, "real/old.csv")] {
        let meta = std::fs::symlink_metadata(link).unwrap();
        assert!(
            meta.file_type().is_symlink(),
            "{} was replaced",
            link.display()
        );
        assert!(
            std::fs::read_to_string(dir.path().join(target))
                .unwrap()
                .len()
                > 10
        );
    }
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("real/run.json")).unwrap())
            .unwrap();
    assert_eq!(report["summary"]["requests"], 5);
    let leftovers = std::fs::read_dir(dir.path().join("real")).unwrap().count();
    assert_eq!(leftovers, 2, "no temporary files left beside the targets");
}

#[test]
fn a_dash_puts_an_extra_file_on_stdout_and_the_summary_on_stderr() {
    let server = recorder();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{}/x", server.url);
    let out = loadtop(&["bench", &url, "-n", "5", "--csv", "-"], dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("second,"),
        "{stderr}"
    );
    assert!(stderr.contains("Requests/sec"), "{stderr}");
    let before = server.connections.load(Ordering::SeqCst);
    let out = loadtop(
        &["bench", &url, "-n", "5", "--json", "-", "--csv", "-"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        server.connections.load(Ordering::SeqCst),
        before,
        "two outputs on stdout are refused before any connection"
    );
}

#[test]
fn an_unwritable_destination_is_refused_before_any_traffic() {
    let server = recorder();
    let dir = tempfile::tempdir().unwrap();
    // A path under a regular file cannot be created, whoever runs the test.
    std::fs::write(dir.path().join("file"), "").unwrap();
    let url = format!("{}/x", server.url);
    let profile = write_profile(
        dir.path(),
        "p.toml",
        &format!(
            "[target]\nurl = \"{url}\"\n\n[load]\nmodel = \"closed\"\n\n[[stages]]\nname = \"s\"\nduration = \"1s\"\n"
        ),
    );
    let cases: [&[&str]; 5] = [
        &["bench", &url, "-n", "5", "--json", "file/r.json"],
        &["bench", &url, "-n", "5", "--html", "file/deeper/r.html"],
        &["bench", &url, "-n", "5", "--json", "."],
        &["run", profile.to_str().unwrap(), "--csv", "file/r.csv"],
        &[
            "compare",
            profile.to_str().unwrap(),
            "--json",
            "file/c.json",
        ],
    ];
    for args in cases {
        let out = loadtop(args, dir.path());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("cannot write report"), "{args:?}: {stderr}");
        assert!(stderr.lines().count() == 1, "{args:?}: {stderr}");
        assert!(
            stderr.matches("(os error").count() <= 1,
            "cause said twice: {stderr}"
        );
    }
    assert_eq!(
        server.connections.load(Ordering::SeqCst),
        0,
        "load was sent"
    );
}

#[test]
fn a_write_that_fails_at_the_end_keeps_the_summary_and_the_data() {
    let server = recorder();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let url = format!("{}/x", server.url);
    let child = Command::new(loadtop_bin())
        .args([
            "bench",
            &url,
            "-c",
            "1",
            "-d",
            "2s",
            "--json",
            "out/sub/r.json",
        ])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The directory checked at the start turns into a file mid-run.
    std::thread::sleep(Duration::from_millis(700));
    std::fs::remove_dir_all(dir.path().join("out")).unwrap();
    std::fs::write(dir.path().join("out"), "").unwrap();
    let out = finish(child, Duration::from_secs(30));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stdout.contains("Requests/sec"), "no summary: {stdout}");
    assert!(
        stderr.contains("cannot write report out/sub/r.json"),
        "{stderr}"
    );
    assert!(
        stderr.contains("saved to loadtop-reports/bench-"),
        "{stderr}"
    );
    let kept: Vec<_> = std::fs::read_dir(dir.path().join("loadtop-reports"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&kept[0]).unwrap()).unwrap();
    assert_valid(&report);
    assert!(report["summary"]["requests"].as_u64().unwrap() > 0);
}
