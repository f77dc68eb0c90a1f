//! CPU and memory of one whole process (every thread, including threads that
//! already exited), straight from `/proc/PID/stat` and `/proc/PID/status`.
//!
//! CPU is the `utime + stime` difference between two reads divided by the
//! real time between them. sysinfo's per-refresh estimate divides by a time
//! base taken from the system-wide counters instead, and read a
//! multi-threaded process pinned to one core at 109–114 % where the kernel's
//! own counters gave 98.6 %. The result is capped at the cores the process
//! may run on (its affinity mask): the tick counters advance in whole
//! 1/100 s steps, so one short interval can read a tick over the truth, and
//! a process pinned to one core must never read above 100 %.

use std::fs;
use std::time::Instant;

/// One read of a process's counters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ProcessCounters {
    /// `utime + stime` in clock ticks, all threads.
    pub ticks: u64,
    /// Exited, waiting for its parent to collect the status (`Z`), or dead (`X`).
    pub exited: bool,
    pub rss_bytes: u64,
    /// CPUs in the affinity mask (`Cpus_allowed_list`).
    pub allowed_cpus: Option<u32>,
}

/// `utime` and `stime` in `/proc/*/stat` count in USER_HZ ticks. USER_HZ is
/// 100 on every mainstream Linux architecture and reading the real value
/// (`sysconf(_SC_CLK_TCK)`) would need unsafe FFI, which the crate forbids.
pub const CLOCK_TICKS_PER_SEC: f64 = 100.0;

/// State (field 3) and `utime + stime` (fields 14 and 15) of a stat line.
/// The name (field 2) may hold spaces and parentheses, so fields are
/// counted from the last `)`.
pub(crate) fn parse_stat(stat: &str) -> Option<(char, u64)> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    let state = fields.next()?.chars().next()?;
    // Field 3 was the state; utime is field 14.
    let mut times = fields.skip(10);
    let utime: u64 = times.next()?.parse().ok()?;
    let stime: u64 = times.next()?.parse().ok()?;
    Some((state, utime + stime))
}

/// `VmRSS` in bytes and the size of `Cpus_allowed_list` from a status file.
/// A zombie has no `VmRSS` line: its memory is gone, so 0.
pub(crate) fn parse_status(status: &str) -> (u64, Option<u32>) {
    let mut rss = 0;
    let mut allowed = None;
    for line in status.lines() {
        if let Some(value) = line.strip_prefix("VmRSS:") {
            let kib = value.trim().trim_end_matches("kB").trim();
            rss = kib.parse::<u64>().map_or(0, |k| k * 1024);
        } else if let Some(list) = line.strip_prefix("Cpus_allowed_list:") {
            allowed = count_cpu_list(list.trim());
        }
    }
    (rss, allowed)
}

/// `0-3,8,10-11` → 7.
pub(crate) fn count_cpu_list(list: &str) -> Option<u32> {
    let mut count = 0u32;
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        count += match part.split_once('-') {
            Some((low, high)) => {
                let (low, high): (u32, u32) = (low.parse().ok()?, high.parse().ok()?);
                high.checked_sub(low)? + 1
            }
            None => {
                part.parse::<u32>().ok()?;
                1
            }
        };
    }
    (count > 0).then_some(count)
}

/// Reads the counters; `None` when the pid does not exist (or is unreadable).
pub(crate) fn read_counters(pid: u32) -> Option<ProcessCounters> {
    let (state, ticks) = parse_stat(&fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)?;
    let (rss_bytes, allowed_cpus) = fs::read_to_string(format!("/proc/{pid}/status"))
        .map(|status| parse_status(&status))
        .unwrap_or((0, None));
    Some(ProcessCounters {
        ticks,
        exited: matches!(state, 'Z' | 'X' | 'x'),
        rss_bytes,
        allowed_cpus,
    })
}

/// CPU percent (of one core) from two reads `elapsed_secs` apart, capped at
/// the cores the process may use.
pub(crate) fn cpu_percent(
    ticks_before: u64,
    ticks_now: u64,
    elapsed_secs: f64,
    allowed_cpus: Option<u32>,
) -> f32 {
    if elapsed_secs <= 0.0 {
        return 0.0;
    }
    let used = ticks_now.saturating_sub(ticks_before) as f64 / CLOCK_TICKS_PER_SEC;
    let percent = used / elapsed_secs * 100.0;
    let cap = allowed_cpus.map_or(f64::INFINITY, |cpus| f64::from(cpus) * 100.0);
    percent.min(cap) as f32
}

/// One watched process: the previous read, so each sample is a difference.
#[derive(Debug)]
pub(crate) struct ProcessCpu {
    pid: u32,
    last: Option<(u64, Instant)>,
}

/// What one sample of a live process gives.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ProcessReading {
    /// `None` on the first read (no interval yet).
    pub cpu_percent: Option<f32>,
    pub rss_bytes: u64,
    /// Cores in the affinity mask, where `/proc/PID/status` says.
    pub allowed_cpus: Option<u32>,
}

impl ProcessCpu {
    /// Starts watching `pid`, taking the baseline read now.
    pub(crate) fn new(pid: u32) -> ProcessCpu {
        let mut process = ProcessCpu { pid, last: None };
        process.read();
        process
    }

    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// `None` when the process is gone or has exited.
    pub(crate) fn read(&mut self) -> Option<ProcessReading> {
        let counters = read_counters(self.pid)?;
        let now = Instant::now();
        if counters.exited {
            return None;
        }
        let cpu_percent = self.last.map(|(ticks, at)| {
            cpu_percent(
                ticks,
                counters.ticks,
                now.duration_since(at).as_secs_f64(),
                counters.allowed_cpus,
            )
        });
        self.last = Some((counters.ticks, now));
        Some(ProcessReading {
            cpu_percent,
            rss_bytes: counters.rss_bytes,
            allowed_cpus: counters.allowed_cpus,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_gives_state_and_both_times_despite_odd_names() {
        let stat = "1234 (evil ) (name) S 1 1 1 0 -1 4194304 100 0 0 0 70 30 0 0 20 0 7 0";
        assert_eq!(parse_stat(stat), Some(('S', 100)));
        assert_eq!(parse_stat("1 (x) Z 1 2"), None);
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn status_gives_rss_and_allowed_cpus() {
        let status = "Name:\tnode\nVmRSS:\t   2028 kB\nThreads:\t7\nCpus_allowed_list:\t0-1,4\n";
        assert_eq!(parse_status(status), (2028 * 1024, Some(3)));
        assert_eq!(
            parse_status("Name:\tzombie\nCpus_allowed_list:\t3\n"),
            (0, Some(1))
        );
        assert_eq!(count_cpu_list("0-3,8,10-11"), Some(7));
        assert_eq!(count_cpu_list(""), None);
        assert_eq!(count_cpu_list("3-1"), None);
    }

    #[test]
    fn cpu_is_ticks_over_real_time_capped_at_the_allowed_cores() {
        // 99 ticks in 1 s: 99 % of one core.
        assert!((cpu_percent(1_000, 1_099, 1.0, Some(2)) - 99.0).abs() < 1e-3);
        // 250 ticks in 2 s on any number of cores: 125 %.
        assert!((cpu_percent(0, 250, 2.0, None) - 125.0).abs() < 1e-3);
        // A tick over the truth on a process pinned to one core.
        assert_eq!(cpu_percent(0, 101, 1.0, Some(1)), 100.0);
        assert_eq!(cpu_percent(5, 3, 1.0, None), 0.0);
        assert_eq!(cpu_percent(0, 100, 0.0, None), 0.0);
    }

    #[test]
    fn own_process_reads_and_a_missing_pid_does_not() {
        let mut own = ProcessCpu::new(std::process::id());
        let reading = own.read().expect("own process is readable");
        assert!(reading.cpu_percent.is_some());
        assert!(reading.rss_bytes > 0);
        // Above the kernel's pid_max limit (2^22), so never a live process.
        assert_eq!(ProcessCpu::new(u32::MAX - 1).read(), None);
    }
}
