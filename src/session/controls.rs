//! Live controls from the front end: applied as soon as they arrive, each
//! recorded as an event so the report's timeline shows what changed and
//! when. Knob changes go to the target probe, which applies them in order
//! and reports back (the event is recorded when the server has taken them).

use std::path::PathBuf;

use crate::load::LoadCommand;
use crate::server::knobs::KnobPatch;

use super::probe::KnobRequest;
use super::{Control, Outcome, Session, SessionError};
use crate::report::EventKind;

impl Session<'_> {
    pub(super) fn apply_control(&mut self, control: Control) {
        match control {
            Control::SetConnections(n) if n >= 1 => {
                self.send_load(LoadCommand::SetConnections(n));
                self.current.connections = n;
                self.clock.override_connections(n);
                self.event(EventKind::Control, format!("connections set to {n}"));
            }
            Control::SetRate(rate)
                if rate >= 1.0 && self.clock.current().is_some_and(|s| s.model.corrected()) =>
            {
                self.send_load(LoadCommand::SetRate(rate));
                self.clock.override_rate(rate);
                self.current.rate = Some(rate);
                self.event(EventKind::Control, format!("rate set to {rate:.0} req/s"));
            }
            // Asking for the count already running changes nothing to log.
            Control::SetThreads(n) if n == self.current.threads => {}
            Control::SetThreads(n) if n >= 1 => {
                self.send_load(LoadCommand::SetThreads(n));
                self.event(EventKind::Control, format!("threads set to {n}"));
            }
            Control::NextStage => {
                self.event(EventKind::Control, "next stage".into());
                self.clock.skip();
            }
            Control::ToggleHold => {
                let held = self.clock.toggle_hold();
                self.event(
                    EventKind::Control,
                    if held { "stage held" } else { "stage released" }.into(),
                );
            }
            Control::TogglePause => {
                self.paused = !self.paused;
                let (command, word) = if self.paused {
                    (LoadCommand::Pause, "paused")
                } else {
                    (LoadCommand::Resume, "resumed")
                };
                self.send_load(command);
                self.event(EventKind::Control, word.into());
            }
            Control::Knobs(knobs) => self.change_knobs(*knobs),
            Control::SaveReport => match self.save_report_now() {
                Ok(path) => self.event(
                    EventKind::Report,
                    format!("report saved to {}", path.display()),
                ),
                Err(e) => self.event(EventKind::Warning, format!("report not saved: {e}")),
            },
            Control::Quit => self.outcome = Some(Outcome::Quit),
            other => self.event(EventKind::Warning, format!("ignored {other:?}")),
        }
        self.publish(false);
    }

    fn change_knobs(&mut self, knobs: KnobPatch) {
        let Some(probe) = &self.probe else {
            self.event(
                EventKind::Warning,
                "server knobs need the embedded target".into(),
            );
            return;
        };
        probe.apply(KnobRequest {
            applied: format!("server knobs {}", knobs.to_json_text()),
            knobs,
        });
    }

    fn save_report_now(&mut self) -> Result<PathBuf, SessionError> {
        let path = self
            .io
            .report_path
            .clone()
            .unwrap_or_else(|| crate::report::default_path(&self.plan.name));
        // The run goes on: its thresholds cannot be judged yet.
        let report = self.build_report(
            Outcome::Completed.report_outcome(),
            Some("saved during the run".into()),
            false,
        );
        crate::report::write_json(&report, &path)?;
        Ok(path)
    }
}
