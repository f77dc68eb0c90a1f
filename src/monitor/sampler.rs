//! The monitor thread's body: refresh only what a sample needs (system CPU
//! and memory, this process, the target pid), build a [`ResourceSample`],
//! hand it on without blocking, and sleep on the control channel so that a
//! stop or a new target is acted on at once.

use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant};

use sysinfo::{
    MemoryRefreshKind, Pid, Process, ProcessRefreshKind, ProcessStatus, ProcessesToUpdate, System,
};

use super::procfs::{self, WorkerCpu};
use super::{Control, ProcessSample, ResourceSample, SystemSample};

pub(super) struct Sampler {
    /// System CPU, memory and the generator's own pid.
    system: System,
    /// Only the target pid. A fresh `System` per target keeps an old target's
    /// CPU baseline from leaking into a new one.
    target_system: System,
    generator_pid: Pid,
    target_pid: Option<Pid>,
    workers: WorkerCpu,
}

/// CPU and memory only: tasks would add every thread as a process entry.
fn process_refresh_kind() -> ProcessRefreshKind {
    ProcessRefreshKind::nothing()
        .with_cpu()
        .with_memory()
        .without_tasks()
}

impl Sampler {
    pub(super) fn new(target_pid: Option<u32>) -> Result<Sampler, sysinfo::Error> {
        let mut sampler = Sampler {
            system: System::new()?,
            target_system: System::new()?,
            generator_pid: Pid::from_u32(std::process::id()),
            target_pid: target_pid.map(Pid::from_u32),
            workers: WorkerCpu::default(),
        };
        // CPU figures are differences: take the baseline now so that the
        // first sample, one interval later, is already meaningful.
        sampler.refresh_system();
        sampler.refresh_target();
        sampler.workers.sample();
        Ok(sampler)
    }

    pub(super) fn set_target(&mut self, pid: Option<u32>) {
        let pid = pid.map(Pid::from_u32);
        if pid == self.target_pid {
            return;
        }
        self.target_pid = pid;
        if let Ok(fresh) = System::new() {
            self.target_system = fresh;
        }
        // Baseline for the new target (see `new`).
        self.refresh_target();
    }

    fn refresh_system(&mut self) {
        // CPU first: the process refresh below reuses its time base.
        self.system.refresh_cpu_usage();
        self.system
            .refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
        self.system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[self.generator_pid]),
            true,
            process_refresh_kind(),
        );
    }

    fn refresh_target(&mut self) {
        if let Some(pid) = self.target_pid {
            self.target_system.refresh_processes_specifics(
                ProcessesToUpdate::Some(&[pid]),
                true,
                process_refresh_kind(),
            );
        }
    }

    pub(super) fn sample(&mut self) -> ResourceSample {
        self.refresh_system();
        self.refresh_target();
        let at = Instant::now();
        let generator = match self.system.process(self.generator_pid) {
            Some(process) => process_sample(process),
            // Our own pid cannot vanish; /proc being unreadable is the only way here.
            None => ProcessSample {
                pid: self.generator_pid.as_u32(),
                ..ProcessSample::default()
            },
        };
        let (target, target_exited) = match self.target_pid {
            None => (None, None),
            Some(pid) => match self.target_system.process(pid) {
                Some(process) if is_alive(process) => (Some(process_sample(process)), None),
                _ => {
                    self.target_pid = None;
                    (None, Some(pid.as_u32()))
                }
            },
        };
        let cores = self.system.cpus();
        let system = SystemSample {
            cpu_percent: self.system.global_cpu_usage() * cores.len() as f32,
            per_core: cores.iter().map(|cpu| cpu.usage()).collect(),
            mem_used: self.system.used_memory(),
            mem_total: self.system.total_memory(),
        };
        ResourceSample {
            at,
            generator,
            worker_cpu_max: self.workers.sample(),
            target,
            target_exited,
            system,
        }
    }
}

/// A zombie has exited; only its parent has not collected the status yet.
fn is_alive(process: &Process) -> bool {
    !matches!(
        process.status(),
        ProcessStatus::Zombie | ProcessStatus::Dead
    )
}

fn process_sample(process: &Process) -> ProcessSample {
    let pid = process.pid().as_u32();
    ProcessSample {
        pid,
        cpu_percent: process.cpu_usage(),
        rss_bytes: process.memory(),
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
