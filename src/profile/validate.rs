//! Validation of a parsed profile: the spanned raw structs become typed
//! values, and every error carries the file, line, column and key.

use std::path::Path;
use std::time::Duration;

use toml::Spanned;

use super::raw::{DurationValue, RawProfile};
use super::{Profile, ProfileError, RequestTemplate, ServerSettings, Stage, Target, Threshold};

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
}

fn stem(origin: &str) -> String {
    Path::new(origin.split(' ').next().unwrap_or(origin))
        .file_stem()
        .map_or_else(
            || "profile".to_string(),
            |s| s.to_string_lossy().into_owned(),
        )
}
