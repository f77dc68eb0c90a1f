//! Integration tests: the resource monitor against real child processes.
//! Every child is killed by a guard on drop; every wait is bounded.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use loadtop::monitor::{MINIMUM_INTERVAL, Monitor, MonitorConfig, ResourceSample};

/// Kills (and reaps) the child when the test ends, however it ends.
struct ChildGuard(Child);

impl ChildGuard {
    fn spawn(script: &str) -> ChildGuard {
        let child = Command::new("sh")
            .args(["-c", script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn sh");
        ChildGuard(child)
    }

    fn busy() -> ChildGuard {
        // Builtins only, so the pid itself burns the CPU; the count bounds it
        // (about a minute) in case the guard never runs.
        ChildGuard::spawn("i=0; while [ $i -lt 80000000 ]; do i=$((i+1)); done")
    }

    fn idle() -> ChildGuard {
        ChildGuard::spawn("exec sleep 30")
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn monitor(target_pid: Option<u32>) -> Monitor {
    Monitor::spawn(MonitorConfig {
        interval: Duration::from_millis(250),
        target_pid,
        target_port: None,
    })
    .expect("monitor starts")
}

/// The next sample, or a test failure after a generous bound.
fn next(monitor: &Monitor) -> ResourceSample {
    monitor
        .samples()
        .recv_timeout(Duration::from_secs(10))
        .expect("a sample within 10 s")
}

/// Samples until `done` holds (returns the matching sample) or `limit` samples.
fn sample_until(
    monitor: &Monitor,
    limit: usize,
    mut done: impl FnMut(&ResourceSample) -> bool,
) -> Option<ResourceSample> {
    (0..limit).map(|_| next(monitor)).find(|s| done(s))
}

/// utime + stime of `pid` in clock ticks, i.e. hundredths of a CPU second.
fn cpu_ticks(pid: u32) -> u64 {
    cpu_ticks_of(&format!("/proc/{pid}/stat"))
}

fn cpu_ticks_of(stat_path: &str) -> u64 {
    let stat = std::fs::read_to_string(stat_path).unwrap();
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 1..]
        .split_whitespace()
        .collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn busy_target_reads_high_cpu_and_idle_target_low() {
    let busy = ChildGuard::busy();
    let idle = ChildGuard::idle();
    let busy_monitor = monitor(Some(busy.pid()));
    let idle_monitor = monitor(Some(idle.pid()));

    // On a quiet machine the loop gets a whole core: any sample over 50% will do.
    // On a saturated one (tests run in parallel on 2 shared cores) it may
    // get less, so then check the readings against the kernel's own tick count.
    let first = next(&busy_monitor);
    let (ticks_start, start) = (cpu_ticks(busy.pid()), first.at);
    let mut readings = Vec::new();
    let mut target = first.target.expect("busy target is alive");
    for _ in 0..24 {
        target = next(&busy_monitor).target.expect("busy target is alive");
        readings.push(target.cpu_percent);
        if target.cpu_percent > 50.0 {
            break;
        }
    }
    if target.cpu_percent <= 50.0 {
        let secs = Instant::now().duration_since(start).as_secs_f64();
        let truth = (cpu_ticks(busy.pid()) - ticks_start) as f64 / secs;
        let mean = readings.iter().map(|&c| f64::from(c)).sum::<f64>() / readings.len() as f64;
        assert!(
            truth < 60.0,
            "kernel saw {truth:.0}% but no reading over 50: {readings:?}"
        );
        assert!(
            (mean - truth).abs() < 20.0,
            "mean {mean:.0}% vs kernel {truth:.0}%"
        );
        assert!(mean > 5.0, "busy loop at {mean:.0}%: {readings:?}");
    }
    assert_eq!(target.pid, busy.pid());
    assert!(target.rss_bytes > 0);
    assert!(target.threads.unwrap() >= 1);

    let idle_samples: Vec<_> = (0..4).map(|_| next(&idle_monitor)).collect();
    for sample in &idle_samples {
        let target = sample.target.as_ref().expect("sleeping target is alive");
        assert_eq!(target.pid, idle.pid());
        assert!(
            target.cpu_percent < 20.0,
            "sleep at {}%",
            target.cpu_percent
        );
        assert!(target.rss_bytes > 0);
        assert_eq!(target.threads, Some(1));
        assert_eq!(sample.target_exited, None);
    }

    let last = idle_samples.last().unwrap();
    assert_eq!(last.generator.pid, std::process::id());
    assert!(last.generator.rss_bytes > 0);
    assert!(
        last.generator.threads.unwrap() >= 2,
        "test thread + monitor"
    );
    assert!(!last.system.per_core.is_empty());
    assert!(last.system.mem_total > 0 && last.system.mem_used <= last.system.mem_total);
    assert!(last.system.cpu_percent >= 0.0);
    assert!(last.system.cpu_percent <= 100.0 * last.system.per_core.len() as f32 + 1.0);
}

#[test]
fn generator_socket_count_rises_with_open_connections() {
    let monitor = monitor(None);
    // Other tests in this binary open and close sockets concurrently, so
    // retry a few rounds and require one clean rise of our 41 sockets.
    let mut rises = Vec::new();
    for _ in 0..4 {
        let before = next(&monitor).generator.sockets.expect("own fds readable");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let clients: Vec<TcpStream> = (0..20).map(|_| TcpStream::connect(addr).unwrap()).collect();
        let accepted: Vec<TcpStream> = (0..20).map(|_| listener.accept().unwrap().0).collect();
        // Skip a sample that may have been taken before the sockets existed.
        let _ = next(&monitor);
        let during = next(&monitor).generator.sockets.unwrap();
        drop((clients, accepted, listener));
        rises.push(during as i64 - before as i64);
        if during >= before + 40 {
            return;
        }
    }
    panic!("socket count never rose by 40: rises {rises:?}");
}

#[test]
fn killed_target_is_reported_once_then_absent() {
    let mut child = ChildGuard::idle();
    let pid = child.pid();
    let monitor = monitor(Some(pid));
    sample_until(&monitor, 20, |s| s.target.is_some()).expect("target seen alive");

    // Not reaped: the child stays a zombie, which must count as exited.
    child.0.kill().unwrap();
    let mut exits = 0;
    let mut after_exit = 0;
    for _ in 0..40 {
        let sample = next(&monitor);
        if exits > 0 {
            assert!(sample.target.is_none(), "target after its exit");
            after_exit += 1;
        }
        if let Some(exited) = sample.target_exited {
            assert_eq!(exited, pid);
            assert!(sample.target.is_none());
            exits += 1;
        }
        if after_exit >= 3 {
            break;
        }
    }
    assert_eq!(exits, 1);
    assert_eq!(after_exit, 3);
}

#[test]
fn set_target_pid_switches_clears_and_reports_a_dead_pid() {
    let first = ChildGuard::idle();
    let second = ChildGuard::idle();
    let monitor = monitor(Some(first.pid()));
    sample_until(&monitor, 20, |s| {
        s.target.as_ref().is_some_and(|t| t.pid == first.pid())
    })
    .expect("first target seen");

    monitor.set_target_pid(Some(second.pid()));
    sample_until(&monitor, 20, |s| {
        s.target.as_ref().is_some_and(|t| t.pid == second.pid())
    })
    .expect("second target seen");

    monitor.set_target_pid(None);
    let cleared = sample_until(&monitor, 20, |s| s.target.is_none()).expect("target cleared");
    assert_eq!(cleared.target_exited, None, "clearing is not an exit");

    // A pid that is gone (killed and reaped) yields one exit event.
    let mut gone = ChildGuard::idle();
    let gone_pid = gone.pid();
    gone.0.kill().unwrap();
    gone.0.wait().unwrap();
    monitor.set_target_pid(Some(gone_pid));
    let exited = sample_until(&monitor, 20, |s| s.target_exited.is_some()).expect("exit event");
    assert_eq!(exited.target_exited, Some(gone_pid));
    assert!(next(&monitor).target.is_none());
}

#[test]
fn interval_is_clamped_and_samples_are_spaced() {
    let monitor = Monitor::spawn(MonitorConfig {
        interval: Duration::from_millis(1),
        target_pid: None,
        target_port: None,
    })
    .unwrap();
    assert_eq!(monitor.interval(), MINIMUM_INTERVAL);
    let samples: Vec<_> = (0..4).map(|_| next(&monitor)).collect();
    for pair in samples.windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        // A lower bound only: the sampler may be late, never early by much.
        assert!(gap >= MINIMUM_INTERVAL.mul_f32(0.8), "gap {gap:?}");
    }
}

#[test]
fn drop_stops_the_sampler_without_waiting_an_interval() {
    let monitor = Monitor::spawn(MonitorConfig {
        interval: Duration::from_secs(30),
        target_pid: None,
        target_port: None,
    })
    .unwrap();
    let started = Instant::now();
    drop(monitor);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn busy_worker_thread_shows_in_worker_cpu_max() {
    let monitor = monitor(None);
    let spinner = std::thread::Builder::new()
        .name("loadtop-worker-it".into())
        .spawn(|| {
            // Returns the share of a core this thread really got, per the kernel.
            let own_ticks = || cpu_ticks_of("/proc/thread-self/stat");
            let (start, ticks_start) = (Instant::now(), own_ticks());
            while start.elapsed() < Duration::from_secs(4) {
                std::hint::spin_loop();
            }
            (own_ticks() - ticks_start) as f64 / start.elapsed().as_secs_f64()
        })
        .unwrap();
    let (mut best, mut busiest) = (0.0f32, 0.0f32);
    for _ in 0..14 {
        let sample = next(&monitor);
        best = best.max(sample.worker_cpu_max.unwrap_or(0.0));
        busiest = busiest.max(sample.worker_busy_max.unwrap_or(0.0));
        if (best > 20.0 && busiest >= 80.0) || spinner.is_finished() {
            break;
        }
    }
    let truth = spinner.join().unwrap();
    // A starved machine may give the spinner little CPU; then the reading
    // only has to be clearly non-zero.
    assert!(
        best > 20.0 || (truth < 40.0 && best > 2.0),
        "busiest worker read {best}% while the kernel saw {truth:.0}%"
    );
    // A spinner never sleeps: on a CPU or waiting for one, it is busy all the
    // time however little CPU a shared machine gives it.
    assert!(busiest >= 80.0, "spinner busy {busiest}% ({best}% CPU)");
}

/// `loadtop serve --threads 4` pinned to CPU 0 with `taskset`: a
/// multi-threaded process that can use one core at most.
fn pinned_server() -> (crate::support::Spawned, String) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new("taskset")
        .args(["-c", "0"])
        .arg(crate::support::loadtop_bin())
        .args(["serve", "--bind", "127.0.0.1:0", "--threads", "4"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("taskset runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("listening="))
        .unwrap_or_else(|| panic!("no ready line: {line:?}"))
        .to_string();
    (crate::support::Spawned(child), url)
}

#[test]
fn pinned_multi_threaded_target_reads_what_proc_reads_and_never_over_one_core() {
    let (server, url) = pinned_server();
    let pid = server.0.id();
    // Closed-model load on the CPU-bound route from the other core, bounded
    // in time; killed with the guard if the test ends first.
    let _load = crate::support::Spawned(
        Command::new("taskset")
            .args(["-c", "1"])
            .arg(crate::support::loadtop_bin())
            .args(["bench", &format!("{url}/cpu?work=2000"), "-c", "8"])
            .args(["-t", "1", "-d", "12s"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let monitor = Monitor::spawn(MonitorConfig {
        interval: Duration::from_millis(500),
        target_pid: Some(pid),
        target_port: None,
    })
    .unwrap();
    // Let the load reach the server before the measured window.
    for _ in 0..3 {
        next(&monitor);
    }
    let (ticks_start, start) = (cpu_ticks(pid), Instant::now());
    let readings: Vec<f32> = (0..12)
        .map(|_| next(&monitor).target.expect("server alive").cpu_percent)
        .collect();
    let truth = (cpu_ticks(pid) - ticks_start) as f64 / start.elapsed().as_secs_f64();
    let mean = readings.iter().map(|&c| f64::from(c)).sum::<f64>() / readings.len() as f64;
    let threads = next(&monitor).target.unwrap().threads.unwrap();
    assert!(threads >= 4, "the server has {threads} threads");
    assert!(
        readings.iter().all(|&c| c <= 100.0),
        "a process pinned to one core read over 100%: {readings:?}"
    );
    // The load must have made the server work for the comparison to mean anything.
    assert!(
        truth > 10.0,
        "server at {truth:.1}% per /proc: {readings:?}"
    );
    assert!(
        (mean - truth).abs() <= 5.0,
        "monitor mean {mean:.1}% vs /proc utime+stime {truth:.1}%: {readings:?}"
    );
}
