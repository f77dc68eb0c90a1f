//! Figures sysinfo does not give cheaply, read straight from Linux `/proc`:
//! thread and socket counts of a pid, and the CPU use of each generator
//! worker thread. Anything unreadable (another user's process, a process that
//! just exited, a system without `/proc`) is `None`, never an error.

use std::collections::HashMap;
use std::fs;
use std::time::Instant;

/// Generator worker threads are named `loadtop-worker-N`. The kernel keeps
/// only 15 bytes of a thread name, so match on the prefix.
pub const WORKER_THREAD_PREFIX: &str = "loadtop-worker";

/// `utime` and `stime` in `/proc/*/stat` count in USER_HZ ticks. USER_HZ is
/// 100 on every mainstream Linux architecture and reading the real value
/// (`sysconf(_SC_CLK_TCK)`) would need unsafe FFI, which the crate forbids.
pub const CLOCK_TICKS_PER_SEC: f64 = 100.0;

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

/// `utime + stime` from the text of a `/proc/*/stat` file. The thread name
/// (field 2) may hold spaces and parentheses, so fields are counted from the
/// last `)`.
pub(crate) fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // Fields after the name start at field 3 (state); utime is 14, stime 15.
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// CPU of this process's worker threads between consecutive calls.
#[derive(Debug, Default)]
pub(crate) struct WorkerCpu {
    ticks_by_tid: HashMap<u32, u64>,
    last_at: Option<Instant>,
}

impl WorkerCpu {
    /// The busiest worker since the previous call, in percent of one core.
    /// `None` on the first call, or when no worker was seen twice.
    pub(crate) fn sample(&mut self) -> Option<f32> {
        let now = Instant::now();
        let elapsed = self
            .last_at
            .map(|last| now.duration_since(last).as_secs_f64());
        let tasks = fs::read_dir("/proc/self/task").ok()?;
        let mut ticks_by_tid = HashMap::with_capacity(self.ticks_by_tid.len());
        let mut busiest: Option<f64> = None;
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
            let Some(ticks) = fs::read_to_string(path.join("stat"))
                .ok()
                .and_then(|stat| parse_stat_ticks(&stat))
            else {
                continue;
            };
            if let (Some(previous), Some(secs)) = (self.ticks_by_tid.get(&tid), elapsed)
                && secs > 0.0
            {
                let used = ticks.saturating_sub(*previous) as f64 / CLOCK_TICKS_PER_SEC;
                let percent = used / secs * 100.0;
                busiest = Some(busiest.map_or(percent, |b| b.max(percent)));
            }
            ticks_by_tid.insert(tid, ticks);
        }
        self.ticks_by_tid = ticks_by_tid;
        self.last_at = Some(now);
        busiest.map(|p| p as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn stat_ticks_survive_names_with_spaces_and_parentheses() {
        let stat = "1234 (evil ) (name) R 1 1 1 0 -1 4194304 100 0 0 0 70 30 0 0 20 0 1 0";
        assert_eq!(parse_stat_ticks(stat), Some(100));
        assert_eq!(parse_stat_ticks("garbage"), None);
        assert_eq!(parse_stat_ticks("1 (x) R 1 2"), None);
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
        let mut best = None::<f32>;
        let deadline = Instant::now() + Duration::from_secs(8);
        cpu.sample();
        while Instant::now() < deadline && best.is_none_or(|b| b < 20.0) {
            std::thread::sleep(Duration::from_millis(300));
            if let Some(p) = cpu.sample() {
                best = Some(best.map_or(p, |b| b.max(p)));
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        spinner.join().unwrap();
        let best = best.expect("the spinning worker thread was seen twice");
        // Low bar: a starved shared machine may give the spinner little CPU.
        assert!(best >= 5.0, "busiest worker at {best}%");
    }
}
