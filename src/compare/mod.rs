//! `loadtop compare`: the same stages against each target of a profile in
//! turn, then one side-by-side table per stage. Data flows: profile →
//! one `RunPlan` per target (all validated before anything starts) → a
//! headless `session::run` per target (its `requires` checked first; a
//! missing runtime is a skip with a note) → reports → `table` rows → text
//! or Markdown, and optionally one `loadtop.compare/1` document. The
//! command itself (running, printing, exit code) is `app::compare`.

pub mod document;
pub mod requires;
pub mod table;

use crate::profile::{ModelKind, NamedTarget, Profile, Target};
use crate::report::RunOutcome;

use document::TargetEntry;

/// A profile's `[[targets]]`, or its single `[target]` as a one-row comparison.
pub fn targets_of(profile: &Profile) -> Vec<NamedTarget> {
    if !profile.targets.is_empty() {
        return profile.targets.clone();
    }
    let name = match &profile.target {
        Target::Embedded { .. } => "loadtop".to_string(),
        Target::Url { url, .. } => url.clone(),
    };
    vec![NamedTarget {
        name,
        target: profile.target.clone(),
        requires: Vec::new(),
    }]
}

/// Skips, failures and what the closed model's mean latency really is.
pub fn notes(entries: &[TargetEntry], model: ModelKind) -> String {
    let mut out = String::new();
    for entry in entries {
        if let Some(reason) = &entry.skipped {
            out.push_str(&format!("skipped {}: {reason}\n", entry.name));
        }
        let Some(report) = &entry.report else {
            continue;
        };
        if let Some(detail) = &report.outcome_detail {
            out.push_str(&format!("{}: {} ({detail})\n", entry.name, report.outcome));
        } else if report.outcome != RunOutcome::Completed {
            out.push_str(&format!("{}: {}\n", entry.name, report.outcome));
        }
        for t in report.thresholds.iter().filter(|t| !t.passed) {
            let scope = t.stage.as_deref().unwrap_or("run");
            out.push_str(&format!(
                "{}: threshold FAIL: {} [{scope}] observed {}\n",
                entry.name, t.expr, t.observed_text
            ));
        }
    }
    if model == ModelKind::Closed && entries.iter().any(|e| e.report.is_some()) {
        out.push_str(
            "closed model: mean latency = connections / req/s (Little's law); compare p99 and p99.9\n",
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_targets_are_noted() {
        let entries = [TargetEntry {
            name: "go".into(),
            skipped: Some("`go` not found on PATH".into()),
            report: None,
        }];
        assert_eq!(
            notes(&entries, ModelKind::Closed),
            "skipped go: `go` not found on PATH\n"
        );
    }
}
