//! `--urls-from-file`: a plain list of URLs becomes an evenly weighted mix
//! on one origin. Short lists keep one name per path so every summary can be
//! read per URL; long ones (a crawl, a log replay) share one name, since a
//! per-URL histogram would cost more memory than the run is worth.

use std::path::Path;

use crate::load::MAX_NAMES;
use crate::profile::{MixRequest, url};

use super::{PlanError, invalid};

/// The first URL (the run's target) and the mix, one entry per line.
pub(super) fn read(file: &Path, method: &str) -> Result<(String, Vec<MixRequest>), PlanError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| invalid(format!("cannot read {}: {e}", file.display())))?;
    parse(&text, &file.display().to_string(), method)
}

fn parse(text: &str, origin: &str, method: &str) -> Result<(String, Vec<MixRequest>), PlanError> {
    let method = method.trim().to_ascii_uppercase();
    let mut first: Option<(String, url::HttpUrl)> = None;
    let mut requests = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let at = |message: String| invalid(format!("{origin}:{}: {message}", index + 1));
        let parsed = url::parse(line).map_err(at)?;
        match &first {
            None => first = Some((url::redact(line), parsed.clone())),
            Some((_, origin_url)) if !origin_url.same_origin(&parsed) => {
                return Err(at(format!(
                    "`{line}` is not on {} like the first URL: one run loads one server",
                    origin_url.host_header()
                )));
            }
            Some(_) => {}
        }
        let mut headers = Vec::new();
        parsed.add_authorization(&mut headers);
        requests.push(MixRequest {
            name: parsed.path.clone(),
            method: method.clone(),
            path: parsed.path,
            headers,
            body: None,
            weight: 1,
        });
    }
    let Some((first_url, _)) = first else {
        return Err(invalid(format!("{origin} lists no URL")));
    };
    let mut names: Vec<&str> = requests.iter().map(|r| r.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    if names.len() > MAX_NAMES {
        for request in &mut requests {
            request.name = "urls".to_string();
        }
    }
    Ok((first_url, requests))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_is_one_evenly_weighted_request() {
        let text = "# hot paths\nhttp://127.0.0.1:8080/a\n\nhttp://127.0.0.1:8080/b?x=1  # query\n";
        let (first, mix) = parse(text, "urls.txt", "get").unwrap();
        assert_eq!(first, "http://127.0.0.1:8080/a");
        let paths: Vec<&str> = mix.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, vec!["/a", "/b?x=1"]);
        assert!(mix.iter().all(|r| r.weight == 1 && r.method == "GET"));
    }

    #[test]
    fn other_origins_and_empty_files_are_refused_with_the_line() {
        let text = "http://127.0.0.1:8080/a\nhttp://127.0.0.1:9090/b\n";
        let message = parse(text, "urls.txt", "GET").unwrap_err().to_string();
        assert!(message.contains("urls.txt:2:"), "{message}");
        assert!(parse("# nothing\n", "u", "GET").is_err());
        let message = parse("ftp://x/\n", "u", "GET").unwrap_err().to_string();
        assert!(message.contains("u:1:"), "{message}");
    }

    #[test]
    fn long_lists_share_one_name() {
        let text: String = (0..100)
            .map(|i| format!("http://127.0.0.1:1/p{i}\n"))
            .collect();
        let (_, mix) = parse(&text, "u", "GET").unwrap();
        assert_eq!(mix.len(), 100);
        assert!(mix.iter().all(|r| r.name == "urls"));
    }
}
