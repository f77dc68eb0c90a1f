//! The JSON report, version `loadtop.report/1`. Field names are the public
//! contract (documented in docs/report.md, checked against
//! docs/report.schema.json by the tests): add fields freely, never rename.

use base64::Engine as _;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use serde::{Deserialize, Serialize};

use super::{ReportError, wire};
use crate::monitor::ResourceStats;
use crate::stats::summary::Summary;

pub use super::threshold_result::ThresholdResult;

pub const SCHEMA: &str = "loadtop.report/1";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub loadtop_version: String,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub duration_secs: f64,
    pub outcome: RunOutcome,
    pub outcome_detail: Option<String>,
    pub plan: PlanReport,
    /// Measured stages only (warm-up excluded).
    #[serde(with = "wire::summary")]
    pub summary: Summary,
    pub stages: Vec<StageReport>,
    /// One entry per second of the run.
    pub timeline: Vec<TimelineEntry>,
    pub events: Vec<EventEntry>,
    pub thresholds: Vec<ThresholdResult>,
    /// Every threshold held (true when there are none); false when the
    /// thresholds were not evaluated.
    pub passed: bool,
    /// False when the run stopped before its plan ended (Ctrl-C, SIGTERM, a
    /// dashboard quit): a partial run cannot pass, so every threshold reads
    /// `passed: false` and `passed` is false. Absent in older reports: true.
    #[serde(default = "evaluated_by_default")]
    pub thresholds_evaluated: bool,
    /// Stages that ended before their planned length (skipped with `n`, or
    /// running when the run stopped).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cut_stages: Vec<String>,
    /// Measured stages per request name of a mix (absent for one request).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<RequestReport>,
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    Completed,
    /// The user quit (dashboard `q`).
    Quit,
    /// SIGINT or SIGTERM.
    Interrupted,
    /// The target process died; `outcome_detail` says how.
    TargetExited,
}

impl RunOutcome {
    /// The word the report writes (`completed`, `target_exited`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Completed => "completed",
            RunOutcome::Quit => "quit",
            RunOutcome::Interrupted => "interrupted",
            RunOutcome::TargetExited => "target_exited",
        }
    }
}

impl std::fmt::Display for RunOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an event of the run records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A stage started, or the capacity search concluded.
    Stage,
    /// A live control (keys): rate, connections, threads, pause, hold, skip.
    Control,
    /// Server knobs the embedded target took.
    Knobs,
    /// The target: its exit, or whose limit a stage showed.
    Target,
    /// A report was saved (or merged).
    Report,
    Warning,
}

impl EventKind {
    /// The word the report writes (`stage`, `knobs`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Stage => "stage",
            EventKind::Control => "control",
            EventKind::Knobs => "knobs",
            EventKind::Target => "target",
            EventKind::Report => "report",
            EventKind::Warning => "warning",
        }
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One request name of a mix: its summary and exact histograms, so merged
/// reports keep per-request percentiles exact too.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestReport {
    pub name: String,
    #[serde(with = "wire::summary")]
    pub summary: Summary,
    pub histogram: String,
    pub service_histogram: String,
}

/// A request of the plan's mix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedRequest {
    pub name: String,
    pub method: String,
    pub path: String,
    pub weight: u32,
}

/// One request name's second in the timeline.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TimelineRequest {
    pub name: String,
    pub rps: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub errors: u64,
}

/// What made the run's plan (since schema 1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanKind {
    /// `loadtop bench URL`: one stage from flags.
    Bench,
    /// A profile (`loadtop`, `run`, `compare`).
    Profile,
    /// `loadtop max`: probes appended as stages.
    Capacity,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanReport {
    pub name: String,
    /// Absent in reports from before 1.3: read them with [`PlanReport::kind`].
    #[serde(default, rename = "kind", skip_serializing_if = "Option::is_none")]
    pub recorded_kind: Option<PlanKind>,
    pub origin: String,
    /// `embedded` or `url`.
    pub target_kind: String,
    pub target: String,
    pub method: String,
    /// `open` or `closed`.
    pub model: String,
    /// Open model: latency measured from the intended send time.
    pub latency_corrected: bool,
    pub threads: usize,
    pub connections: usize,
    pub timeout_secs: f64,
    pub keepalive: bool,
    pub max_requests: Option<u64>,
    /// `HTTP/1.1` or `HTTP/2` (absent in reports from before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// The target was loaded over TLS (`https://`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<bool>,
    /// `I/N` when this report is one shard of a plan (`--shard`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// The embedded server's knobs that were set (`KnobPatch::to_json_object`):
    /// a map, so the keys stay sorted and a report naming a knob this
    /// version does not know still reads.
    pub knobs: serde_json::Map<String, serde_json::Value>,
    pub stages: Vec<PlannedStage>,
    /// The request mix, when there is one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<PlannedRequest>,
}

impl PlanReport {
    /// What made the plan; a report from before 1.3 did not say, and a
    /// bench plan was the one named `bench` then.
    pub fn kind(&self) -> PlanKind {
        self.recorded_kind.unwrap_or(if self.name == "bench" {
            PlanKind::Bench
        } else {
            PlanKind::Profile
        })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedStage {
    pub name: String,
    /// `open` or `closed`.
    pub model: String,
    pub duration_secs: Option<f64>,
    pub rate: Option<f64>,
    pub connections: Option<usize>,
    pub ramp: bool,
    pub measured: bool,
    pub knobs: serde_json::Map<String, serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageReport {
    pub name: String,
    pub measured: bool,
    /// Open-model stage: latency measured from the intended send time.
    pub latency_corrected: bool,
    /// Seconds since the run started.
    pub started_secs: f64,
    #[serde(with = "wire::summary")]
    pub summary: Summary,
    #[serde(with = "wire::resources")]
    pub resources: ResourceStats,
    /// Latency histogram, HdrHistogram V2 + deflate, base64.
    pub histogram: String,
    /// Service-time (uncorrected) histogram, same encoding.
    pub service_histogram: String,
    /// The generator's phase histograms, same encoding, so `report merge`
    /// adds send lag, connect and TTFB exactly (since schema 1.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase_histograms: Option<PhaseHistograms>,
    /// Per request name of a mix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<RequestReport>,
    /// What limited the stage (since 1.4; absent when no second was judged, and in merged reports: each shard judged its own machine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<super::diagnosis::StageDiagnosis>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseHistograms {
    pub send_lag: String,
    pub connect: String,
    pub ttfb: String,
}

impl PhaseHistograms {
    /// `None` when the interval recorded no phases (a per-name part).
    pub fn encode(interval: &crate::stats::Interval) -> Result<Option<Self>, ReportError> {
        let Some(phases) = &interval.phases else {
            return Ok(None);
        };
        Ok(Some(PhaseHistograms {
            send_lag: encode_histogram(&phases.send_lag)?,
            connect: encode_histogram(&phases.connect)?,
            ttfb: encode_histogram(&phases.ttfb)?,
        }))
    }

    pub fn decode(&self) -> Result<crate::stats::Phases, ReportError> {
        Ok(crate::stats::Phases {
            send_lag: decode_histogram(&self.send_lag)?,
            connect: decode_histogram(&self.connect)?,
            ttfb: decode_histogram(&self.ttfb)?,
        })
    }
}

/// One second of the report's timeline, its stage and request names spelled out.
pub type TimelineEntry = crate::timeline::Second<String, TimelineRequest>;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventEntry {
    pub at_secs: f64,
    pub kind: EventKind,
    pub message: String,
}

/// HdrHistogram V2 + deflate, base64: the format HdrHistogram's own tools
/// read, so reports can be merged exactly.
pub fn encode_histogram(hist: &Histogram<u64>) -> Result<String, ReportError> {
    let mut bytes = Vec::new();
    // A per-name histogram is kept only as large as its values need; the
    // report always carries the full bounds.
    V2DeflateSerializer::new()
        .serialize(&crate::stats::full_range(hist), &mut bytes)
        .map_err(|e| ReportError::Histogram(format!("{e:?}")))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

pub fn decode_histogram(text: &str) -> Result<Histogram<u64>, ReportError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| ReportError::Histogram(e.to_string()))?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| ReportError::Histogram(format!("{e:?}")))
}

fn evaluated_by_default() -> bool {
    true
}

impl Report {
    #[cfg(test)]
    pub fn empty_for_tests() -> Report {
        Report {
            schema: SCHEMA.into(),
            loadtop_version: env!("CARGO_PKG_VERSION").into(),
            started_at: "2026-01-01T00:00:00Z".into(),
            duration_secs: 0.0,
            outcome: RunOutcome::Completed,
            outcome_detail: None,
            plan: PlanReport {
                name: "t".into(),
                recorded_kind: Some(PlanKind::Profile),
                origin: "test".into(),
                target_kind: "url".into(),
                target: "http://127.0.0.1:1/".into(),
                method: "GET".into(),
                model: "closed".into(),
                latency_corrected: false,
                threads: 1,
                connections: 1,
                timeout_secs: 1.0,
                keepalive: true,
                max_requests: None,
                shard: None,
                protocol: None,
                tls: None,
                knobs: Default::default(),
                stages: Vec::new(),
                requests: Vec::new(),
            },
            summary: Summary::default(),
            stages: Vec::new(),
            timeline: Vec::new(),
            events: Vec::new(),
            thresholds: Vec::new(),
            passed: true,
            thresholds_evaluated: true,
            cut_stages: Vec::new(),
            requests: Vec::new(),
        }
    }
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "json_golden.rs"]
mod golden;
