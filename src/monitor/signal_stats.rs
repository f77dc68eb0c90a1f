//! A stage's target signals folded into a few figures for the report and
//! the stage table: the peaks that say what saturated (the busiest thread,
//! threads near a full core, block I/O wait, socket states) and the
//! accept-queue losses summed over the stage.

use super::TargetSignals;
use super::stats::max_opt as peak;

/// Absent figures were never read (no target, no loopback port, an
/// unreadable `/proc` file); they are left out of the report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SignalStats {
    /// The busiest target thread at any sample, percent of one core.
    pub target_busiest_thread_max: Option<f32>,
    pub target_threads_near_full_core_max: Option<u32>,
    /// Cores in the target's affinity mask (the last read).
    pub target_allowed_cores: Option<u32>,
    /// Voluntary plus involuntary context switches per second, the highest.
    pub target_context_switches_max: Option<f64>,
    pub target_io_wait_max: Option<f32>,
    pub target_read_bytes_per_sec_max: Option<f64>,
    pub target_write_bytes_per_sec_max: Option<f64>,
    pub target_established_peak: Option<u32>,
    pub target_time_wait_peak: Option<u32>,
    pub target_close_wait_peak: Option<u32>,
    /// Machine-wide accept-queue overflows and drops during the stage.
    pub listen_overflows: Option<u64>,
    pub listen_drops: Option<u64>,
}

impl SignalStats {
    pub fn add(&mut self, signals: &TargetSignals) {
        if let Some(process) = &signals.process {
            self.target_busiest_thread_max = peak(
                self.target_busiest_thread_max,
                Some(process.busiest_thread_cpu),
            );
            self.target_threads_near_full_core_max = peak(
                self.target_threads_near_full_core_max,
                Some(process.threads_near_full_core),
            );
            self.target_context_switches_max = peak(
                self.target_context_switches_max,
                Some(process.voluntary_switches_per_sec + process.involuntary_switches_per_sec),
            );
            self.target_io_wait_max = peak(self.target_io_wait_max, process.io_wait_percent);
            self.target_read_bytes_per_sec_max = peak(
                self.target_read_bytes_per_sec_max,
                process.read_bytes_per_sec,
            );
            self.target_write_bytes_per_sec_max = peak(
                self.target_write_bytes_per_sec_max,
                process.write_bytes_per_sec,
            );
        }
        self.target_allowed_cores = signals.allowed_cores.or(self.target_allowed_cores);
        if let Some(sockets) = &signals.sockets {
            self.target_established_peak =
                peak(self.target_established_peak, Some(sockets.established));
            self.target_time_wait_peak = peak(self.target_time_wait_peak, Some(sockets.time_wait));
            self.target_close_wait_peak =
                peak(self.target_close_wait_peak, Some(sockets.close_wait));
        }
        if let Some(listen) = &signals.listen {
            self.listen_overflows = Some(self.listen_overflows.unwrap_or(0) + listen.overflows);
            self.listen_drops = Some(self.listen_drops.unwrap_or(0) + listen.drops);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::{ListenQueue, ProcessSignals, SocketStates};

    fn signals(busiest: f32, close_wait: u32, overflows: u64) -> TargetSignals {
        TargetSignals {
            process: Some(ProcessSignals {
                busiest_thread_cpu: busiest,
                threads_near_full_core: u32::from(busiest >= 90.0),
                busiest_thread_busy: busiest,
                voluntary_switches_per_sec: 100.0,
                involuntary_switches_per_sec: 5.0,
                io_wait_percent: None,
                read_bytes_per_sec: Some(0.0),
                write_bytes_per_sec: Some(4096.0),
            }),
            allowed_cores: Some(2),
            sockets: Some(SocketStates {
                established: 16,
                time_wait: 3,
                close_wait,
                other: 0,
            }),
            listen: Some(ListenQueue {
                overflows,
                drops: overflows,
            }),
        }
    }

    #[test]
    fn keeps_peaks_and_sums_listen_losses() {
        let mut stats = SignalStats::default();
        stats.add(&signals(95.0, 1, 2));
        stats.add(&signals(40.0, 7, 3));
        assert_eq!(stats.target_busiest_thread_max, Some(95.0));
        assert_eq!(stats.target_threads_near_full_core_max, Some(1));
        assert_eq!(stats.target_close_wait_peak, Some(7));
        assert_eq!(stats.target_established_peak, Some(16));
        assert_eq!(stats.listen_overflows, Some(5));
        assert_eq!(stats.target_allowed_cores, Some(2));
        assert_eq!(stats.target_io_wait_max, None);
        assert_eq!(stats.target_context_switches_max, Some(105.0));
    }
}
