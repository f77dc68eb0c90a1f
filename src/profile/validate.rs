//! Validation of a parsed profile: the spanned raw structs become typed
//! values, and every error carries the file, line, column and key.

use std::path::Path;
use std::time::Duration;

use toml::Spanned;

use crate::server::knobs::KnobPatch;

use super::raw::{DurationValue, RawProfile, RawRequest};
use super::{
    LoadSettings, ModelKind, Profile, ProfileError, RequestTemplate, ServerSettings, Stage, Target,
    Threshold, TransportSettings, knobs,
};

/// More stages than anyone reads in a table; each costs a histogram pair.
pub(super) const MAX_STAGES: usize = 100;

pub(super) fn too_many_stages() -> String {
    format!("at most {MAX_STAGES} stages")
}

pub(super) struct Ctx<'a> {
    pub text: &'a str,
    pub origin: &'a str,
}

impl Ctx<'_> {
    pub(super) fn error_at(
        &self,
        offset: usize,
        key: &str,
        message: impl Into<String>,
    ) -> ProfileError {
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

    pub(super) fn toml_error(&self, error: &toml::de::Error, key: &str) -> ProfileError {
        let offset = error.span().map_or(0, |span| span.start);
        // toml's messages may span lines; one line reads better in a terminal.
        let message = error
            .message()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        self.error_at(offset, key, message)
    }

    pub(super) fn at<T>(
        &self,
        value: &Spanned<T>,
        key: &str,
        message: impl Into<String>,
    ) -> ProfileError {
        self.error_at(value.span().start, key, message)
    }

    pub(super) fn duration(
        &self,
        value: &Spanned<DurationValue>,
        key: &str,
    ) -> Result<Duration, ProfileError> {
        let parsed = match value.get_ref() {
            DurationValue::Seconds(secs) => crate::parse::duration_from_secs(*secs),
            DurationValue::Text(text) => crate::parse::parse_duration(text),
        };
        parsed.map_err(|message| self.at(value, key, message))
    }

    pub(super) fn thresholds(
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

    pub(super) fn knobs(
        &self,
        table: &Option<Spanned<toml::Table>>,
        key: &str,
        embedded: bool,
    ) -> Result<KnobPatch, ProfileError> {
        let Some(table) = table else {
            return Ok(KnobPatch::default());
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

    /// `[server] database` and the seeding sizes that go with it.
    fn database(
        &self,
        server: &super::raw::RawServer,
        embedded: bool,
    ) -> Result<Option<super::DatabaseSettings>, ProfileError> {
        let Some(database) = &server.database else {
            for (size, key) in [
                (&server.db_users, "db_users"),
                (&server.db_orders, "db_orders"),
            ] {
                if let Some(size) = size {
                    return Err(self.at(
                        size,
                        &format!("server.{key}"),
                        "needs `server.database` (\"embedded\" or a postgres:// URL)",
                    ));
                }
            }
            return Ok(None);
        };
        let url = database.get_ref().trim();
        if !embedded {
            return Err(self.at(
                database,
                "server.database",
                "only applies to the embedded target (`target.route`)",
            ));
        }
        if url != "embedded" && !url.starts_with("postgres://") && !url.starts_with("postgresql://")
        {
            return Err(self.at(
                database,
                "server.database",
                "must be \"embedded\" or a postgres:// URL",
            ));
        }
        Ok(Some(super::DatabaseSettings {
            url: url.to_string(),
            users: server.db_users.as_ref().map(|n| *n.get_ref()),
            orders: server.db_orders.as_ref().map(|n| *n.get_ref()),
        }))
    }

    pub(super) fn validate(&self, raw: RawProfile) -> Result<Profile, ProfileError> {
        let (target, targets) = self.targets(&raw)?;
        let embedded = matches!(target, Target::Embedded { .. })
            || targets
                .iter()
                .any(|t| matches!(t.target, Target::Embedded { .. }));
        let load = self.load(&raw)?;

        let server = ServerSettings {
            threads: match &raw.server.threads {
                Some(t) if !(1..=crate::server::MAX_THREADS).contains(t.get_ref()) => {
                    let range = format!("must be 1..={}", crate::server::MAX_THREADS);
                    return Err(self.at(t, "server.threads", range));
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
            database: self.database(&raw.server, embedded)?,
        };

        let mut stages = Vec::new();
        if let Some(raw_stages) = &raw.stages {
            if raw_stages.get_ref().len() > MAX_STAGES {
                return Err(self.at(raw_stages, "stages", too_many_stages()));
            }
            for (i, stage) in raw_stages.get_ref().iter().enumerate() {
                let stage = self.stage(stage, i, &load, embedded)?;
                if stages.iter().any(|s: &Stage| s.name == stage.name) {
                    let raw_name = &raw_stages.get_ref()[i].name;
                    return Err(self.at(
                        raw_name,
                        &format!("stages[{i}].name"),
                        format!("duplicate stage name `{}`", stage.name),
                    ));
                }
                stages.push(stage);
            }
        }
        if let Some(sweep) = &raw.sweep {
            stages.extend(self.sweep(sweep, &load, embedded, &stages)?);
            if stages.len() > MAX_STAGES {
                return Err(self.at(sweep, "sweep.values", too_many_stages()));
            }
        }
        if stages.is_empty() {
            return Err(self.error_at(
                0,
                "stages",
                "a profile needs at least one stage (`[[stages]]` or `[sweep]`)",
            ));
        }

        let method = match &raw.request.method {
            Some(m) => self.method(m, "request.method")?,
            None => "GET".to_string(),
        };
        let request = RequestTemplate {
            method,
            headers: raw.request.headers.clone().into_iter().collect(),
            body: raw.request.body.clone(),
            transport: self.transport(&raw.request)?,
        };
        let (requests, mut request_thresholds) =
            self.requests(&raw, &target, targets.len() > 1, &request)?;
        let mut thresholds = self.thresholds(&raw.thresholds, "thresholds")?;
        self.check_threshold_names(&raw.thresholds, &thresholds, "thresholds", &requests)?;
        if let Some(raw_stages) = &raw.stages {
            for (i, (raw_stage, stage)) in raw_stages.get_ref().iter().zip(&stages).enumerate() {
                self.check_threshold_names(
                    &raw_stage.thresholds,
                    &stage.thresholds,
                    &format!("stages[{i}].thresholds"),
                    &requests,
                )?;
            }
        }
        thresholds.append(&mut request_thresholds);

        Ok(Profile {
            name: raw.name.clone().unwrap_or_else(|| stem(self.origin)),
            description: raw.description.clone(),
            origin: self.origin.to_string(),
            target,
            targets,
            request,
            requests,
            server,
            load,
            stages,
            thresholds,
        })
    }

    fn transport(&self, request: &RawRequest) -> Result<TransportSettings, ProfileError> {
        let http2 = request.http2.unwrap_or(false);
        let h2_streams = match &request.h2_streams {
            None => None,
            Some(streams) if !(1..=1000).contains(streams.get_ref()) => {
                return Err(self.at(
                    streams,
                    "request.h2_streams",
                    "streams per connection must be 1 to 1000",
                ));
            }
            Some(streams) if !http2 && *streams.get_ref() > 1 => {
                return Err(self.at(
                    streams,
                    "request.h2_streams",
                    "several streams per connection need `http2 = true`",
                ));
            }
            Some(streams) => Some(*streams.get_ref()),
        };
        let insecure = request.insecure.unwrap_or(false);
        let cacert = match &request.cacert {
            None => None,
            Some(path) if insecure => {
                return Err(self.at(
                    path,
                    "request.cacert",
                    "`cacert` and `insecure = true` exclude each other",
                ));
            }
            Some(path) if path.get_ref().trim().is_empty() => {
                return Err(self.at(path, "request.cacert", "empty path"));
            }
            // Relative to the profile, so a profile and its CA travel together.
            Some(path) => Some(
                Path::new(self.origin)
                    .parent()
                    .unwrap_or_else(|| Path::new(""))
                    .join(path.get_ref()),
            ),
        };
        Ok(TransportSettings {
            http2,
            h2_streams,
            insecure,
            cacert,
        })
    }

    pub(super) fn method(
        &self,
        value: &Spanned<String>,
        key: &str,
    ) -> Result<String, ProfileError> {
        let method = value.get_ref().trim().to_ascii_uppercase();
        if !method.is_empty() && method.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(method)
        } else {
            Err(self.at(
                value,
                key,
                format!("invalid HTTP method `{}`", value.get_ref()),
            ))
        }
    }

    pub(super) fn model(
        &self,
        value: &Spanned<String>,
        key: &str,
    ) -> Result<ModelKind, ProfileError> {
        match value.get_ref().as_str() {
            "open" => Ok(ModelKind::Open),
            "closed" => Ok(ModelKind::Closed),
            other => Err(self.at(
                value,
                key,
                format!("unknown model `{other}` (expected `open` or `closed`)"),
            )),
        }
    }

    fn load(&self, raw: &RawProfile) -> Result<LoadSettings, ProfileError> {
        let l = &raw.load;
        let model = match &l.model {
            Some(m) => self.model(m, "load.model")?,
            None => ModelKind::Open,
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
            warmup: match &l.warmup {
                None => Duration::ZERO,
                Some(w) => match self.duration(w, "load.warmup")? {
                    zero if zero.is_zero() => zero,
                    _ => self.stage_duration(w, "load.warmup")?,
                },
            },
            keepalive: l.keepalive.unwrap_or(true),
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
