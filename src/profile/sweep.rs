//! `[sweep]`: one stage per value of a server knob, named `knob=value`, so
//! a pool-size or worker-count study is a list, not a page of stages.

use toml::Spanned;

use super::raw::RawSweep;
use super::validate::Ctx;
use super::{LoadSettings, ModelKind, ProfileError, Stage, knobs};

impl Ctx<'_> {
    /// One stage per value of a server knob, named `knob=value`.
    pub(super) fn sweep(
        &self,
        sweep: &Spanned<RawSweep>,
        load: &LoadSettings,
        embedded: bool,
        existing: &[Stage],
    ) -> Result<Vec<Stage>, ProfileError> {
        let raw = sweep.get_ref();
        if !embedded {
            return Err(self.at(
                sweep,
                "sweep",
                "a sweep changes server knobs: it needs the embedded target",
            ));
        }
        if raw.values.get_ref().is_empty() {
            return Err(self.at(&raw.values, "sweep.values", "list at least one value"));
        }
        let duration = self.stage_duration(&raw.duration, "sweep.duration")?;
        let rate = match &raw.rate {
            Some(r) if !(*r.get_ref() >= 1.0 && r.get_ref().is_finite()) => {
                return Err(self.at(r, "sweep.rate", "a rate is at least 1 request per second"));
            }
            Some(r) if load.model == ModelKind::Closed => {
                return Err(self.at(r, "sweep.rate", "`rate` needs the open model"));
            }
            other => other.as_ref().map(|r| *r.get_ref()),
        };
        if load.model == ModelKind::Open && rate.is_none() && load.rate.is_none() {
            return Err(self.at(
                sweep,
                "sweep.rate",
                "the open model needs `sweep.rate` (or `load.rate`)",
            ));
        }
        let connections = match &raw.connections {
            Some(c) if *c.get_ref() == 0 => {
                return Err(self.at(c, "sweep.connections", "must be at least 1"));
            }
            other => other.as_ref().map(|c| *c.get_ref()),
        };
        let thresholds = self.thresholds(&raw.thresholds, "sweep.thresholds")?;
        let knob = raw.knob.get_ref().trim();
        let mut stages = Vec::new();
        for (i, value) in raw.values.get_ref().iter().enumerate() {
            let mut table = toml::Table::new();
            table.insert(knob.to_string(), value.clone());
            let knobs = knobs::validate(&table).map_err(|(_, message)| {
                self.at(&raw.values, &format!("sweep.values[{i}]"), message)
            })?;
            let shown = match value {
                toml::Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            let name = format!("{knob}={shown}");
            if existing
                .iter()
                .chain(&stages)
                .any(|s: &Stage| s.name == name)
            {
                return Err(self.at(
                    &raw.values,
                    &format!("sweep.values[{i}]"),
                    format!("duplicate stage name `{name}`"),
                ));
            }
            stages.push(Stage {
                name,
                model: load.model,
                duration,
                rate,
                connections,
                ramp: false,
                knobs,
                thresholds: thresholds.clone(),
            });
        }
        Ok(stages)
    }
}
