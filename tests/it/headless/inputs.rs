//! Bad input refused before any load: ports outside 1-65535 on every path a
//! URL enters, a URL without a scheme, absurd durations, too many or too
//! short stages; URL credentials sent as Basic auth; bench's default length.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::{loadtop, serve, write_profile};

/// A small HTTP/1.1 server that counts connections and keeps request heads.
pub(super) struct Recorder {
    pub url: String,
    pub heads: Arc<Mutex<Vec<String>>>,
    pub connections: Arc<AtomicUsize>,
}

pub(super) fn recorder() -> Recorder {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let heads = Arc::new(Mutex::new(Vec::new()));
    let connections = Arc::new(AtomicUsize::new(0));
    let (heads_in, connections_in) = (heads.clone(), connections.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            connections_in.fetch_add(1, Ordering::SeqCst);
            let heads = heads_in.clone();
            std::thread::spawn(move || {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    while let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head: Vec<u8> = buffer.drain(..end + 4).collect();
                        heads
                            .lock()
                            .unwrap()
                            .push(String::from_utf8_lossy(&head).into_owned());
                        let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
                        if stream.write_all(answer).is_err() {
                            return;
                        }
                    }
                    match stream.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                    }
                }
            });
        }
    });
    Recorder {
        url,
        heads,
        connections,
    }
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Exit 2, one line naming the cause, no panic.
fn assert_refused(out: &std::process::Output, wanted: &str, what: &str) {
    let stderr = stderr_of(out);
    assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
    assert!(stderr.contains(wanted), "{what}: {stderr}");
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
}

#[test]
fn ports_outside_1_to_65535_are_refused_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    for port in ["65536", "99999", "-1", "abc", "0"] {
        let url = format!("http://127.0.0.1:{port}/x");
        let wanted = format!("invalid port `{port}`");
        let out = loadtop(&["bench", &url, "-n", "1"], dir.path());
        assert_refused(&out, &wanted, "bench");
        let out = loadtop(&["max", &url, "--slo", "p99<1s"], dir.path());
        assert_refused(&out, &wanted, "max");
        let list = dir.path().join("urls.txt");
        std::fs::write(&list, format!("{url}\n")).unwrap();
        let out = loadtop(
            &[
                "bench",
                "--urls-from-file",
                list.to_str().unwrap(),
                "-n",
                "1",
            ],
            dir.path(),
        );
        assert_refused(&out, &wanted, "--urls-from-file");
        let body = format!(
            "[target]\nurl = \"{url}\"\n\n[load]\nmodel = \"closed\"\n\n[[stages]]\nname = \"s\"\nduration = \"1s\"\n"
        );
        let profile = write_profile(dir.path(), "p.toml", &body);
        let out = loadtop(&["run", profile.to_str().unwrap()], dir.path());
        assert_refused(&out, &wanted, "run");
        let out = loadtop(&["compare", profile.to_str().unwrap()], dir.path());
        assert_refused(&out, &wanted, "compare");
    }
}

#[test]
fn a_url_without_a_scheme_gets_the_hint() {
    let dir = tempfile::tempdir().unwrap();
    let out = loadtop(&["bench", "127.0.0.1:8080/x", "-n", "1"], dir.path());
    assert_refused(&out, "missing scheme (e.g. http://", "bench");
}

#[test]
fn url_credentials_are_sent_as_basic_auth_unless_a_header_says_otherwise() {
    let server = recorder();
    let dir = tempfile::tempdir().unwrap();
    let with_user = server.url.replace("http://", "http://user:pa%20ss@");
    let out = loadtop(
        &["bench", &format!("{with_user}/x"), "-c", "1", "-n", "3"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("pa%20ss"), "password shown: {stdout}");
    {
        let heads = server.heads.lock().unwrap();
        assert_eq!(heads.len(), 3, "{heads:?}");
        // base64("user:pa ss")
        assert!(
            heads
                .iter()
                .all(|h| h.contains("Authorization: Basic dXNlcjpwYSBzcw==\r\n")),
            "{heads:?}"
        );
        heads.iter().for_each(|h| assert!(h.starts_with("GET /x ")));
    }
    server.heads.lock().unwrap().clear();
    let out = loadtop(
        &[
            "bench",
            &format!("{with_user}/y"),
            "-c",
            "1",
            "-n",
            "2",
            "-H",
            "authorization: Bearer t",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let heads = server.heads.lock().unwrap();
    assert_eq!(heads.len(), 2, "{heads:?}");
    assert!(
        heads
            .iter()
            .all(|h| h.contains("authorization: Bearer t\r\n") && !h.contains("Basic")),
        "{heads:?}"
    );
}

#[test]
fn absurd_durations_exit_2_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let url = "http://127.0.0.1:1/";
    let cases: [&[&str]; 5] = [
        &["run", "--scale-time", "1e300"],
        &["bench", url, "-d", "1e300"],
        &["bench", url, "--timeout", "1e300"],
        &["bench", url, "-d", "500000days"],
        &["max", url, "--slo", "p99<1s", "--step-time", "1e300"],
    ];
    for args in cases {
        let out = loadtop(args, dir.path());
        assert_refused(&out, "longer than a year", &args.join(" "));
    }
    let body = "[target]\nroute = \"/json\"\n\n[load]\nmodel = \"closed\"\n\n[[stages]]\nname = \"s\"\nduration = 1e300\n";
    let profile = write_profile(dir.path(), "huge.toml", body);
    let out = loadtop(&["run", profile.to_str().unwrap()], dir.path());
    assert_refused(&out, "huge.toml:9:", "a 1e300 s stage");
}

#[test]
fn too_many_or_too_short_stages_are_refused_with_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let head = "[target]\nroute = \"/json\"\n\n[load]\nmodel = \"closed\"\n";
    let short = format!(
        "{head}\n[[stages]]\nname = \"a\"\nduration = \"1s\"\n\n[[stages]]\nname = \"b\"\nduration = \"10ms\"\n"
    );
    let profile = write_profile(dir.path(), "short.toml", &short);
    let out = loadtop(&["run", profile.to_str().unwrap()], dir.path());
    assert_refused(&out, "short.toml:13:", "a 10 ms stage");
    assert!(stderr_of(&out).contains("at least 250 ms"));
    let many: String = (0..101)
        .map(|i| format!("\n[[stages]]\nname = \"s{i}\"\nduration = \"1s\"\n"))
        .collect();
    let profile = write_profile(dir.path(), "many.toml", &format!("{head}{many}"));
    let out = loadtop(&["run", profile.to_str().unwrap()], dir.path());
    assert_refused(&out, "at most 100 stages", "101 stages");
    assert!(stderr_of(&out).contains("many.toml:"));
}

#[test]
fn oha_flags_point_to_loadtops() {
    let dir = tempfile::tempdir().unwrap();
    let out = loadtop(&["bench", "http://127.0.0.1:1/", "-z", "5s"], dir.path());
    assert_refused(&out, "-d 5s", "-z");
    let out = loadtop(&["bench", "http://127.0.0.1:1/", "-q", "100"], dir.path());
    assert_refused(&out, "-R 100", "-q");
}

/// The one test that waits the whole default: 10 s, as wrk.
#[test]
fn bench_without_duration_or_count_runs_ten_seconds() {
    let (_server, url) = serve();
    let dir = tempfile::tempdir().unwrap();
    let out = loadtop(
        &[
            "bench",
            &format!("{url}/plaintext"),
            "-c",
            "1",
            "--json",
            "-",
        ],
        dir.path(),
    );
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("10s test @"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["plan"]["stages"][0]["duration_secs"], 10.0);
    assert_eq!(report["outcome"], "completed");
    let secs = report["duration_secs"].as_f64().unwrap();
    assert!((9.5..20.0).contains(&secs), "{secs}");
}
