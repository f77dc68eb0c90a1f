//! /static/: embedded assets, a directory root, validators, gzip, streaming
//! and path traversal in every spelling we could think of.

use std::io::Read;

use loadtop::server::{ServerConfig, ServerError};

use super::{InProc, get, send};

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn embedded_assets_revalidate_and_compress() {
    let server = InProc::with_defaults();
    let addr = server.addr();
    let css = get(addr, "/static/style.css");
    assert_eq!(css.status, 200);
    assert_eq!(css.header("content-type"), Some("text/css"));
    assert_eq!(css.header("cache-control"), Some("public, max-age=3600"));
    let etag = css.header("etag").unwrap().to_string();
    let modified = css.header("last-modified").unwrap().to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'));

    let by_etag = send(
        addr,
        "GET",
        "/static/style.css",
        &[("If-None-Match", &etag)],
    );
    assert_eq!(by_etag.status, 304);
    assert!(by_etag.body.is_empty());
    let other_etag = send(
        addr,
        "GET",
        "/static/style.css",
        &[("If-None-Match", "\"nope\"")],
    );
    assert_eq!(other_etag.status, 200);
    let by_date = send(
        addr,
        "GET",
        "/static/style.css",
        &[("If-Modified-Since", &modified)],
    );
    assert_eq!(by_date.status, 304);
    let old_date = "Mon, 01 Jan 2001 00:00:00 GMT";
    let stale = send(
        addr,
        "GET",
        "/static/style.css",
        &[("If-Modified-Since", old_date)],
    );
    assert_eq!(stale.status, 200);

    let gz = send(
        addr,
        "GET",
        "/static/style.css",
        &[("Accept-Encoding", "gzip, br")],
    );
    assert_eq!(gz.status, 200);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(gz.header("vary"), Some("accept-encoding"));
    assert_ne!(gz.header("etag").unwrap(), etag);
    assert_eq!(gunzip(&gz.body), css.body);
    let refused = send(
        addr,
        "GET",
        "/static/style.css",
        &[("Accept-Encoding", "gzip;q=0")],
    );
    assert_eq!(refused.header("content-encoding"), None);

    for (path, kind) in [
        ("/static/index.html", "text/html"),
        ("/static/app.js", "javascript"),
        ("/static/logo.svg", "image/svg+xml"),
    ] {
        let response = get(addr, path);
        assert_eq!(response.status, 200, "{path}");
        assert!(
            response.header("content-type").unwrap().contains(kind),
            "{path}"
        );
    }
    assert_eq!(get(addr, "/static/missing.css").status, 404);
    let head = send(addr, "HEAD", "/static/style.css", &[]);
    assert_eq!(
        head.header("content-length").unwrap(),
        css.body.len().to_string()
    );
}

#[test]
fn directory_root_streams_large_files_and_gzips_text() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("public");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    let big: Vec<u8> = (0..3 * 1024 * 1024 + 123)
        .map(|i| (i % 251) as u8)
        .collect();
    std::fs::write(root.join("big.bin"), &big).unwrap();
    let text = "hello static world\n".repeat(200);
    std::fs::write(root.join("sub/page.txt"), &text).unwrap();
    let server = InProc::start(ServerConfig {
        static_dir: Some(root.clone()),
        ..ServerConfig::default()
    });
    let addr = server.addr();

    let response = get(addr, "/static/big.bin");
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(response.body.len(), big.len());
    assert!(response.body == big);

    let page = send(
        addr,
        "GET",
        "/static/sub/page.txt",
        &[("Accept-Encoding", "gzip")],
    );
    assert_eq!(page.header("content-encoding"), Some("gzip"));
    assert_eq!(gunzip(&page.body), text.as_bytes());
    let etag = page.header("etag").unwrap().to_string();
    let again = send(
        addr,
        "GET",
        "/static/sub/page.txt",
        &[("Accept-Encoding", "gzip"), ("If-None-Match", &etag)],
    );
    assert_eq!(again.status, 304);
    let modified = get(addr, "/static/sub/page.txt");
    let since = modified.header("last-modified").unwrap().to_string();
    let by_date = send(
        addr,
        "GET",
        "/static/sub/page.txt",
        &[("If-Modified-Since", &since)],
    );
    assert_eq!(by_date.status, 304);
    assert_eq!(get(addr, "/static/sub").status, 404);
}

#[test]
fn traversal_never_leaves_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("public");
    std::fs::create_dir_all(root.join("a")).unwrap();
    std::fs::write(root.join("ok.txt"), "fine").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "TOP-SECRET").unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("link.txt")).unwrap();
    std::os::unix::fs::symlink(dir.path(), root.join("updir")).unwrap();
    let server = InProc::start(ServerConfig {
        static_dir: Some(root.clone()),
        ..ServerConfig::default()
    });
    let addr = server.addr();
    assert_eq!(get(addr, "/static/ok.txt").text(), "fine");

    let attempts = [
        "/static/../secret.txt",
        "/static/a/../../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/%2E%2E%2Fsecret.txt",
        "/static/..%2fsecret.txt",
        "/static/..%5csecret.txt",
        "/static/..\\secret.txt",
        "/static/a/%2e%2e/%2e%2e/secret.txt",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/%252e%252e/secret.txt",
        "/static/ok.txt%00.png",
        "/static/link.txt",
        "/static/updir/secret.txt",
        "/static/./ok.txt/../../secret.txt",
        "/static/a//../../secret.txt",
    ];
    for path in attempts {
        let response = get(addr, path);
        assert!(
            response.status == 400 || response.status == 404,
            "{path} answered {}",
            response.status
        );
        assert!(
            !response.text().contains("TOP-SECRET"),
            "{path} leaked the secret"
        );
    }
}

#[test]
fn unreadable_static_dir_is_a_start_error() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let result = runtime.block_on(loadtop::server::start(ServerConfig {
        static_dir: Some("/definitely/not/here".into()),
        ..ServerConfig::default()
    }));
    let err = result.unwrap_err();
    assert!(matches!(err, ServerError::StaticDir { .. }), "{err}");
    assert!(err.to_string().contains("/definitely/not/here"));
}

#[test]
fn non_regular_files_are_refused_at_once_and_serving_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("ok.txt"), "still here").unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(root.join("pipe"))
        .status()
        .unwrap();
    assert!(made.success());
    let _socket = std::os::unix::net::UnixListener::bind(root.join("sock")).unwrap();
    std::fs::create_dir(root.join("sub")).unwrap();
    std::os::unix::fs::symlink(root.join("pipe"), root.join("link-to-pipe")).unwrap();
    let server = InProc::start(ServerConfig {
        static_dir: Some(root.to_path_buf()),
        ..ServerConfig::default()
    });
    let addr = server.addr();
    // More requests than the runtime has blocking threads (512): a FIFO
    // opened for reading would hold one each, forever.
    for round in 0..600 {
        assert_eq!(get(addr, "/static/pipe").status, 404, "round {round}");
    }
    for name in ["sock", "sub", "link-to-pipe"] {
        assert_eq!(get(addr, &format!("/static/{name}")).status, 404, "{name}");
    }
    let file = get(addr, "/static/ok.txt");
    assert_eq!((file.status, file.text()), (200, "still here".to_string()));
}
