//! `[[requests]]`: a weighted mix of requests. Each entry names a path on
//! the target (or a URL on the target's origin), with its own method,
//! headers, body or body file, weight and thresholds; `[request]` supplies
//! the defaults every entry inherits. Thresholds written inside an entry, or
//! elsewhere with the entry's name in quotes, read that request's figures.

use std::collections::BTreeMap;
use std::path::Path;

use bytes::Bytes;
use toml::Spanned;

use super::raw::{RawMixRequest, RawProfile};
use super::validate::Ctx;
use super::{MixRequest, ProfileError, RequestTemplate, Target, Threshold, url};

/// Most requests a profile may list (names are what the screens show).
const MAX_REQUESTS: usize = crate::load::MAX_NAMES;

impl Ctx<'_> {
    /// The mix, and the thresholds its entries scope to themselves.
    pub(super) fn requests(
        &self,
        raw: &RawProfile,
        target: &Target,
        several_targets: bool,
        template: &RequestTemplate,
    ) -> Result<(Vec<MixRequest>, Vec<Threshold>), ProfileError> {
        let Some(list) = &raw.requests else {
            return Ok((Vec::new(), Vec::new()));
        };
        if list.get_ref().is_empty() {
            return Err(self.at(list, "requests", "list at least one request"));
        }
        if list.get_ref().len() > MAX_REQUESTS {
            return Err(self.at(
                list,
                "requests",
                format!("at most {MAX_REQUESTS} requests (use --urls-from-file for long lists)"),
            ));
        }
        let mut mix: Vec<MixRequest> = Vec::new();
        let mut thresholds = Vec::new();
        for (i, entry) in list.get_ref().iter().enumerate() {
            let key = |field: &str| format!("requests[{i}].{field}");
            let request = self.mix_request(entry, i, target, several_targets, template)?;
            if mix.iter().any(|r| r.name == request.name) {
                let at = entry
                    .name
                    .as_ref()
                    .map_or(list.span().start, |n| n.span().start);
                return Err(self.error_at(
                    at,
                    &key("name"),
                    format!(
                        "duplicate request name `{}`: give each request its own `name`",
                        request.name
                    ),
                ));
            }
            for threshold in self.thresholds(&entry.thresholds, &key("thresholds"))? {
                if threshold.request.is_some() {
                    return Err(self.at(
                        &entry.thresholds[0],
                        &key("thresholds"),
                        "thresholds inside a request already read that request: drop the quoted name",
                    ));
                }
                thresholds.push(threshold.scoped_to(&request.name));
            }
            mix.push(request);
        }
        Ok((mix, thresholds))
    }

    fn mix_request(
        &self,
        entry: &RawMixRequest,
        i: usize,
        target: &Target,
        several_targets: bool,
        template: &RequestTemplate,
    ) -> Result<MixRequest, ProfileError> {
        let key = |field: &str| format!("requests[{i}].{field}");
        let method = match &entry.method {
            Some(m) => self.method(m, &key("method"))?,
            None => template.method.clone(),
        };
        let mut entry_url = None;
        let path = match (&entry.path, &entry.url) {
            (Some(_), Some(u)) => {
                return Err(self.at(u, &key("url"), "give `path` or `url`, not both"));
            }
            (Some(p), None) => {
                let path = p.get_ref().trim();
                if !path.starts_with('/') || path.bytes().any(|b| b <= b' ' || b == 0x7f) {
                    return Err(self.at(
                        p,
                        &key("path"),
                        format!("invalid path `{path}` (starts with `/`, no spaces)"),
                    ));
                }
                path.to_string()
            }
            (None, Some(u)) => {
                let parsed = self.same_origin_url(u, &key("url"), target, several_targets)?;
                entry_url = Some(parsed.clone());
                parsed.path
            }
            (None, None) => {
                return Err(self.error_at(
                    self.entry_offset(entry),
                    &key("path"),
                    "each request needs a `path` (or a `url` on the target)",
                ));
            }
        };
        let name = match &entry.name {
            Some(n) if n.get_ref().trim().is_empty() || n.get_ref().contains('"') => {
                return Err(self.at(n, &key("name"), "a name is not empty and has no `\"`"));
            }
            Some(n) => n.get_ref().trim().to_string(),
            None => format!("{method} {path}"),
        };
        let weight = match &entry.weight {
            Some(w) if *w.get_ref() == 0 || *w.get_ref() > 10_000 => {
                return Err(self.at(w, &key("weight"), "a weight is a whole number 1..=10000"));
            }
            Some(w) => *w.get_ref(),
            None => 1,
        };
        let body = match (&entry.body, &entry.body_file) {
            (Some(_), Some(f)) => {
                return Err(self.at(f, &key("body_file"), "give `body` or `body_file`, not both"));
            }
            (Some(body), None) => Some(Bytes::from(body.clone())),
            (None, Some(file)) => Some(self.body_file(file, &key("body_file"))?),
            (None, None) => template.body.clone().map(Bytes::from),
        };
        let mut headers = merge_headers(&template.headers, &entry.headers);
        if let Some(url) = entry_url {
            url.add_authorization(&mut headers);
        }
        Ok(MixRequest {
            name,
            method,
            path,
            headers,
            body,
            weight,
        })
    }

    fn same_origin_url(
        &self,
        value: &Spanned<String>,
        key: &str,
        target: &Target,
        several_targets: bool,
    ) -> Result<url::HttpUrl, ProfileError> {
        let parsed = url::parse(value.get_ref()).map_err(|m| self.at(value, key, m))?;
        let origin = match target {
            Target::Url { url, .. } if !several_targets => url::parse(url).ok(),
            _ => None,
        };
        match origin {
            Some(origin) if origin.same_origin(&parsed) => Ok(parsed),
            Some(origin) => Err(self.at(
                value,
                key,
                format!(
                    "`{}` is not on the target's origin {}: a mix loads one server",
                    url::redact(value.get_ref()),
                    origin.host_header()
                ),
            )),
            None => Err(self.at(
                value,
                key,
                "`url` needs a single `[target]` with a `url`; use `path` here",
            )),
        }
    }

    fn body_file(&self, file: &Spanned<String>, key: &str) -> Result<Bytes, ProfileError> {
        // Relative to the profile, so a profile and its bodies travel together.
        let base = Path::new(self.origin.split(" (").next().unwrap_or(self.origin))
            .parent()
            .unwrap_or(Path::new(""));
        let path = base.join(file.get_ref());
        std::fs::read(&path)
            .map(Bytes::from)
            .map_err(|e| self.at(file, key, format!("cannot read {}: {e}", path.display())))
    }

    fn entry_offset(&self, entry: &RawMixRequest) -> usize {
        [
            entry.name.as_ref().map(|n| n.span().start),
            entry.method.as_ref().map(|m| m.span().start),
            entry.weight.as_ref().map(|w| w.span().start),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(0)
    }

    /// Every quoted request name in `thresholds` must be a name of the mix.
    pub(super) fn check_threshold_names(
        &self,
        list: &[Spanned<String>],
        parsed: &[Threshold],
        key: &str,
        mix: &[MixRequest],
    ) -> Result<(), ProfileError> {
        for (i, (text, threshold)) in list.iter().zip(parsed).enumerate() {
            let Some(name) = &threshold.request else {
                continue;
            };
            if !mix.iter().any(|r| r.name == *name) {
                let known = if mix.is_empty() {
                    "the profile lists no `[[requests]]`".to_string()
                } else {
                    let names: Vec<String> = mix.iter().map(|r| format!("`{}`", r.name)).collect();
                    format!("requests are {}", names.join(", "))
                };
                return Err(self.at(
                    text,
                    &format!("{key}[{i}]"),
                    format!("no request named `{name}` ({known})"),
                ));
            }
        }
        Ok(())
    }
}

/// The entry's headers over the defaults (names compared case-insensitively).
fn merge_headers(
    defaults: &[(String, String)],
    own: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = defaults
        .iter()
        .filter(|(name, _)| !own.keys().any(|k| k.eq_ignore_ascii_case(name)))
        .cloned()
        .collect();
    headers.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
    headers
}
