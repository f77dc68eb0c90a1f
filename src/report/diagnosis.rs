//! A stage's bottleneck in the report: the verdict of most of its seconds
//! (see `session::verdicts` for the choice), the evidence and advice of its
//! last second with that verdict, and how many seconds it held.

use serde::{Deserialize, Serialize};

use crate::diagnosis::{Bottleneck, Diagnosis};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageDiagnosis {
    pub bottleneck: Bottleneck,
    /// Short strings with figures ("16/16 slots busy", "240 waiting").
    pub evidence: Vec<String>,
    /// The knob or key that tests the hypothesis.
    pub advice: String,
    /// The next resource that would bound throughput, when two held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner_up: Option<Bottleneck>,
    /// Seconds of the stage with this verdict, of all judged.
    pub seconds: u32,
    pub of_seconds: u32,
}

impl StageDiagnosis {
    pub fn new(diagnosis: &Diagnosis, seconds: u32, of_seconds: u32) -> Self {
        StageDiagnosis {
            bottleneck: diagnosis.bottleneck,
            evidence: diagnosis.evidence.clone(),
            advice: diagnosis.advice.clone(),
            runner_up: diagnosis.runner_up,
            seconds,
            of_seconds,
        }
    }
}

/// The text summary's block: each judged stage's verdict in a sentence,
/// with its figures and advice. Empty when no stage was judged.
pub fn stage_lines(stages: &[super::StageReport]) -> String {
    let judged: Vec<_> = stages
        .iter()
        .filter_map(|stage| stage.diagnosis.as_ref().map(|d| (&stage.name, d)))
        .collect();
    if judged.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n  Bottleneck by stage (the verdict of most of its seconds):\n");
    for (name, diagnosis) in judged {
        let head = match diagnosis.bottleneck {
            Bottleneck::None => "no bottleneck".to_string(),
            other => format!("{}-bound", other.label()),
        };
        out.push_str(&format!(
            "    {name}: {head} ({}/{} s): {}",
            diagnosis.seconds,
            diagnosis.of_seconds,
            diagnosis.evidence.join(", ")
        ));
        if !diagnosis.advice.is_empty() {
            out.push_str(&format!(" → {}", diagnosis.advice));
        }
        if let Some(runner_up) = diagnosis.runner_up {
            out.push_str(&format!(" (runner-up: {})", runner_up.label()));
        }
        out.push('\n');
    }
    out
}
