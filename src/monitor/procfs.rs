//! Figures read straight from Linux `/proc`: thread and socket counts of a
//! pid, and the CPU use (and run-queue wait) of each generator worker
//! thread. Anything unreadable (another user's process, a process that just
//! exited, a system without `/proc`) is `None`, never an error.

use std::collections::HashMap;
use std::fs;
use std::time::Instant;

use super::process::{CLOCK_TICKS_PER_SEC, parse_stat};

/// Generator worker threads are named `loadtop-worker-N`. The kernel keeps
/// only 15 bytes of a thread name, so match on the prefix.
pub const WORKER_THREAD_PREFIX: &str = "loadtop-worker";

/// Entries of `/proc/PID/task`: one per thread.
pub(crate) fn count_threads(pid: u32) -> Option<u64> {
    let tasks = fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    Some(tasks.filter(|entry| entry.is_ok()).count() as u64)
}

/// Descriptors of `/proc/PID/fd` whose link reads `socket:[inode]`.
pub(crate) fn count_sockets(pid: u32) -> Option<u64> {
    let fds = fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    let sockets = fds
        .flatten()
        // A descriptor closed between listing and reading is simply not counted.
        .filter_map(|entry| fs::read_link(entry.path()).ok())
        .filter(|target| {
            target
                .as_os_str()
                .as_encoded_bytes()
                .starts_with(b"socket:")
        })
        .count();
    Some(sockets as u64)
}

/// `(time on a CPU, time runnable but waiting for a CPU)` in nanoseconds from
/// a `/proc/*/schedstat` line.
pub(crate) fn parse_schedstat(schedstat: &str) -> Option<(u64, u64)> {
    let mut fields = schedstat.split_whitespace();
    let on_cpu = fields.next()?.parse().ok()?;
    let waiting = fields.next()?.parse().ok()?;
    Some((on_cpu, waiting))
}

/// A thread's cumulative counters in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct ThreadTimes {
    on_cpu: u64,
    waiting: u64,
}

/// One thread's times: schedstat where the kernel keeps it (nanoseconds,
/// and the run-queue wait), else the stat ticks with no wait.
fn thread_times(task: &std::path::Path) -> Option<ThreadTimes> {
    if let Some((on_cpu, waiting)) = fs::read_to_string(task.join("schedstat"))
        .ok()
        .and_then(|s| parse_schedstat(&s))
    {
        return Some(ThreadTimes { on_cpu, waiting });
    }
    let (_, ticks) = parse_stat(&fs::read_to_string(task.join("stat")).ok()?)?;
    Some(ThreadTimes {
        on_cpu: (ticks as f64 / CLOCK_TICKS_PER_SEC * 1e9) as u64,
        waiting: 0,
    })
}

/// The busiest worker thread between two samples, in percent of one core.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct WorkerLoad {
    /// The highest CPU use of any worker.
    pub cpu_max: f32,
    /// The highest share of time any worker wanted a CPU: on one plus
    /// waiting in the run queue. Near 100 the thread never idles, so it is
    /// the limit even when other processes leave it less than a core.
    pub busy_max: f32,
}

/// CPU of this process's worker threads between consecutive calls.
#[derive(Debug, Default)]
pub(crate) struct WorkerCpu {
    times_by_tid: HashMap<u32, ThreadTimes>,
    last_at: Option<Instant>,
}

impl WorkerCpu {
    /// The busiest workers since the previous call. `None` on the first
    /// call, or when no worker was seen twice.
    pub(crate) fn sample(&mut self) -> Option<WorkerLoad> {
        let now = Instant::now();
        let elapsed = self
            .last_at
            .map(|last| now.duration_since(last).as_secs_f64());
        let tasks = fs::read_dir("/proc/self/task").ok()?;
        let mut times_by_tid = HashMap::with_capacity(self.times_by_tid.len());
        let mut busiest: Option<WorkerLoad> = None;
        for entry in tasks.flatten() {
            let Some(tid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let path = entry.path();
            let is_worker = fs::read_to_string(path.join("comm"))
                .is_ok_and(|comm| comm.starts_with(WORKER_THREAD_PREFIX));
            if !is_worker {
                continue;
            }
            let Some(times) = thread_times(&path) else {
                continue;
            };
            if let (Some(previous), Some(secs)) = (self.times_by_tid.get(&tid), elapsed)
                && secs > 0.0
            {
                let share = |now: u64, before: u64| {
                    (now.saturating_sub(before) as f64 / 1e9 / secs * 100.0) as f32
                };
                let cpu = share(times.on_cpu, previous.on_cpu).min(100.0);
                let busy = (cpu + share(times.waiting, previous.waiting)).min(100.0);
                let load = busiest.get_or_insert_default();
                load.cpu_max = load.cpu_max.max(cpu);
                load.busy_max = load.busy_max.max(busy);
            }
            times_by_tid.insert(tid, times);
        }
        self.times_by_tid = times_by_tid;
        self.last_at = Some(now);
        busiest
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn schedstat_gives_cpu_and_wait() {
        assert_eq!(
            parse_schedstat("86242349 199706652 140\n"),
            Some((86_242_349, 199_706_652))
        );
        assert_eq!(parse_schedstat("12"), None);
    }

    #[test]
    fn own_process_has_threads_and_missing_pid_is_none() {
        assert!(count_threads(std::process::id()).unwrap() >= 1);
        assert!(count_sockets(std::process::id()).is_some());
        // Above the kernel's pid_max limit (2^22), so never a live process.
        assert_eq!(count_threads(u32::MAX - 1), None);
        assert_eq!(count_sockets(u32::MAX - 1), None);
    }

    #[test]
    fn busy_worker_thread_is_measured() {
        let mut cpu = WorkerCpu::default();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let spinner_stop = stop.clone();
        let spinner = std::thread::Builder::new()
            .name("loadtop-worker-test".into())
            .spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(10);
                while !spinner_stop.load(std::sync::atomic::Ordering::Relaxed)
                    && Instant::now() < deadline
                {
                    std::hint::spin_loop();
                }
            })
            .unwrap();
        let mut best = None::<WorkerLoad>;
        let deadline = Instant::now() + Duration::from_secs(8);
        cpu.sample();
        while Instant::now() < deadline && best.is_none_or(|b| b.busy_max < 80.0) {
            std::thread::sleep(Duration::from_millis(300));
            if let Some(load) = cpu.sample() {
                best = Some(best.map_or(load, |b| WorkerLoad {
                    cpu_max: b.cpu_max.max(load.cpu_max),
                    busy_max: b.busy_max.max(load.busy_max),
                }));
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        spinner.join().unwrap();
        let best = best.expect("the spinning worker thread was seen twice");
        // Low bar for CPU: a starved shared machine may give the spinner
        // little of it; but a spinner never sleeps, so it wants a CPU all
        // the time, on one or waiting for one.
        assert!(best.cpu_max >= 5.0, "busiest worker at {best:?}");
        assert!(best.busy_max >= 80.0, "busiest worker at {best:?}");
        assert!(best.busy_max >= best.cpu_max, "{best:?}");
    }
}
