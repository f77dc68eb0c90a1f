//! The saturation banner: whose limit the last second shows (the rule is
//! [`saturation::judge`]), recorded in the events once per stage and party.

use crate::report::EventKind;
use crate::snapshot::{SaturatedParty, SaturationAlert};

use super::Session;
use super::saturation::{self, LoadSignals, Party};

/// How long a verdict waits for the monitor's first worker figures.
const WORKER_FIGURES_GRACE: std::time::Duration = std::time::Duration::from_secs(3);
impl Session<'_> {
    /// Pacing units per connection: each HTTP/2 stream keeps its own schedule.
    pub(super) fn streams_per_connection(&self) -> u32 {
        match self.protocol {
            crate::load::Protocol::Http1 => 1,
            crate::load::Protocol::Http2 => {
                u32::try_from(self.plan.transport.h2_streams).unwrap_or(u32::MAX)
            }
        }
    }

    /// Judges the last second and records a new verdict in the events
    /// (once per stage and party), so a headless run's report says it too.
    pub(super) fn judge_saturation(&mut self) {
        self.saturation = self
            .saturation()
            .filter(|alert| self.diagnoser.agrees_with(alert));
        let Some(alert) = &self.saturation else {
            return;
        };
        let stage = self.ledger.stages.len().saturating_sub(1);
        if self.saturation_announced == Some((stage, alert.party)) {
            return;
        }
        self.saturation_announced = Some((stage, alert.party));
        let party = match alert.party {
            SaturatedParty::Generator => "generator",
            SaturatedParty::Target => "target",
        };
        let message = format!("{party} saturated: {}", alert.reason);
        self.event(EventKind::Warning, message);
    }

    /// Whose limit the last second shows, if anyone's (the rule itself is
    /// [`saturation::judge`]).
    fn saturation(&self) -> Option<SaturationAlert> {
        let sample = self.latest_sample.as_ref();
        // Whose limit it is cannot be told before the monitor has measured
        // the worker threads (its second sample), unless it never does.
        if sample.is_none_or(|s| s.worker_busy_max.is_none())
            && self.run_elapsed < WORKER_FIGURES_GRACE
        {
            return None;
        }
        let last = self.ledger.timeline.last();
        let service = self.ledger.last_second_service;
        let sent_rate = last.map_or(0.0, |p| p.rps);
        let signals = LoadSignals {
            worker_cpu: sample.and_then(|s| s.worker_cpu_max),
            worker_busy: sample.and_then(|s| s.worker_busy_max),
            asked_rate: last.and_then(|p| p.target_rps),
            sent_rate,
            attempts: self.ledger.last_second_attempts,
            late_sends: self.ledger.last_second_late,
            send_lag_p50_us: self.send_lag.p50_us(),
            in_flight: sent_rate * service.mean_us / 1e6,
            open_connections: self.current.open_connections,
            streams_per_connection: self.streams_per_connection(),
            service_p50_us: service.p50_us,
            service_baseline_us: self.ledger.service_floor_us,
            // A timeline point's rate is over the time it really covers: no
            // tick quantisation to allow for.
            rate_allowance: saturation::FAR_BELOW,
        };
        let verdict = saturation::judge(&signals)?;
        Some(SaturationAlert {
            party: match verdict.party() {
                Party::Generator => SaturatedParty::Generator,
                Party::Target => SaturatedParty::Target,
            },
            reason: verdict.reason(),
        })
    }
}
