//! The target's figures beyond CPU and memory, read with every sample: how
//! its threads share the CPU, the cores it may use, its sockets on the
//! target port, and the machine's accept-queue overflows since the previous
//! sample. The bottleneck diagnosis reads them; the dashboard and the report
//! show them.

use serde::{Deserialize, Serialize};

use super::signals::{ProcessSignals, SignalSampler};
use super::sockets::{self, ListenQueue, SocketStates};

/// One sample's target signals. Everything is optional: no target, a target
/// another user owns, or a kernel without a counter leaves it out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TargetSignals {
    pub process: Option<ProcessSignals>,
    /// Cores in the target's affinity mask (`Cpus_allowed_list`): its CPU
    /// is saturated at this many hundred percent, not at the machine's.
    pub allowed_cores: Option<u32>,
    /// Sockets on the target's port (loopback targets only).
    pub sockets: Option<SocketStates>,
    /// Machine-wide accept-queue overflows and drops since the previous sample.
    pub listen: Option<ListenQueue>,
}

/// Keeps the previous reads the differences need.
#[derive(Debug, Default)]
pub(super) struct TargetSignalReader {
    process: Option<SignalSampler>,
    port: Option<u16>,
    last_listen: Option<ListenQueue>,
}

impl TargetSignalReader {
    pub(super) fn new(pid: Option<u32>, port: Option<u16>) -> Self {
        let mut reader = TargetSignalReader {
            process: None,
            port,
            last_listen: ListenQueue::read(),
        };
        reader.set_pid(pid);
        reader
    }

    /// A new target starts from a fresh baseline.
    pub(super) fn set_pid(&mut self, pid: Option<u32>) {
        self.process = pid.map(|pid| {
            let mut sampler = SignalSampler::new(pid);
            // The baseline: the first sample then covers one whole interval.
            let _ = sampler.sample();
            sampler
        });
    }

    /// `allowed_cores` comes from the target's CPU read (same status file).
    pub(super) fn read(&mut self, allowed_cores: Option<u32>) -> TargetSignals {
        let listen_now = ListenQueue::read();
        let listen = listen_now
            .zip(self.last_listen)
            .map(|(now, before)| now.since(&before));
        self.last_listen = listen_now;
        TargetSignals {
            process: self.process.as_mut().and_then(SignalSampler::sample),
            allowed_cores,
            sockets: self.port.and_then(sockets::socket_states),
            listen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_reads_threads_and_listen_deltas() {
        let mut reader = TargetSignalReader::new(Some(std::process::id()), None);
        // Work on this thread so the busiest thread reads above zero.
        let until = std::time::Instant::now() + std::time::Duration::from_millis(120);
        let mut spin = 0u64;
        while std::time::Instant::now() < until {
            spin = spin.wrapping_add(1);
        }
        assert!(spin > 0);
        let signals = reader.read(Some(2));
        let process = signals.process.expect("own /proc is readable");
        assert!(process.busiest_thread_cpu > 0.0, "{process:?}");
        assert_eq!(signals.allowed_cores, Some(2));
        assert_eq!(signals.sockets, None, "no port, no socket count");
        if let Some(listen) = signals.listen {
            // A difference over 120 ms on a test machine: small, never wrapped.
            assert!(listen.drops < 1_000_000, "{listen:?}");
        }
    }

    #[test]
    fn no_target_reads_no_process_signals() {
        let mut reader = TargetSignalReader::new(None, None);
        let signals = reader.read(None);
        assert_eq!(signals.process, None);
        assert_eq!(signals.allowed_cores, None);
    }
}
