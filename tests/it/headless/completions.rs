//! `loadtop completions SHELL` and `loadtop man`: what clap-based tools ship,
//! generated from the same definitions that parse the command line.

use std::io::Write;
use std::process::{Command, Stdio};

use super::loadtop;

fn stdout_of(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = loadtop(args, dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn completion_scripts_name_every_subcommand_and_bash_parses_its_own() {
    let bash = stdout_of(&["completions", "bash"]);
    for word in [
        "bench",
        "run",
        "serve",
        "compare",
        "max",
        "--urls-from-file",
    ] {
        assert!(bash.contains(word), "bash completion lacks {word}");
    }
    let mut check = Command::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    check
        .stdin
        .take()
        .unwrap()
        .write_all(bash.as_bytes())
        .unwrap();
    assert!(
        check.wait().unwrap().success(),
        "bash -n rejects the script"
    );

    assert!(stdout_of(&["completions", "zsh"]).starts_with("#compdef loadtop"));
    assert!(stdout_of(&["completions", "fish"]).contains("complete -c loadtop"));

    let dir = tempfile::tempdir().unwrap();
    let unknown = loadtop(&["completions", "tcsh"], dir.path());
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn the_man_page_is_roff_with_the_subcommands() {
    let man = stdout_of(&["man"]);
    assert!(
        man.starts_with(".ie") || man.contains(".TH loadtop"),
        "{man}"
    );
    assert!(man.contains(".TH loadtop"), "{man}");
    for word in ["bench", "compare", "max"] {
        assert!(man.contains(word), "man page lacks {word}");
    }
}
