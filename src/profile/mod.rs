//! Profiles: TOML files that describe the target, the server knobs, the load
//! model, the stages and the thresholds of a run. Parsing is two steps: serde
//! into the spanned `raw` structs (unknown keys and wrong types fail there),
//! then validation into the typed [`Profile`]. Every error names the file,
//! the line and the key.

mod knobs;
mod raw;
pub mod threshold;
pub mod url;

use std::path::Path;
use std::time::Duration;

use toml::Spanned;

use raw::{DurationValue, RawProfile, RawStage};
pub use threshold::Threshold;

/// The default profile, compiled in so `loadtop` works from any directory.
pub const DEFAULT_PROFILE: &str = include_str!("../../profiles/default.toml");
pub const DEFAULT_PROFILE_ORIGIN: &str = "profiles/default.toml (built in)";

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("cannot read profile {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    /// `origin:line:column: key: message`, the form editors jump to.
    #[error("{origin}:{line}:{column}: {}{message}", key_prefix(.key))]
    Invalid {
        origin: String,
        line: usize,
        column: usize,
        key: String,
        message: String,
    },
}

fn key_prefix(key: &str) -> String {
    if key.is_empty() {
        String::new()
    } else {
        format!("`{key}`: ")
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    pub name: String,
    pub description: Option<String>,
    /// Where it came from, for messages and reports.
    pub origin: String,
    pub target: Target,
    pub request: RequestTemplate,
    pub server: ServerSettings,
    pub load: LoadSettings,
    pub stages: Vec<Stage>,
    /// Whole-run thresholds.
    pub thresholds: Vec<Threshold>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// A route on the embedded server, started as a child process.
    Embedded {
        route: String,
    },
    Url {
        url: String,
        pid: Option<u32>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct RequestTemplate {
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ServerSettings {
    pub threads: Option<usize>,
    /// Initial knobs as JSON (keys of the server's admin API).
    pub knobs: serde_json::Map<String, serde_json::Value>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    /// Fixed rate; latency corrected for coordinated omission.
    Open,
    /// Fixed connections as fast as possible; latency not corrected.
    Closed,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LoadSettings {
    pub model: ModelKind,
    pub threads: usize,
    pub connections: usize,
    pub rate: Option<f64>,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub warmup: Duration,
    pub keepalive: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    pub name: String,
    pub duration: Duration,
    /// Open model: the rate of this stage (falls back to `load.rate`).
    pub rate: Option<f64>,
    /// Closed model: the connections of this stage (falls back to `load.connections`).
    pub connections: Option<usize>,
    /// Ramp linearly from the previous stage's value over this stage.
    pub ramp: bool,
    pub knobs: serde_json::Map<String, serde_json::Value>,
    pub thresholds: Vec<Threshold>,
}

impl Profile {
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Profile::parse(&text, &path.display().to_string())
    }

    pub fn default_profile() -> Result<Profile, ProfileError> {
        Profile::parse(DEFAULT_PROFILE, DEFAULT_PROFILE_ORIGIN)
    }

    pub fn parse(text: &str, origin: &str) -> Result<Profile, ProfileError> {
        let ctx = Ctx { text, origin };
        let deserializer =
            toml::de::Deserializer::parse(text).map_err(|e| ctx.toml_error(&e, ""))?;
        let raw: RawProfile = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            // `Spanned` shows up in serde's path as a private field; users never wrote it.
            let key = e
                .path()
                .to_string()
                .replace(".$__serde_spanned_private_value", "");
            let key = if key == "." { String::new() } else { key };
            ctx.toml_error(e.inner(), &key)
        })?;
        ctx.validate(raw)
    }

    /// The planned length of all stages.
    pub fn total_duration(&self) -> Duration {
        self.stages.iter().map(|s| s.duration).sum()
    }
}

struct Ctx<'a> {
    text: &'a str,
    origin: &'a str,
}

impl Ctx<'_> {
    fn error_at(&self, offset: usize, key: &str, message: impl Into<String>) -> ProfileError {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before.rfind('\n').map_or(offset, |nl| offset - nl - 1) + 1;
        ProfileError::Invalid {
            origin: self.origin.to_string(),
            line,
            column,
            key: key.to_string(),
            message: message.into(),
        }
    }

    fn toml_error(&self, error: &toml::de::Error, key: &str) -> ProfileError {
        let offset = error.span().map_or(0, |span| span.start);
        // toml's messages may span lines; one line reads better in a terminal.
        let message = error
            .message()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        self.error_at(offset, key, message)
    }

    fn at<T>(&self, value: &Spanned<T>, key: &str, message: impl Into<String>) -> ProfileError {
        self.error_at(value.span().start, key, message)
    }

    fn duration(
        &self,
        value: &Spanned<DurationValue>,
        key: &str,
    ) -> Result<Duration, ProfileError> {
        let parsed = match value.get_ref() {
            DurationValue::Seconds(secs) if secs.is_finite() && *secs >= 0.0 => {
                Ok(Duration::from_secs_f64(*secs))
            }
            DurationValue::Seconds(secs) => Err(format!("invalid duration {secs}")),
            DurationValue::Text(text) => crate::cli::parse_duration(text),
        };
        parsed.map_err(|message| self.at(value, key, message))
    }

    fn thresholds(
        &self,
        list: &[Spanned<String>],
        key: &str,
    ) -> Result<Vec<Threshold>, ProfileError> {
        list.iter()
            .enumerate()
            .map(|(i, text)| {
                Threshold::parse(text.get_ref())
                    .map_err(|m| self.at(text, &format!("{key}[{i}]"), m))
            })
            .collect()
    }

    fn knobs(
        &self,
        table: &Option<Spanned<toml::Table>>,
        key: &str,
        embedded: bool,
    ) -> Result<serde_json::Map<String, serde_json::Value>, ProfileError> {
        let Some(table) = table else {
            return Ok(serde_json::Map::new());
        };
        if !embedded {
            return Err(self.at(
                table,
                key,
                "server knobs need the embedded target (`target.route`)",
            ));
        }
        knobs::validate(table.get_ref()).map_err(|(knob, message)| {
            if knob.is_empty() {
                return self.at(table, key, message);
            }
            // The table's span starts at its header; its keys follow it.
            let span = table.span();
            let offset = self
                .text
                .get(span.start..)
                .and_then(|t| t.find(knob.as_str()));
            let at = offset.map_or(span.start, |o| span.start + o);
            self.error_at(at, &format!("{key}.{knob}"), message)
        })
    }

    fn validate(&self, raw: RawProfile) -> Result<Profile, ProfileError> {
        let target = self.target(&raw)?;
        let embedded = matches!(target, Target::Embedded { .. });
        let load = self.load(&raw)?;

        let server = ServerSettings {
            threads: match &raw.server.threads {
                Some(t) if *t.get_ref() == 0 => {
                    return Err(self.at(t, "server.threads", "must be at least 1"));
                }
                Some(_) if !embedded => {
                    return Err(self.error_at(
                        0,
                        "server.threads",
                        "only applies to the embedded target",
                    ));
                }
                other => other.as_ref().map(|t| *t.get_ref()),
            },
            knobs: self.knobs(&raw.server.knobs, "server.knobs", embedded)?,
        };

        if raw.stages.get_ref().is_empty() {
            return Err(self.at(&raw.stages, "stages", "a profile needs at least one stage"));
        }
        let mut stages = Vec::new();
        for (i, stage) in raw.stages.get_ref().iter().enumerate() {
            let stage = self.stage(stage, i, &load, embedded)?;
            if stages.iter().any(|s: &Stage| s.name == stage.name) {
                let raw_name = &raw.stages.get_ref()[i].name;
                return Err(self.at(
                    raw_name,
                    &format!("stages[{i}].name"),
                    format!("duplicate stage name `{}`", stage.name),
                ));
            }
            stages.push(stage);
        }

        let method = raw.request.method.as_ref().map_or_else(
            || Ok("GET".to_string()),
            |m| {
                let method = m.get_ref().trim().to_ascii_uppercase();
                if !method.is_empty() && method.bytes().all(|b| b.is_ascii_alphabetic()) {
                    Ok(method)
                } else {
                    Err(self.at(
                        m,
                        "request.method",
                        format!("invalid HTTP method `{}`", m.get_ref()),
                    ))
                }
            },
        )?;

        Ok(Profile {
            name: raw.name.clone().unwrap_or_else(|| stem(self.origin)),
            description: raw.description.clone(),
            origin: self.origin.to_string(),
            target,
            request: RequestTemplate {
                method,
                headers: raw.request.headers.clone().into_iter().collect(),
                body: raw.request.body.clone(),
            },
            server,
            load,
            stages,
            thresholds: self.thresholds(&raw.thresholds, "thresholds")?,
        })
    }

    fn target(&self, raw: &RawProfile) -> Result<Target, ProfileError> {
        let t = raw.target.get_ref();
        match (&t.route, &t.url) {
            (Some(route), None) => {
                if t.pid.is_some() {
                    return Err(self.at(
                        &raw.target,
                        "target.pid",
                        "the embedded target is monitored already; `pid` is for `url` targets",
                    ));
                }
                if !route.get_ref().starts_with('/') {
                    return Err(self.at(
                        route,
                        "target.route",
                        "a route starts with `/`, e.g. `/pool`",
                    ));
                }
                Ok(Target::Embedded {
                    route: route.get_ref().clone(),
                })
            }
            (None, Some(url)) => {
                url::validate(url.get_ref()).map_err(|m| self.at(url, "target.url", m))?;
                Ok(Target::Url {
                    url: url.get_ref().clone(),
                    pid: t.pid.as_ref().map(|p| *p.get_ref()),
                })
            }
            _ => Err(self.at(
                &raw.target,
                "target",
                "give exactly one of `route` (embedded server) or `url`",
            )),
        }
    }

    fn load(&self, raw: &RawProfile) -> Result<LoadSettings, ProfileError> {
        let l = &raw.load;
        let model = match l.model.as_ref().map(|m| (m, m.get_ref().as_str())) {
            None | Some((_, "open")) => ModelKind::Open,
            Some((_, "closed")) => ModelKind::Closed,
            Some((m, other)) => {
                return Err(self.at(
                    m,
                    "load.model",
                    format!("unknown model `{other}` (expected `open` or `closed`)"),
                ));
            }
        };
        let positive = |v: &Option<Spanned<usize>>, key: &str, default: usize| match v {
            Some(n) if *n.get_ref() == 0 => Err(self.at(n, key, "must be at least 1")),
            Some(n) => Ok(*n.get_ref()),
            None => Ok(default),
        };
        let rate = match &l.rate {
            Some(r) if !(*r.get_ref() >= 1.0 && r.get_ref().is_finite()) => {
                return Err(self.at(r, "load.rate", "a rate is at least 1 request per second"));
            }
            other => other.as_ref().map(|r| *r.get_ref()),
        };
        let duration_or = |v: &Option<Spanned<DurationValue>>, key: &str, default: Duration| {
            v.as_ref().map_or(Ok(default), |d| self.duration(d, key))
        };
        let timeout = duration_or(&l.timeout, "load.timeout", Duration::from_secs(10))?;
        if timeout.is_zero() {
            return Err(self.error_at(0, "load.timeout", "must be above 0"));
        }
        Ok(LoadSettings {
            model,
            threads: positive(&l.threads, "load.threads", 1)?,
            connections: positive(&l.connections, "load.connections", 64)?,
            rate,
            timeout,
            connect_timeout: duration_or(
                &l.connect_timeout,
                "load.connect_timeout",
                Duration::from_secs(3),
            )?,
            warmup: duration_or(&l.warmup, "load.warmup", Duration::ZERO)?,
            keepalive: l.keepalive.unwrap_or(true),
        })
    }

    fn stage(
        &self,
        s: &RawStage,
        i: usize,
        load: &LoadSettings,
        embedded: bool,
    ) -> Result<Stage, ProfileError> {
        let key = |field: &str| format!("stages[{i}].{field}");
        let name = s.name.get_ref().trim().to_string();
        if name.is_empty() {
            return Err(self.at(&s.name, &key("name"), "a stage needs a name"));
        }
        let duration = self.duration(&s.duration, &key("duration"))?;
        if duration.is_zero() {
            return Err(self.at(&s.duration, &key("duration"), "a stage lasts more than 0s"));
        }
        let rate = match &s.rate {
            Some(r) if !(*r.get_ref() >= 1.0 && r.get_ref().is_finite()) => {
                return Err(self.at(r, &key("rate"), "a rate is at least 1 request per second"));
            }
            Some(r) if load.model == ModelKind::Closed => {
                return Err(self.at(r, &key("rate"), "`rate` needs the open model (`load.model = \"open\"`); the closed model sets `connections`"));
            }
            other => other.as_ref().map(|r| *r.get_ref()),
        };
        if load.model == ModelKind::Open && rate.is_none() && load.rate.is_none() {
            return Err(self.at(
                &s.name,
                &key("rate"),
                "the open model needs a rate for every stage (or `load.rate`)",
            ));
        }
        let connections = match &s.connections {
            Some(c) if *c.get_ref() == 0 => {
                return Err(self.at(c, &key("connections"), "must be at least 1"));
            }
            other => other.as_ref().map(|c| *c.get_ref()),
        };
        Ok(Stage {
            name,
            duration,
            rate,
            connections,
            ramp: s.ramp,
            knobs: self.knobs(&s.knobs, &key("knobs"), embedded)?,
            thresholds: self.thresholds(&s.thresholds, &key("thresholds"))?,
        })
    }
}

fn stem(origin: &str) -> String {
    Path::new(origin.split(' ').next().unwrap_or(origin))
        .file_stem()
        .map_or_else(
            || "profile".to_string(),
            |s| s.to_string_lossy().into_owned(),
        )
}

#[cfg(test)]
mod tests;
