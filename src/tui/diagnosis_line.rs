//! The diagnosis line under the banners: the verdict in one sentence with
//! its figures and the knob that tests it, coloured by how serious it is
//! (room to spare is good news; a saturated resource a warning; errors and
//! stalls, where requests fail or stop, are bad).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::theme::Theme;
use crate::diagnosis::{Bottleneck, Diagnosis};
use crate::snapshot::Snapshot;

/// One row while the run is live and a verdict has held; none otherwise.
pub fn wanted_height(snapshot: &Snapshot) -> u16 {
    u16::from(!snapshot.finished && snapshot.alerts.diagnosis.is_some())
}

pub struct DiagnosisLine<'a> {
    pub diagnosis: &'a Diagnosis,
    pub theme: Theme,
}

impl Widget for DiagnosisLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let style = match self.diagnosis.bottleneck {
            Bottleneck::None => t.good(),
            Bottleneck::Errors | Bottleneck::Stall => t.bad(),
            _ => t.warn(),
        };
        let line = Line::from(vec![
            Span::styled(" diagnosis: ", t.label()),
            Span::styled(self.diagnosis.sentence(), style),
        ]);
        Paragraph::new(line).render(area, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_the_sentence_and_only_while_live() {
        let diagnosis = Diagnosis {
            bottleneck: Bottleneck::Pool,
            evidence: vec!["16/16 slots busy".into(), "240 waiting".into()],
            advice: "raise pool_size (P) or shed load (s)".into(),
            runner_up: None,
        };
        let mut snapshot = Snapshot::default();
        assert_eq!(wanted_height(&snapshot), 0);
        snapshot.alerts.diagnosis = Some(diagnosis.clone());
        assert_eq!(wanted_height(&snapshot), 1);
        let area = Rect::new(0, 0, 100, 1);
        let mut buf = Buffer::empty(area);
        DiagnosisLine {
            diagnosis: &diagnosis,
            theme: Theme::new(true),
        }
        .render(area, &mut buf);
        let text: String = (0..100).map(|x| buf[(x, 0)].symbol()).collect();
        assert!(
            text.contains("diagnosis: pool-bound: 16/16 slots busy, 240 waiting → raise pool_size"),
            "{text}"
        );
        snapshot.finished = true;
        assert_eq!(wanted_height(&snapshot), 0);
    }
}
