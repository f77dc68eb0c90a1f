//! The database as a third monitored component: a PostgreSQL postmaster and
//! every process it started (backends, checkpointer, walwriter, autovacuum,
//! parallel workers), found afresh at each sample from the postmaster's
//! children, since backends come and go with connections.
//!
//! - **CPU** is `utime + stime` summed over all of them, as a difference
//!   between two reads over the real time between them (100 = one core). A
//!   process seen in both reads adds its difference; one born since the
//!   last read adds everything it used (it started within the interval); one
//!   that exited has been reaped by the postmaster, whose `cutime + cstime`
//!   grew by its whole life, so the part not already counted is added too.
//! - **Memory** is the sum of PSS (`Pss` of `/proc/PID/smaps_rollup`): each
//!   page shared by n processes counts 1/n to each, so `shared_buffers`,
//!   mapped by every backend, counts once in the total rather than once per
//!   backend as RSS would. Where `smaps_rollup` is unreadable, `VmRSS`.
//! - **I/O wait** is `delayacct_blkio_ticks` (stat field 42) summed, in
//!   percent of the interval (100 = one process blocked all the time).
//!   Kernels since 5.14 count it only with `kernel.task_delayacct = 1`;
//!   with the switch off it is `None`, not a false zero.
//! - **Storage bytes** read and written per second, from `/proc/PID/io`.

use std::collections::HashMap;
use std::fs;
use std::time::Instant;

use super::process::{CLOCK_TICKS_PER_SEC, parse_stat};

/// The database processes between two reads.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DatabaseSample {
    /// The postmaster.
    pub pid: u32,
    /// The postmaster and its children at this read.
    pub processes: u32,
    /// All of them together, in percent of one core.
    pub cpu_percent: f32,
    /// Proportional set size summed (shared pages counted once overall).
    pub pss_bytes: u64,
    /// Time blocked on storage, summed, in percent of the interval.
    pub io_wait_percent: Option<f32>,
    pub read_bytes_per_sec: Option<f64>,
    pub write_bytes_per_sec: Option<f64>,
}

/// One process's counters at one read.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct ProcessRead {
    /// `utime + stime`.
    ticks: u64,
    blkio_ticks: u64,
    /// `read_bytes`, `write_bytes`.
    io: Option<(u64, u64)>,
    memory_bytes: u64,
}

/// The whole tree at one read.
#[derive(Clone, Debug, Default, PartialEq)]
struct TreeRead {
    /// The postmaster's `cutime + cstime`: every reaped child's whole life.
    reaped_ticks: u64,
    processes: HashMap<u32, ProcessRead>,
}

/// Samples one postmaster's tree; each call compares with the previous one.
#[derive(Debug)]
pub(crate) struct DatabaseSampler {
    postmaster: u32,
    delay_accounting: bool,
    last: Option<(Instant, TreeRead)>,
}

impl DatabaseSampler {
    /// Takes the baseline read now, so the first sample is a difference.
    pub(crate) fn new(postmaster: u32) -> DatabaseSampler {
        let mut sampler = DatabaseSampler {
            postmaster,
            delay_accounting: delay_accounting_on(),
            last: None,
        };
        sampler.last = read_tree(postmaster).map(|tree| (Instant::now(), tree));
        sampler
    }

    pub(crate) fn pid(&self) -> u32 {
        self.postmaster
    }

    /// `None` while there is no earlier read to compare with, and once the
    /// postmaster is gone.
    pub(crate) fn sample(&mut self) -> Option<DatabaseSample> {
        let tree = read_tree(self.postmaster)?;
        let now = Instant::now();
        let previous = self.last.replace((now, tree));
        let (then, before) = previous?;
        let secs = now.duration_since(then).as_secs_f64();
        let (_, tree) = self.last.as_ref()?;
        (secs > 0.0).then(|| {
            let mut sample = between(&before, tree, secs, self.delay_accounting);
            sample.pid = self.postmaster;
            sample
        })
    }
}

/// The figures between two reads `secs` apart (pure, for tests).
fn between(before: &TreeRead, now: &TreeRead, secs: f64, delay_accounting: bool) -> DatabaseSample {
    let mut cpu_ticks = 0u64;
    let mut blkio_ticks = 0u64;
    let mut read_bytes = 0u64;
    let mut written_bytes = 0u64;
    let mut io_known = true;
    for (pid, process) in &now.processes {
        let earlier = before.processes.get(pid).copied().unwrap_or_default();
        cpu_ticks += process.ticks.saturating_sub(earlier.ticks);
        blkio_ticks += process.blkio_ticks.saturating_sub(earlier.blkio_ticks);
        match (process.io, before.processes.get(pid).map(|p| p.io)) {
            (Some((read, written)), Some(Some((read_before, written_before)))) => {
                read_bytes += read.saturating_sub(read_before);
                written_bytes += written.saturating_sub(written_before);
            }
            (Some((read, written)), None) => {
                read_bytes += read;
                written_bytes += written;
            }
            _ => io_known = false,
        }
    }
    let counted_before_exit: u64 = before
        .processes
        .iter()
        .filter(|(pid, _)| !now.processes.contains_key(pid))
        .map(|(_, process)| process.ticks)
        .sum();
    cpu_ticks += now
        .reaped_ticks
        .saturating_sub(before.reaped_ticks)
        .saturating_sub(counted_before_exit);
    let percent = |ticks: u64| (ticks as f64 / CLOCK_TICKS_PER_SEC / secs * 100.0) as f32;
    let per_sec = |bytes: u64| bytes as f64 / secs;
    DatabaseSample {
        pid: 0,
        processes: u32::try_from(now.processes.len()).unwrap_or(u32::MAX),
        cpu_percent: percent(cpu_ticks),
        pss_bytes: now.processes.values().map(|p| p.memory_bytes).sum(),
        io_wait_percent: delay_accounting.then(|| percent(blkio_ticks)),
        read_bytes_per_sec: io_known.then(|| per_sec(read_bytes)),
        write_bytes_per_sec: io_known.then(|| per_sec(written_bytes)),
    }
}

/// Off only when the kernel says so (`kernel.task_delayacct = 0`); older
/// kernels without the switch count whenever they were built to.
fn delay_accounting_on() -> bool {
    fs::read_to_string("/proc/sys/kernel/task_delayacct").map_or(true, |v| v.trim() != "0")
}

fn read_tree(postmaster: u32) -> Option<TreeRead> {
    let stat = fs::read_to_string(format!("/proc/{postmaster}/stat")).ok()?;
    let (state, _) = parse_stat(&stat)?;
    if matches!(state, 'Z' | 'X' | 'x') {
        return None;
    }
    let reaped_ticks = stat_field(&stat, 16)? + stat_field(&stat, 17)?;
    let mut processes = HashMap::new();
    processes.insert(postmaster, read_process(postmaster, &stat));
    for child in children(postmaster) {
        // A child that exits between the listing and the read is left out.
        if let Ok(stat) = fs::read_to_string(format!("/proc/{child}/stat")) {
            processes.insert(child, read_process(child, &stat));
        }
    }
    Some(TreeRead {
        reaped_ticks,
        processes,
    })
}

fn read_process(pid: u32, stat: &str) -> ProcessRead {
    ProcessRead {
        ticks: parse_stat(stat).map_or(0, |(_, ticks)| ticks),
        blkio_ticks: stat_field(stat, 42).unwrap_or(0),
        io: fs::read_to_string(format!("/proc/{pid}/io"))
            .ok()
            .and_then(|io| parse_io(&io)),
        memory_bytes: fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
            .ok()
            .and_then(|rollup| kib_line(&rollup, "Pss:"))
            .or_else(|| {
                fs::read_to_string(format!("/proc/{pid}/status"))
                    .ok()
                    .and_then(|status| kib_line(&status, "VmRSS:"))
            })
            .unwrap_or(0),
    }
}

/// The postmaster's children, from `/proc/PID/task/*/children` (a kernel
/// built with `CONFIG_PROC_CHILDREN`), else by scanning every process's
/// parent.
fn children(parent: u32) -> Vec<u32> {
    if let Ok(tasks) = fs::read_dir(format!("/proc/{parent}/task")) {
        let mut found = Vec::new();
        let mut readable = false;
        for task in tasks.flatten() {
            if let Ok(list) = fs::read_to_string(task.path().join("children")) {
                readable = true;
                found.extend(
                    list.split_whitespace()
                        .filter_map(|p| p.parse::<u32>().ok()),
                );
            }
        }
        if readable {
            return found;
        }
    }
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| stat_field(&stat, 4))
                == Some(u64::from(parent))
        })
        .collect()
}

/// Field `n` (1-based, as in proc(5)) of a stat line, counted after the
/// name, which may hold spaces and parentheses.
fn stat_field(stat: &str, n: usize) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(n - 3)?.parse().ok()
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

/// A `Key:   1234 kB` line in bytes.
fn kib_line(text: &str, key: &str) -> Option<u64> {
    let value = text.lines().find_map(|line| line.strip_prefix(key))?;
    let kib: u64 = value.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(ticks: u64, blkio_ticks: u64, io: (u64, u64), memory_bytes: u64) -> ProcessRead {
        ProcessRead {
            ticks,
            blkio_ticks,
            io: Some(io),
            memory_bytes,
        }
    }

    #[test]
    fn cpu_sums_survivors_newcomers_and_the_unseen_part_of_reaped_children() {
        let before = TreeRead {
            reaped_ticks: 1_000,
            processes: HashMap::from([
                (10, process(500, 0, (0, 0), 8 << 20)),
                (11, process(100, 4, (4096, 0), 2 << 20)),
                // Exits during the interval after using 30 more ticks.
                (12, process(70, 0, (0, 0), 2 << 20)),
            ]),
        };
        let now = TreeRead {
            // 12's whole life (100) plus a backend born and gone (20).
            reaped_ticks: 1_120,
            processes: HashMap::from([
                (10, process(510, 0, (0, 8192), 8 << 20)),
                (11, process(140, 24, (12_288, 0), 3 << 20)),
                // Born during the interval: all of it counts.
                (13, process(50, 0, (0, 0), 1 << 20)),
            ]),
        };
        let sample = between(&before, &now, 2.0, true);
        // 10 + 40 + 50 + (120 - 70) = 150 ticks in 2 s: 75 % of a core.
        assert!((sample.cpu_percent - 75.0).abs() < 1e-3, "{sample:?}");
        assert_eq!(sample.processes, 3);
        assert_eq!(sample.pss_bytes, 12 << 20);
        // 20 ticks blocked in 2 s.
        assert_eq!(sample.io_wait_percent, Some(10.0));
        assert_eq!(sample.read_bytes_per_sec, Some(4096.0));
        assert_eq!(sample.write_bytes_per_sec, Some(4096.0));
        assert_eq!(between(&before, &now, 2.0, false).io_wait_percent, None);
    }

    #[test]
    fn unreadable_io_is_unknown_and_counters_never_go_negative() {
        let before = TreeRead {
            reaped_ticks: 50,
            processes: HashMap::from([(10, process(500, 9, (10, 10), 0))]),
        };
        let mut now = before.clone();
        now.processes.get_mut(&10).unwrap().io = None;
        now.processes.get_mut(&10).unwrap().ticks = 400;
        let sample = between(&before, &now, 1.0, true);
        assert_eq!(sample.cpu_percent, 0.0);
        assert_eq!(sample.read_bytes_per_sec, None);
    }

    #[test]
    fn stat_io_and_memory_lines_parse() {
        let mut stat = String::from("42 (post (gres)) S");
        for field in 4..=52 {
            stat.push_str(&format!(" {field}"));
        }
        assert_eq!(stat_field(&stat, 4), Some(4));
        assert_eq!(stat_field(&stat, 16), Some(16));
        assert_eq!(stat_field(&stat, 42), Some(42));
        assert_eq!(
            parse_io("rchar: 1\nread_bytes: 4096\nwrite_bytes: 8192\n"),
            Some((4096, 8192))
        );
        let rollup =
            "55642d9ef000-7ffdb4c68000 ---p 0 00:00 0 [rollup]\nRss:  1608 kB\nPss:   249 kB\n";
        assert_eq!(kib_line(rollup, "Pss:"), Some(249 * 1024));
        assert_eq!(kib_line(rollup, "Swap:"), None);
    }

    #[test]
    fn this_process_and_its_child_are_one_tree() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .expect("sleep runs");
        let tree = read_tree(std::process::id()).expect("this process is readable");
        assert!(tree.processes.contains_key(&child.id()), "{tree:?}");
        assert!(tree.processes[&std::process::id()].memory_bytes > 0);
        let _ = child.kill();
        let _ = child.wait();
        let mut sampler = DatabaseSampler::new(std::process::id());
        std::thread::sleep(std::time::Duration::from_millis(100));
        let sample = sampler.sample().expect("a second read compares");
        assert_eq!(sample.pid, std::process::id());
        assert!(sample.pss_bytes > 0);
        assert_eq!(DatabaseSampler::new(u32::MAX - 1).sample(), None);
    }
}
