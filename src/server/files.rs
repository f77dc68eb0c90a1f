//! `GET|HEAD /static/{path}`: the built-in assets or a `--static-dir`, with
//! validators (strong ETag, Last-Modified → 304), gzip for compressible
//! types and streaming for large files. A request path becomes a file only
//! through `safe_relative` (decoded, suspicious segments refused) and then a
//! canonicalized `starts_with(root)` check, so nothing outside the root is
//! ever served: not through `..`, encodings, backslashes or symlinks.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Response, StatusCode};
use percent_encoding::percent_decode_str;
use tokio::io::AsyncReadExt;

use super::body::{FileStream, ResponseBody};
use super::routes::text_response;

/// Files above this size are streamed as they are, never gzipped in memory.
const GZIP_MAX: u64 = 1024 * 1024;
const GZIP_MIN: u64 = 256;
const CACHE_CONTROL: HeaderValue = HeaderValue::from_static("public, max-age=3600");

pub(crate) struct Asset {
    path: &'static str,
    content_type: HeaderValue,
    body: Bytes,
    gzipped: Option<Bytes>,
    etag: HeaderValue,
    gzip_etag: HeaderValue,
}

pub(crate) enum StaticFiles {
    Embedded {
        assets: Vec<Asset>,
        modified: SystemTime,
    },
    Dir {
        root: PathBuf,
    },
}

fn content_type_of(path: &Path) -> mime_guess::Mime {
    mime_guess::from_path(path).first_or_octet_stream()
}

fn compressible(mime: &mime_guess::Mime) -> bool {
    mime.type_() == mime_guess::mime::TEXT
        || matches!(
            mime.essence_str(),
            "application/json" | "application/javascript" | "image/svg+xml" | "application/xml"
        )
}

fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(data.len() / 2), Compression::default());
    encoder.write_all(data)?;
    encoder.finish()
}

fn header_value(text: String) -> HeaderValue {
    HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static("\"0\""))
}

fn content_hash(data: &[u8]) -> String {
    // FNV-1a: stable, fast, and enough to tell asset versions apart.
    let hash = data.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

impl StaticFiles {
    pub fn embedded() -> Self {
        let raw: [(&'static str, &'static [u8]); 4] = [
            ("index.html", include_bytes!("assets/index.html")),
            ("style.css", include_bytes!("assets/style.css")),
            ("app.js", include_bytes!("assets/app.js")),
            ("logo.svg", include_bytes!("assets/logo.svg")),
        ];
        let assets = raw
            .into_iter()
            .map(|(path, bytes)| {
                let mime = content_type_of(Path::new(path));
                let hash = content_hash(bytes);
                Asset {
                    path,
                    content_type: header_value(mime.to_string()),
                    body: Bytes::from_static(bytes),
                    gzipped: compressible(&mime)
                        .then(|| gzip(bytes).ok().map(Bytes::from))
                        .flatten(),
                    etag: header_value(format!("\"{hash}\"")),
                    gzip_etag: header_value(format!("\"{hash}-gz\"")),
                }
            })
            .collect();
        StaticFiles::Embedded {
            assets,
            modified: SystemTime::now(),
        }
    }

    /// Opens a directory root; the error names why it cannot be served.
    pub fn dir(root: &Path) -> std::io::Result<Self> {
        let root = std::fs::canonicalize(root)?;
        std::fs::read_dir(&root)?;
        Ok(StaticFiles::Dir { root })
    }

    pub async fn serve(&self, raw_path: &str, request: &HeaderMap) -> Response<ResponseBody> {
        let Some(relative) = safe_relative(raw_path) else {
            return text_response(StatusCode::BAD_REQUEST, "bad static path\n");
        };
        match self {
            StaticFiles::Embedded { assets, modified } => {
                let Some(asset) = assets.iter().find(|a| Path::new(a.path) == relative) else {
                    return not_found();
                };
                let use_gzip = asset.gzipped.is_some() && accepts_gzip(request);
                let (etag, body) = match (&asset.gzipped, use_gzip) {
                    (Some(gz), true) => (&asset.gzip_etag, gz.clone()),
                    _ => (&asset.etag, asset.body.clone()),
                };
                let meta = Validators {
                    etag: etag.clone(),
                    modified: *modified,
                    content_type: asset.content_type.clone(),
                    vary: asset.gzipped.is_some(),
                    gzip: use_gzip,
                };
                meta.respond(request, body.len() as u64, || ResponseBody::from(body))
            }
            StaticFiles::Dir { root } => serve_from_dir(root, &relative, request).await,
        }
    }
}

async fn serve_from_dir(
    root: &Path,
    relative: &Path,
    request: &HeaderMap,
) -> Response<ResponseBody> {
    let Ok(canonical) = tokio::fs::canonicalize(root.join(relative)).await else {
        return not_found();
    };
    if !canonical.starts_with(root) {
        return not_found();
    }
    let Some((mut file, metadata)) = open_regular(&canonical).await else {
        return not_found();
    };
    let len = metadata.len();
    let modified = metadata.modified().unwrap_or(UNIX_EPOCH);
    let mtime_ns = modified
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mime = content_type_of(&canonical);
    let can_gzip = compressible(&mime) && (GZIP_MIN..=GZIP_MAX).contains(&len);
    let use_gzip = can_gzip && accepts_gzip(request);
    let suffix = if use_gzip { "-gz" } else { "" };
    let meta = Validators {
        etag: header_value(format!("\"{len:x}-{mtime_ns:x}{suffix}\"")),
        modified,
        content_type: header_value(mime.to_string()),
        vary: can_gzip,
        gzip: use_gzip,
    };
    if let Some(not_modified) = meta.not_modified(request) {
        return not_modified;
    }
    if use_gzip {
        let mut data = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        let read = (&mut file).take(len).read_to_end(&mut data).await;
        let compressed = match read.and_then(|_| gzip(&data)) {
            Ok(compressed) => compressed,
            Err(_) => return not_found(),
        };
        let size = compressed.len() as u64;
        return meta.respond(request, size, || ResponseBody::from(compressed));
    }
    meta.respond(request, len, || {
        ResponseBody::File(FileStream::new(file, len))
    })
}

/// Opens `path` only if it is a regular file. Anything else (a FIFO, a
/// device, a socket, a directory) is refused before it is opened: opening a
/// FIFO for reading blocks until a writer comes, which would hold one of the
/// runtime's blocking threads per request forever. The open itself is
/// non-blocking and does not follow a symlink, and the type is checked again
/// on the open descriptor, so a file swapped in between cannot block either.
async fn open_regular(path: &Path) -> Option<(tokio::fs::File, std::fs::Metadata)> {
    let before = tokio::fs::symlink_metadata(path).await.ok()?;
    if !before.is_file() {
        return None;
    }
    let file = tokio::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(path)
        .await
        .ok()?;
    let metadata = file.metadata().await.ok()?;
    metadata.is_file().then_some((file, metadata))
}

struct Validators {
    etag: HeaderValue,
    modified: SystemTime,
    content_type: HeaderValue,
    vary: bool,
    gzip: bool,
}

impl Validators {
    fn not_modified(&self, request: &HeaderMap) -> Option<Response<ResponseBody>> {
        let fresh = if let Some(inm) = request.get(header::IF_NONE_MATCH) {
            let wanted = inm.to_str().unwrap_or("");
            wanted.split(',').any(|tag| {
                let tag = tag.trim();
                tag == "*" || tag.as_bytes() == self.etag.as_bytes()
            })
        } else if let Some(ims) = request.get(header::IF_MODIFIED_SINCE) {
            let since = ims
                .to_str()
                .ok()
                .and_then(|s| httpdate::parse_http_date(s).ok());
            let modified_secs = self
                .modified
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            since
                .and_then(|s| s.duration_since(UNIX_EPOCH).ok())
                .is_some_and(|since| modified_secs <= since.as_secs())
        } else {
            false
        };
        fresh.then(|| {
            let mut response = Response::new(ResponseBody::empty());
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            self.common_headers(response.headers_mut());
            response
        })
    }

    fn common_headers(&self, headers: &mut HeaderMap) {
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(
            header::LAST_MODIFIED,
            header_value(httpdate::fmt_http_date(self.modified)),
        );
        headers.insert(header::CACHE_CONTROL, CACHE_CONTROL);
        if self.vary {
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
    }

    fn respond(
        &self,
        request: &HeaderMap,
        len: u64,
        body: impl FnOnce() -> ResponseBody,
    ) -> Response<ResponseBody> {
        if let Some(not_modified) = self.not_modified(request) {
            return not_modified;
        }
        let mut response = Response::new(body());
        let headers = response.headers_mut();
        self.common_headers(headers);
        headers.insert(header::CONTENT_TYPE, self.content_type.clone());
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        if self.gzip {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        response
    }
}

fn not_found() -> Response<ResponseBody> {
    text_response(StatusCode::NOT_FOUND, "not found\n")
}

/// Whether `Accept-Encoding` allows gzip (a `q=0` refuses it).
fn accepts_gzip(request: &HeaderMap) -> bool {
    request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                let p = p.trim();
                p.strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            !refused && (coding.eq_ignore_ascii_case("gzip") || coding == "*")
        })
}

/// Turns the still-encoded path after `/static/` into a relative path made
/// only of plain names, or refuses it: empty segments (`//`, a leading `/`),
/// `.`/`..`, dot-files, and any segment whose decoding yields a separator,
/// backslash, NUL, colon or another `%` (double encoding).
pub(crate) fn safe_relative(raw: &str) -> Option<PathBuf> {
    if raw.is_empty() {
        return Some(PathBuf::from("index.html"));
    }
    let mut relative = PathBuf::new();
    for segment in raw.split('/') {
        let decoded = percent_decode_str(segment).decode_utf8().ok()?;
        let suspicious = decoded.is_empty()
            || decoded.starts_with('.')
            || decoded.contains(['/', '\\', '\0', ':', '%'])
            || decoded.chars().any(char::is_control);
        if suspicious {
            return None;
        }
        relative.push(decoded.as_ref());
    }
    relative.is_relative().then_some(relative)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_spellings_are_refused() {
        for raw in [
            "../secret",
            "%2e%2e/secret",
            "%2E%2E%2Fsecret",
            "a/../../secret",
            "..%2fsecret",
            "..%5csecret",
            "..\\secret",
            "/etc/passwd",
            "%2fetc%2fpasswd",
            "a//b",
            "a%00b",
            ".hidden",
            "%252e%252e/secret",
            "C:%5cwindows",
            "a/./b",
        ] {
            assert_eq!(safe_relative(raw), None, "{raw}");
        }
        assert_eq!(
            safe_relative("css/site.css"),
            Some(PathBuf::from("css/site.css"))
        );
        assert_eq!(safe_relative("a%20b.txt"), Some(PathBuf::from("a b.txt")));
    }

    #[test]
    fn accept_encoding_parsing() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, gzip;q=0.8"),
        );
        assert!(accepts_gzip(&headers));
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0, br"),
        );
        assert!(!accepts_gzip(&headers));
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("identity"),
        );
        assert!(!accepts_gzip(&headers));
    }
}
