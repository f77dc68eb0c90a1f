//! A stage's per-second verdicts folded into the one the report and the
//! stage table give: the bottleneck named in the most seconds of the stage
//! (a stage is a steady load, so what limited it most of the time is what
//! limits that load; a verdict of a second or two at a ramp or a knob change
//! does not outvote it). A tie goes to the verdict that is not `none`, then
//! to the one seen last. Its evidence and advice are those of its last
//! second, the figures as the stage settled.

use crate::diagnosis::{Bottleneck, Diagnosis};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StageVerdicts {
    /// Per bottleneck seen: how many seconds, and its latest diagnosis.
    seen: Vec<(u32, Diagnosis)>,
    /// Order of the latest sighting, for ties.
    order: Vec<usize>,
    seconds: u32,
}

impl StageVerdicts {
    pub fn add(&mut self, diagnosis: &Diagnosis) {
        self.seconds += 1;
        let index = match self
            .seen
            .iter()
            .position(|(_, d)| d.bottleneck == diagnosis.bottleneck)
        {
            Some(index) => {
                self.seen[index].0 += 1;
                self.seen[index].1 = diagnosis.clone();
                index
            }
            None => {
                self.seen.push((1, diagnosis.clone()));
                self.seen.len() - 1
            }
        };
        self.order.retain(|&i| i != index);
        self.order.push(index);
    }

    /// The stage's verdict, and the seconds it held out of all judged.
    pub fn chosen(&self) -> Option<(&Diagnosis, u32, u32)> {
        let recency = |index: usize| self.order.iter().position(|&i| i == index);
        self.seen
            .iter()
            .enumerate()
            .max_by_key(|(index, (count, diagnosis))| {
                (
                    *count,
                    diagnosis.bottleneck != Bottleneck::None,
                    recency(*index),
                )
            })
            .map(|(_, (count, diagnosis))| (diagnosis, *count, self.seconds))
    }

    pub fn bottleneck(&self) -> Option<Bottleneck> {
        self.chosen().map(|(diagnosis, _, _)| diagnosis.bottleneck)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(bottleneck: Bottleneck, evidence: &str) -> Diagnosis {
        Diagnosis {
            bottleneck,
            evidence: vec![evidence.into()],
            advice: String::new(),
            runner_up: None,
        }
    }

    #[test]
    fn the_most_frequent_verdict_wins_with_its_latest_evidence() {
        let mut stage = StageVerdicts::default();
        assert_eq!(stage.chosen(), None);
        stage.add(&verdict(Bottleneck::None, "ramp"));
        stage.add(&verdict(Bottleneck::Pool, "16/16 busy"));
        stage.add(&verdict(Bottleneck::Pool, "16/16 busy, 240 waiting"));
        stage.add(&verdict(Bottleneck::Errors, "shed"));
        let (chosen, held, of) = stage.chosen().unwrap();
        assert_eq!(chosen.bottleneck, Bottleneck::Pool);
        assert_eq!(chosen.evidence, vec!["16/16 busy, 240 waiting".to_string()]);
        assert_eq!((held, of), (2, 4));
    }

    #[test]
    fn a_tie_prefers_a_named_bottleneck_then_the_latest() {
        let mut stage = StageVerdicts::default();
        stage.add(&verdict(Bottleneck::Pool, "a"));
        stage.add(&verdict(Bottleneck::None, "b"));
        assert_eq!(stage.bottleneck(), Some(Bottleneck::Pool));
        stage.add(&verdict(Bottleneck::Errors, "c"));
        stage.add(&verdict(Bottleneck::None, "d"));
        stage.add(&verdict(Bottleneck::Errors, "e"));
        // none 2, pool 1, errors 2: errors is named and later than pool.
        assert_eq!(stage.bottleneck(), Some(Bottleneck::Errors));
    }
}
