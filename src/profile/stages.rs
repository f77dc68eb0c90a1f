//! One `[[stages]]` entry of a profile: its name, length (at least one
//! aggregation tick), model, rate and connections, knobs and thresholds.

use std::time::Duration;

use toml::Spanned;

use super::raw::{DurationValue, RawStage};
use super::validate::Ctx;
use super::{LoadSettings, ModelKind, ProfileError, Stage};

impl Ctx<'_> {
    pub(super) fn stage(
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
        let duration = self.stage_duration(&s.duration, &key("duration"))?;
        let model = match &s.model {
            Some(m) => self.model(m, &key("model"))?,
            None => load.model,
        };
        let rate = match &s.rate {
            Some(r) if !(*r.get_ref() >= 1.0 && r.get_ref().is_finite()) => {
                return Err(self.at(r, &key("rate"), "a rate is at least 1 request per second"));
            }
            Some(r) if model == ModelKind::Closed => {
                return Err(self.at(
                    r,
                    &key("rate"),
                    "`rate` needs the open model; the closed model sets `connections`",
                ));
            }
            other => other.as_ref().map(|r| *r.get_ref()),
        };
        if model == ModelKind::Open && rate.is_none() && load.rate.is_none() {
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
            model,
            duration,
            rate,
            connections,
            ramp: s.ramp,
            knobs: self.knobs(&s.knobs, &key("knobs"), embedded)?,
            thresholds: self.thresholds(&s.thresholds, &key("thresholds"))?,
        })
    }
}

impl Ctx<'_> {
    /// A stage's length: at least one aggregation tick, since stages advance
    /// a tick at a time (a shorter one would run a whole tick anyway).
    pub(super) fn stage_duration(
        &self,
        value: &Spanned<DurationValue>,
        key: &str,
    ) -> Result<Duration, ProfileError> {
        let duration = self.duration(value, key)?;
        if duration < crate::session::TICK {
            return Err(self.at(
                value,
                key,
                format!(
                    "a stage lasts at least {} ms (one aggregation tick)",
                    crate::session::TICK.as_millis()
                ),
            ));
        }
        Ok(duration)
    }
}
