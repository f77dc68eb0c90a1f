//! What a process is waiting on, beyond its CPU and memory: how its threads
//! share the CPU (the busiest thread, and how many are near a full core),
//! how often they give the CPU up or have it taken (voluntary and
//! involuntary context switches), how long it waits on block I/O, and how
//! many bytes it reads and writes. These tell a saturated event loop from a
//! saturated process, and a process blocked on disk from an idle one.
//!
//! Every figure is a difference between two reads divided by the real time
//! between them, as the process CPU is (`process.rs`). Anything unreadable
//! (another user's `/proc/PID/io`, a thread that just exited, a kernel
//! without delay accounting) is left out, never an error.

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::time::Instant;

use super::process::CLOCK_TICKS_PER_SEC;

/// A thread at or above this share of one core counts as near a full core:
/// a thread that never sleeps reads 95–100 % on a quiet machine, and tick
/// rounding over a one-second interval can take a point or two off that.
pub const NEAR_FULL_CORE_PERCENT: f32 = 90.0;

/// One read of a process's counters, all threads.
#[derive(Clone, Debug, Default, PartialEq)]
struct Counters {
    /// `utime + stime` per thread id, in clock ticks.
    thread_ticks: HashMap<u32, u64>,
    /// Run-queue wait per thread id (schedstat), in nanoseconds.
    thread_wait_ns: HashMap<u32, u64>,
    voluntary_switches: u64,
    involuntary_switches: u64,
    /// `delayacct_blkio_ticks` (stat field 42), when the kernel counts it.
    blkio_ticks: Option<u64>,
    /// `read_bytes` and `write_bytes` of `/proc/PID/io` (storage, not sockets).
    io_bytes: Option<(u64, u64)>,
}

/// The signals between two reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProcessSignals {
    /// The busiest thread's CPU, in percent of one core.
    pub busiest_thread_cpu: f32,
    /// Threads at or above [`NEAR_FULL_CORE_PERCENT`].
    pub threads_near_full_core: u32,
    /// The highest share of the interval one thread wanted a CPU (on one,
    /// or runnable and waiting), in percent: near 100 a thread never
    /// idles, even on a machine whose other work leaves it less than a
    /// core. Equals the CPU where the kernel keeps no schedstat.
    #[serde(default)]
    pub busiest_thread_busy: f32,
    pub voluntary_switches_per_sec: f64,
    pub involuntary_switches_per_sec: f64,
    /// Share of the interval the process spent waiting on block I/O, in
    /// percent; `None` where the kernel keeps no delay accounting.
    pub io_wait_percent: Option<f32>,
    pub read_bytes_per_sec: Option<f64>,
    pub write_bytes_per_sec: Option<f64>,
}

/// Samples one process's signals; each call compares with the previous one.
#[derive(Debug)]
pub struct SignalSampler {
    pid: u32,
    last: Option<(Instant, Counters)>,
}

impl SignalSampler {
    pub fn new(pid: u32) -> Self {
        SignalSampler { pid, last: None }
    }

    /// The signals since the previous call: `None` on the first call and
    /// once the process is gone.
    pub fn sample(&mut self) -> Option<ProcessSignals> {
        let now = Instant::now();
        let counters = read_counters(self.pid)?;
        let previous = self.last.replace((now, counters.clone()));
        let (then, before) = previous?;
        let secs = now.duration_since(then).as_secs_f64();
        (secs > 0.0).then(|| signals_between(&before, &counters, secs))
    }
}

fn signals_between(before: &Counters, now: &Counters, secs: f64) -> ProcessSignals {
    let percent_of_core = |ticks: u64| (ticks as f64 / CLOCK_TICKS_PER_SEC / secs * 100.0) as f32;
    let mut busiest: f32 = 0.0;
    let mut busiest_busy: f32 = 0.0;
    let mut near_full = 0;
    // Threads seen in both reads only: one born mid-interval has no start.
    for (tid, &ticks) in &now.thread_ticks {
        let Some(&earlier) = before.thread_ticks.get(tid) else {
            continue;
        };
        // One thread cannot use more than a core; ticks are whole 1/100 s
        // steps, so a short interval can read one over.
        let cpu = percent_of_core(ticks.saturating_sub(earlier)).min(100.0);
        busiest = busiest.max(cpu);
        let waited = match (now.thread_wait_ns.get(tid), before.thread_wait_ns.get(tid)) {
            (Some(&now), Some(&then)) => now.saturating_sub(then) as f64 / 1e9 / secs * 100.0,
            _ => 0.0,
        };
        busiest_busy = busiest_busy.max((cpu + waited as f32).min(100.0));
        if cpu >= NEAR_FULL_CORE_PERCENT {
            near_full += 1;
        }
    }
    let per_sec = |now: u64, before: u64| now.saturating_sub(before) as f64 / secs;
    ProcessSignals {
        busiest_thread_cpu: busiest,
        threads_near_full_core: near_full,
        busiest_thread_busy: busiest_busy,
        voluntary_switches_per_sec: per_sec(now.voluntary_switches, before.voluntary_switches),
        involuntary_switches_per_sec: per_sec(
            now.involuntary_switches,
            before.involuntary_switches,
        ),
        io_wait_percent: now
            .blkio_ticks
            .zip(before.blkio_ticks)
            .map(|(now, before)| percent_of_core(now.saturating_sub(before)).min(100.0)),
        read_bytes_per_sec: now
            .io_bytes
            .zip(before.io_bytes)
            .map(|((read, _), (read_before, _))| per_sec(read, read_before)),
        write_bytes_per_sec: now
            .io_bytes
            .zip(before.io_bytes)
            .map(|((_, written), (_, written_before))| per_sec(written, written_before)),
    }
}

fn read_counters(pid: u32) -> Option<Counters> {
    let root = format!("/proc/{pid}");
    let stat = fs::read_to_string(format!("{root}/stat")).ok()?;
    let mut counters = Counters {
        blkio_ticks: stat_field(&stat, 42),
        io_bytes: fs::read_to_string(format!("{root}/io"))
            .ok()
            .and_then(|io| parse_io(&io)),
        ..Counters::default()
    };
    for task in fs::read_dir(format!("{root}/task")).ok()?.flatten() {
        let Some(tid) = task.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        add_task(&mut counters, tid, &task.path());
    }
    Some(counters)
}

/// One thread's ticks and context switches; a thread that exits between
/// listing and reading is simply left out.
fn add_task(counters: &mut Counters, tid: u32, task: &Path) {
    if let Some((_, ticks)) = fs::read_to_string(task.join("stat"))
        .ok()
        .and_then(|stat| super::process::parse_stat(&stat))
    {
        counters.thread_ticks.insert(tid, ticks);
    }
    if let Some((_, waiting)) = fs::read_to_string(task.join("schedstat"))
        .ok()
        .and_then(|s| super::procfs::parse_schedstat(&s))
    {
        counters.thread_wait_ns.insert(tid, waiting);
    }
    if let Ok(status) = fs::read_to_string(task.join("status")) {
        let (voluntary, involuntary) = parse_switches(&status);
        counters.voluntary_switches += voluntary;
        counters.involuntary_switches += involuntary;
    }
}

/// Field `n` (1-based, as in proc(5)) of a stat line, counted after the
/// name, which may hold spaces and parentheses.
fn stat_field(stat: &str, n: usize) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // Field 3 is the first after the name.
    after_name.split_whitespace().nth(n - 3)?.parse().ok()
}

/// `(voluntary, involuntary)` context switches from a status file.
fn parse_switches(status: &str) -> (u64, u64) {
    let value = |key: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    (
        value("voluntary_ctxt_switches:"),
        value("nonvoluntary_ctxt_switches:"),
    )
}

/// `(read_bytes, write_bytes)` from `/proc/PID/io`.
fn parse_io(io: &str) -> Option<(u64, u64)> {
    let value = |key: &str| {
        io.lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|v| v.trim().parse().ok())
    };
    Some((value("read_bytes:")?, value("write_bytes:")?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    #[test]
    fn stat_fields_are_counted_after_a_name_with_spaces_and_parentheses() {
        let mut stat = String::from("42 (a (b) c) S");
        for field in 4..=52 {
            stat.push_str(&format!(" {field}"));
        }
        assert_eq!(stat_field(&stat, 4), Some(4));
        assert_eq!(stat_field(&stat, 42), Some(42));
        assert_eq!(stat_field(&stat, 53), None);
    }

    #[test]
    fn switches_and_io_bytes_parse_and_missing_ones_read_zero_or_none() {
        let status = "Name:\tx\nvoluntary_ctxt_switches:\t150\nnonvoluntary_ctxt_switches:\t7\n";
        assert_eq!(parse_switches(status), (150, 7));
        assert_eq!(parse_switches("Name:\tx\n"), (0, 0));
        let io = "rchar: 1\nwchar: 2\nread_bytes: 4096\nwrite_bytes: 8192\n";
        assert_eq!(parse_io(io), Some((4096, 8192)));
        assert_eq!(parse_io("rchar: 1\n"), None);
    }

    #[test]
    fn the_busiest_thread_and_full_cores_come_from_per_thread_deltas() {
        let counters = |ticks: &[(u32, u64)], switches: (u64, u64), blkio: u64| Counters {
            thread_ticks: ticks.iter().copied().collect(),
            // Thread 1 waits 0.5 s for a CPU in each second.
            thread_wait_ns: [(1, blkio * 25_000_000)].into_iter().collect(),
            voluntary_switches: switches.0,
            involuntary_switches: switches.1,
            blkio_ticks: Some(blkio),
            io_bytes: Some((0, 0)),
        };
        let before = counters(&[(1, 100), (2, 500), (3, 0)], (1_000, 10), 5);
        // Over 2 s: thread 2 ran 196 ticks (98 %), thread 1 40 (20 %),
        // thread 4 is new and left out, thread 3 exited.
        let now = counters(&[(1, 140), (2, 696), (4, 900)], (3_000, 410), 45);
        let signals = signals_between(&before, &now, 2.0);
        assert_eq!(signals.busiest_thread_cpu, 98.0);
        assert_eq!(signals.threads_near_full_core, 1);
        // Thread 1: 20 % on a CPU plus 50 % waiting for one; thread 2 has no schedstat.
        assert_eq!(signals.busiest_thread_busy, 98.0);
        assert_eq!(signals.voluntary_switches_per_sec, 1_000.0);
        assert_eq!(signals.involuntary_switches_per_sec, 200.0);
        assert_eq!(signals.io_wait_percent, Some(20.0));
        assert_eq!(signals.read_bytes_per_sec, Some(0.0));
    }

    #[test]
    fn a_spinning_thread_of_this_process_reads_near_a_full_core() {
        let stop = Arc::new(AtomicBool::new(false));
        let spinner_stop = stop.clone();
        let spinner = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(10);
            while !spinner_stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                std::hint::spin_loop();
            }
        });
        let mut sampler = SignalSampler::new(std::process::id());
        assert_eq!(sampler.sample(), None, "nothing to compare with yet");
        let mut busiest: f32 = 0.0;
        let deadline = Instant::now() + Duration::from_secs(8);
        while Instant::now() < deadline && busiest < 20.0 {
            std::thread::sleep(Duration::from_millis(500));
            let signals = sampler.sample().expect("this process is alive");
            busiest = busiest.max(signals.busiest_thread_cpu);
            assert!(signals.busiest_thread_cpu <= 100.0, "{signals:?}");
        }
        stop.store(true, Ordering::Relaxed);
        spinner.join().unwrap();
        // Low bar: a loaded 2-core machine may give the spinner little CPU.
        assert!(busiest >= 20.0, "busiest thread at {busiest}%");
        assert_eq!(SignalSampler::new(u32::MAX - 1).sample(), None);
    }
}
