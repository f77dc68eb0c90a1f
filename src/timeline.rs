//! One second of a run: the one type the dashboard charts live and the
//! report's `timeline` keeps. Its field names are `loadtop.report/1`'s
//! (pinned by `report/testdata/report-v1.json`); it lives below both
//! `snapshot` and `report` so neither imports the other.
//! What names the second's stage and one request name's second differs:
//! live, the stage's index and figures parallel to the snapshot's request
//! rows (`snapshot::TimelinePoint`); in a report, the names
//! (`report::TimelineEntry`). [`Second::relabel`] turns one
//! into the other, so a new figure is one field here and one line there.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Second<Stage, Request> {
    /// Whole seconds since the run started (end of the second).
    pub second: u64,
    pub stage: Stage,
    /// Achieved responses per second.
    pub rps: f64,
    /// Open model: the rate asked for.
    pub target_rps: Option<f64>,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub errors: u64,
    pub bytes: u64,
    pub cpu_target: Option<f32>,
    pub cpu_generator: Option<f32>,
    pub cpu_system: Option<f32>,
    pub rss_target: Option<u64>,
    pub rss_generator: Option<u64>,
    pub mem_system_used: Option<u64>,
    /// The database's processes together (PSS for memory); absent without
    /// a monitored database, so reports of runs without one are unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_database: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rss_database: Option<u64>,
    /// Per request name of a mix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<Request>,
    /// This second's bottleneck verdict (since 1.4): the report's, filled
    /// when the session writes it; the live timeline leaves it empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bottleneck: Option<crate::diagnosis::Bottleneck>,
}

impl<Stage, Request> Second<Stage, Request> {
    /// The same second, its stage and request seconds told another way.
    pub fn relabel<S, R>(&self, stage: S, requests: Vec<R>) -> Second<S, R> {
        Second {
            second: self.second,
            stage,
            rps: self.rps,
            target_rps: self.target_rps,
            p50_us: self.p50_us,
            p90_us: self.p90_us,
            p99_us: self.p99_us,
            max_us: self.max_us,
            errors: self.errors,
            bytes: self.bytes,
            cpu_target: self.cpu_target,
            cpu_generator: self.cpu_generator,
            cpu_system: self.cpu_system,
            rss_target: self.rss_target,
            rss_generator: self.rss_generator,
            mem_system_used: self.mem_system_used,
            cpu_database: self.cpu_database,
            rss_database: self.rss_database,
            requests,
            bottleneck: self.bottleneck,
        }
    }
}
