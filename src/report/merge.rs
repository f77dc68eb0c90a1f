//! Merging the reports of shards that ran the same plan at the same time
//! (several generator machines, one target). Histograms and counters add
//! exactly; summaries are rebuilt from the sums as one run would have
//! built them; timelines are aligned on wall-clock seconds. What cannot be
//! exact (per-second percentiles, resources) is documented in docs/reports.md.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use hdrhistogram::Histogram;
use serde::Serialize;

use super::json::{PhaseHistograms, SCHEMA, decode_histogram, encode_histogram};
use super::totals::accumulate;
use super::{EventEntry, EventKind, Report, RunOutcome, StageReport, TimelineEntry};
use crate::monitor::ResourceStats;
use crate::stats::Interval;
use crate::stats::summary::Summary;

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("no reports given")]
    Empty,
    #[error("{0}")]
    DifferentPlans(String),
    #[error("{source_name}, stage `{stage}`: {message}")]
    Histogram {
        source_name: String,
        stage: String,
        message: String,
    },
    #[error(transparent)]
    Threshold(#[from] super::check::CheckError),
}

/// One shard's own figures, kept beside the merged ones because CPU and
/// memory of different machines do not add up to anything meaningful.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShardInfo {
    pub source: String,
    pub started_at: String,
    pub duration_secs: f64,
    pub outcome: RunOutcome,
    pub requests: u64,
    pub stages: Vec<ShardStage>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShardStage {
    pub name: String,
    pub requests: u64,
    #[serde(with = "super::wire::resources")]
    pub resources: ResourceStats,
}

#[derive(Clone, Debug)]
pub struct Merged {
    pub report: Report,
    pub shards: Vec<ShardInfo>,
}

impl Merged {
    /// The report with an extra top-level `shards` array (optional in the
    /// schema; readers of `loadtop.report/1` ignore it).
    pub fn to_json(&self) -> Result<serde_json::Value, serde_json::Error> {
        let mut value = serde_json::to_value(&self.report)?;
        if let Some(object) = value.as_object_mut() {
            object.insert("shards".into(), serde_json::to_value(&self.shards)?);
        }
        Ok(value)
    }
}

fn epoch_secs(started_at: &str) -> u64 {
    humantime::parse_rfc3339(started_at)
        .ok()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs())
}

fn plan_shape(report: &Report) -> String {
    let stages: Vec<&str> = report.stages.iter().map(|s| s.name.as_str()).collect();
    format!(
        "plan `{}` ({} model) with stages [{}]",
        report.plan.name,
        report.plan.model,
        stages.join(", ")
    )
}

/// Same plan: name, model and planned stages. The stages a shard ran must
/// be a prefix of the longest shard's (a shard stopped early ran fewer).
/// Returns the index of the shard whose stage list the merge follows.
fn check_same_plan(shards: &[(String, Report)]) -> Result<usize, MergeError> {
    let Some((first_name, first)) = shards.first() else {
        return Err(MergeError::Empty);
    };
    let planned = |r: &Report| {
        r.plan
            .stages
            .iter()
            .map(|s| s.name.clone())
            .collect::<Vec<_>>()
    };
    let mut longest = 0;
    for (index, (_, report)) in shards.iter().enumerate() {
        if report.stages.len() > shards[longest].1.stages.len() {
            longest = index;
        }
    }
    let (longest_name, longest_report) = &shards[longest];
    for (name, report) in shards {
        let same_plan = report.plan.name == first.plan.name
            && report.plan.model == first.plan.model
            && planned(report) == planned(first);
        if !same_plan {
            return Err(MergeError::DifferentPlans(format!(
                "{name} ran {}, but {first_name} ran {}; only shards of the same plan can be merged",
                plan_shape(report),
                plan_shape(first)
            )));
        }
        let same_stages = report
            .stages
            .iter()
            .zip(&longest_report.stages)
            .all(|(a, b)| a.name == b.name);
        if !same_stages {
            return Err(MergeError::DifferentPlans(format!(
                "{name} ran {}, but {longest_name} ran {}; only shards of the same plan can be merged",
                plan_shape(report),
                plan_shape(longest_report)
            )));
        }
    }
    Ok(longest)
}

pub fn merge_reports(shards: &[(String, Report)]) -> Result<Merged, MergeError> {
    let longest = check_same_plan(shards)?;
    let Some((_, first)) = shards.first() else {
        return Err(MergeError::Empty);
    };
    let stage_list = &shards[longest].1.stages;
    let starts: Vec<u64> = shards
        .iter()
        .map(|(_, r)| epoch_secs(&r.started_at))
        .collect();
    let base = starts.iter().copied().min().unwrap_or(0);
    let offsets: Vec<f64> = starts.iter().map(|s| (s - base) as f64).collect();
    let histogram_error = |source: &str, stage: &str, message: String| MergeError::Histogram {
        source_name: source.to_string(),
        stage: stage.to_string(),
        message,
    };

    let mut whole = Interval::new();
    let mut whole_requests: Vec<super::json::RequestReport> = Vec::new();
    let mut stages = Vec::with_capacity(stage_list.len());
    for (index, first_stage) in stage_list.iter().enumerate() {
        let mut total = Interval::new();
        let mut duration = 0f64;
        let mut started = f64::INFINITY;
        let mut resources = None;
        for ((source, report), offset) in shards.iter().zip(&offsets) {
            let Some(stage) = report.stages.get(index) else {
                continue;
            };
            resources.get_or_insert_with(|| stage.resources.clone());
            let latency = decode_histogram(&stage.histogram)
                .map_err(|e| histogram_error(source, &stage.name, e.to_string()))?;
            let service = decode_histogram(&stage.service_histogram)
                .map_err(|e| histogram_error(source, &stage.name, e.to_string()))?;
            accumulate(&mut total, &stage.summary, &latency, &service)
                .map_err(|e| histogram_error(source, &stage.name, e))?;
            if let Some(phases) = &stage.phase_histograms {
                let phases = phases
                    .decode()
                    .map_err(|e| histogram_error(source, &stage.name, e.to_string()))?;
                total.phases_mut().merge(&phases);
            }
            duration = duration.max(stage.summary.duration_secs);
            started = started.min(offset + stage.started_secs);
        }
        let parts: Vec<&[super::json::RequestReport]> = shards
            .iter()
            .filter_map(|(_, r)| r.stages.get(index).map(|s| s.requests.as_slice()))
            .collect();
        let requests = super::requests::merge(&parts, secs(duration))
            .map_err(|e| histogram_error("merged", &first_stage.name, e))?;
        if first_stage.measured {
            whole.merge(&total);
            whole_requests.extend(requests.iter().cloned());
        }
        let encode = |h: &Histogram<u64>| {
            encode_histogram(h)
                .map_err(|e| histogram_error("merged", &first_stage.name, e.to_string()))
        };
        stages.push(StageReport {
            name: first_stage.name.clone(),
            measured: first_stage.measured,
            latency_corrected: first_stage.latency_corrected,
            started_secs: if started.is_finite() { started } else { 0.0 },
            summary: Summary::from_interval(&total, secs(duration)),
            resources: resources.unwrap_or_default(),
            histogram: encode(&total.latency)?,
            service_histogram: encode(&total.service)?,
            phase_histograms: PhaseHistograms::encode(&total)
                .map_err(|e| histogram_error("merged", &first_stage.name, e.to_string()))?,
            requests,
            // Each shard judged its own machine's resources: no one verdict.
            diagnosis: None,
        });
    }
    // Shards run concurrently: the merged run lasts as long as the longest.
    let active = shards
        .iter()
        .map(|(_, r)| r.summary.duration_secs)
        .fold(0.0, f64::max);
    let duration = shards
        .iter()
        .zip(&offsets)
        .map(|((_, r), offset)| offset + r.duration_secs)
        .fold(0.0, f64::max);
    let earliest = starts.iter().position(|s| *s == base).unwrap_or(0);
    let mut report = Report {
        schema: SCHEMA.into(),
        loadtop_version: env!("CARGO_PKG_VERSION").into(),
        started_at: shards[earliest].1.started_at.clone(),
        duration_secs: duration,
        outcome: merged_outcome(shards),
        outcome_detail: merged_detail(shards),
        plan: first.plan.clone(),
        summary: Summary::from_interval(&whole, secs(active)),
        stages,
        timeline: merge_timelines(shards, &starts, base),
        events: merge_events(shards, &offsets),
        thresholds: recorded_thresholds(shards),
        passed: true,
        thresholds_evaluated: shards.iter().all(|(_, r)| r.thresholds_evaluated),
        cut_stages: Vec::new(),
        requests: super::requests::merge(&[&whole_requests], secs(active))
            .map_err(|e| histogram_error("merged", "whole run", e))?,
    };
    report.thresholds = super::check::evaluate_recorded(&report)?;
    report.passed = report.thresholds_evaluated && report.thresholds.iter().all(|t| t.passed);
    let shards = shards
        .iter()
        .map(|(source, r)| shard_info(source, r))
        .collect();
    Ok(Merged { report, shards })
}

fn secs(value: f64) -> Duration {
    Duration::try_from_secs_f64(value).unwrap_or(Duration::ZERO)
}

fn merged_outcome(shards: &[(String, Report)]) -> RunOutcome {
    shards
        .iter()
        .map(|(_, r)| r.outcome)
        .find(|o| *o != RunOutcome::Completed)
        .unwrap_or(RunOutcome::Completed)
}

fn merged_detail(shards: &[(String, Report)]) -> Option<String> {
    let details: Vec<String> = shards
        .iter()
        .filter_map(|(source, r)| r.outcome_detail.as_ref().map(|d| format!("{source}: {d}")))
        .collect();
    (!details.is_empty()).then(|| details.join("; "))
}

/// Sums per aligned wall-clock second. Percentiles cannot be merged from
/// per-second figures, so each is the worst (max) shard's: an upper bound.
/// Resources are the first shard's that has a reading for that second.
fn merge_timelines(shards: &[(String, Report)], starts: &[u64], base: u64) -> Vec<TimelineEntry> {
    let mut seconds: BTreeMap<u64, TimelineEntry> = BTreeMap::new();
    for ((_, report), start) in shards.iter().zip(starts) {
        for entry in &report.timeline {
            let second = start - base + entry.second;
            let Some(merged) = seconds.get_mut(&second) else {
                seconds.insert(
                    second,
                    TimelineEntry {
                        second,
                        ..entry.clone()
                    },
                );
                continue;
            };
            merged.rps += entry.rps;
            merged.target_rps = match (merged.target_rps, entry.target_rps) {
                (Some(a), Some(b)) => Some(a + b),
                (a, b) => a.or(b),
            };
            merged.p50_us = merged.p50_us.max(entry.p50_us);
            merged.p90_us = merged.p90_us.max(entry.p90_us);
            merged.p99_us = merged.p99_us.max(entry.p99_us);
            merged.max_us = merged.max_us.max(entry.max_us);
            merged.errors += entry.errors;
            merged.bytes += entry.bytes;
            merged.cpu_target = merged.cpu_target.or(entry.cpu_target);
            merged.cpu_generator = merged.cpu_generator.or(entry.cpu_generator);
            merged.cpu_system = merged.cpu_system.or(entry.cpu_system);
            merged.rss_target = merged.rss_target.or(entry.rss_target);
            merged.rss_generator = merged.rss_generator.or(entry.rss_generator);
            merged.mem_system_used = merged.mem_system_used.or(entry.mem_system_used);
            super::requests::merge_second(&mut merged.requests, &entry.requests);
        }
    }
    seconds.into_values().collect()
}

fn merge_events(shards: &[(String, Report)], offsets: &[f64]) -> Vec<EventEntry> {
    let mut events: Vec<EventEntry> = shards
        .iter()
        .zip(offsets)
        .flat_map(|((source, report), offset)| {
            report.events.iter().map(move |e| EventEntry {
                at_secs: e.at_secs + offset,
                kind: e.kind,
                message: format!("[{source}] {}", e.message),
            })
        })
        .collect();
    events.sort_by(|a, b| a.at_secs.total_cmp(&b.at_secs));
    let sources: Vec<&str> = shards.iter().map(|(s, _)| s.as_str()).collect();
    events.push(EventEntry {
        at_secs: 0.0,
        kind: EventKind::Report,
        message: format!("merged {} shards: {}", shards.len(), sources.join(", ")),
    });
    events.rotate_right(1);
    events
}

/// Every distinct (expr, stage) recorded by any shard, in first-seen order.
fn recorded_thresholds(shards: &[(String, Report)]) -> Vec<super::ThresholdResult> {
    let mut seen = Vec::new();
    for (_, report) in shards {
        for t in &report.thresholds {
            if !seen
                .iter()
                .any(|s: &super::ThresholdResult| s.expr == t.expr && s.stage == t.stage)
            {
                seen.push(t.clone());
            }
        }
    }
    seen
}

fn shard_info(source: &str, report: &Report) -> ShardInfo {
    ShardInfo {
        source: source.to_string(),
        started_at: report.started_at.clone(),
        duration_secs: report.duration_secs,
        outcome: report.outcome,
        requests: report.summary.requests,
        stages: report
            .stages
            .iter()
            .map(|s| ShardStage {
                name: s.name.clone(),
                requests: s.summary.requests,
                resources: s.resources.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests;
