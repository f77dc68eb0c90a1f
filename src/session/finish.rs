//! The end of a run, on every path: stop the engine (its final partial tick
//! still counts), close the timeline, build the report, write it, publish the
//! final snapshot. The target child is stopped when the session drops it.

use std::time::Duration;

use super::{Outcome, RunResult, Session, SessionError, TICK};

impl Session<'_> {
    pub(super) fn finish(mut self) -> Result<RunResult, SessionError> {
        let outcome = self.outcome.clone().unwrap_or(Outcome::Completed);
        let rate = self.current.target_rate();
        if let Some(engine) = self.engine.take() {
            let mut final_tick = engine.stop();
            // The forwarder ends once the stopped engine closes the tick
            // channel; ticks still queued belong to the final figures.
            if let Some(forwarder) = self.ticks_forwarder.take() {
                let _ = forwarder.join();
            }
            for event in self.inbox.try_iter() {
                if let super::Event::Tick(unread) = event {
                    final_tick.interval.merge(&unread.interval);
                    final_tick.elapsed = final_tick.elapsed.max(unread.elapsed);
                }
            }
            self.run_elapsed = self.run_elapsed.max(final_tick.elapsed);
            self.ledger.add_tick(
                &final_tick.interval,
                final_tick.elapsed,
                TICK / 2,
                rate,
                self.latest_sample.as_ref(),
            );
            // A last fragment of under half a second is mostly the drain of
            // requests in flight at the stop: as a rate it would mislead, so
            // it counts in the stage and run totals but makes no timeline point.
            if self.ledger.pending_second_has_data()
                && self.ledger.pending_span(final_tick.elapsed) >= Duration::from_millis(500)
            {
                self.ledger
                    .close_second(final_tick.elapsed, rate, self.latest_sample.as_ref());
            }
        }
        let stopped_early =
            outcome != Outcome::Completed && self.clock.cut_short(self.plan.max_requests);
        if let Some(stage) = self.ledger.current_stage_mut() {
            stage.active = self.clock.elapsed;
            stage.finished = true;
            stage.cut |= stopped_early;
        }
        if self.plan.max_requests.is_some() {
            // A run bounded by a request count ends with its last response,
            // not on the tick that noticed it: each stage lasts from its
            // first send to its last completion (the clock's figure stays an
            // upper bound, and the only one if a pause fell inside).
            for stage in &mut self.ledger.stages {
                if let Some(span) = stage.interval.span {
                    stage.active = stage.active.min(span.duration());
                }
            }
        }
        // A run that did not finish its plan cannot pass its thresholds; an
        // open-ended last stage (no duration, no count) ends only this way.
        let on_last_stage = self.clock.index + 1 >= self.clock.stages.len();
        self.thresholds_evaluated = outcome == Outcome::Completed
            || (on_last_stage && !stopped_early && !matches!(outcome, Outcome::TargetExited(_)));
        let detail = match &outcome {
            Outcome::TargetExited(reason) => Some(reason.clone()),
            Outcome::Interrupted => {
                Some("stopped by a signal; the report holds what was measured".into())
            }
            Outcome::Quit => Some("stopped by the user".into()),
            Outcome::Completed => None,
        };
        let report = self.build_report(outcome.report_outcome(), detail, self.thresholds_evaluated);
        // A destination that fails now still keeps the data elsewhere.
        let (report_path, report_failure) = match &self.io.report_path {
            Some(path) => crate::report::save_json(&report, path),
            None => (None, None),
        };
        let mut snapshot = self.snapshot(true);
        snapshot.report_path = report_path.clone();
        if let Some(tx) = &self.io.snapshots {
            tx.send_replace(snapshot);
        }
        Ok(RunResult {
            report,
            outcome,
            report_path,
            report_failure,
            total: self.ledger.measured_total().0,
        })
    }
}
