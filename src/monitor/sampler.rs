//! The monitor thread's body: read only what a sample needs (system CPU and
//! memory through sysinfo, this process and the target pid from `/proc`),
//! build a [`ResourceSample`], hand it on without blocking, and sleep on the
//! control channel so that a stop or a new target is acted on at once.

use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant};

use sysinfo::{MemoryRefreshKind, System};

use super::database::DatabaseSampler;
use super::process::{ProcessCpu, ProcessReading};
use super::procfs::{self, WorkerCpu};
use super::target_signals::TargetSignalReader;
use super::{Control, ProcessSample, ResourceSample, SystemSample};

pub(super) struct Sampler {
    /// System CPU and memory only: sysinfo parses `/proc/stat` and
    /// `/proc/meminfo` per core, which it does well. Processes are read from
    /// `/proc` directly (see [`super::process`]).
    system: System,
    generator: ProcessCpu,
    /// A fresh reader per target keeps an old target's baseline from
    /// leaking into a new one.
    target: Option<ProcessCpu>,
    /// A fresh reader per postmaster, like the target's.
    database: Option<DatabaseSampler>,
    workers: WorkerCpu,
    signals: TargetSignalReader,
}

impl Sampler {
    pub(super) fn new(
        target_pid: Option<u32>,
        target_port: Option<u16>,
    ) -> Result<Sampler, sysinfo::Error> {
        // CPU figures are differences: the readers take their baseline now,
        // so that the first sample, one interval later, is already meaningful.
        let mut sampler = Sampler {
            system: System::new()?,
            generator: ProcessCpu::new(std::process::id()),
            target: target_pid.map(ProcessCpu::new),
            database: None,
            workers: WorkerCpu::default(),
            signals: TargetSignalReader::new(target_pid, target_port),
        };
        sampler.refresh_system();
        sampler.workers.sample();
        Ok(sampler)
    }

    pub(super) fn set_target(&mut self, pid: Option<u32>) {
        if pid == self.target.as_ref().map(ProcessCpu::pid) {
            return;
        }
        self.target = pid.map(ProcessCpu::new);
        self.signals.set_pid(pid);
    }

    pub(super) fn set_database(&mut self, pid: Option<u32>) {
        if pid == self.database.as_ref().map(DatabaseSampler::pid) {
            return;
        }
        self.database = pid.map(DatabaseSampler::new);
    }

    fn refresh_system(&mut self) {
        self.system.refresh_cpu_usage();
        self.system
            .refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
    }

    pub(super) fn sample(&mut self) -> ResourceSample {
        self.refresh_system();
        let generator_pid = self.generator.pid();
        let generator = match self.generator.read() {
            Some(reading) => process_sample(generator_pid, reading),
            // Our own pid cannot vanish; /proc being unreadable is the only way here.
            None => ProcessSample {
                pid: generator_pid,
                ..ProcessSample::default()
            },
        };
        let mut allowed_cores = None;
        let (target, target_exited) = match self.target.as_mut() {
            None => (None, None),
            Some(process) => {
                let pid = process.pid();
                match process.read() {
                    Some(reading) => {
                        allowed_cores = reading.allowed_cpus;
                        (Some(process_sample(pid, reading)), None)
                    }
                    None => {
                        self.target = None;
                        self.signals.set_pid(None);
                        (None, Some(pid))
                    }
                }
            }
        };
        let signals = Box::new(self.signals.read(allowed_cores));
        let at = Instant::now();
        let cores = self.system.cpus();
        let system = SystemSample {
            cpu_percent: self.system.global_cpu_usage() * cores.len() as f32,
            per_core: cores.iter().map(|cpu| cpu.usage()).collect(),
            mem_used: self.system.used_memory(),
            mem_total: self.system.total_memory(),
        };
        let workers = self.workers.sample();
        let database = self.database.as_mut().and_then(DatabaseSampler::sample);
        ResourceSample {
            at,
            generator,
            worker_cpu_max: workers.map(|w| w.cpu_max),
            worker_busy_max: workers.map(|w| w.busy_max),
            target,
            target_exited,
            database,
            system,
            signals,
        }
    }
}

fn process_sample(pid: u32, reading: ProcessReading) -> ProcessSample {
    ProcessSample {
        pid,
        cpu_percent: reading.cpu_percent.unwrap_or(0.0),
        rss_bytes: reading.rss_bytes,
        threads: procfs::count_threads(pid),
        sockets: procfs::count_sockets(pid),
    }
}

/// Sample every `interval` until told to stop or the handle is gone.
pub(super) fn run(
    mut sampler: Sampler,
    interval: Duration,
    control_rx: Receiver<Control>,
    samples_tx: SyncSender<ResourceSample>,
) {
    let mut next_at = Instant::now() + interval;
    let mut pending_exit = None;
    loop {
        // The control channel is the sleep: a stop or a new target wakes us at once.
        match control_rx.recv_timeout(next_at.saturating_duration_since(Instant::now())) {
            Ok(Control::SetTarget(pid)) => {
                sampler.set_target(pid);
                continue;
            }
            Ok(Control::SetDatabase(pid)) => {
                sampler.set_database(pid);
                continue;
            }
            Ok(Control::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            Err(RecvTimeoutError::Timeout) => {}
        }
        next_at += interval;
        let now = Instant::now();
        if next_at <= now {
            // After a stall (suspended machine, overloaded box) keep the
            // spacing instead of firing a burst of catch-up samples.
            next_at = now + interval;
        }
        let sample = sampler.sample();
        if !super::deliver(sample, &samples_tx, &mut pending_exit) {
            return;
        }
    }
}
