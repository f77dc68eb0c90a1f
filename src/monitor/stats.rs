//! Per-stage aggregation of resource samples: the session folds every
//! sample of a stage into one [`ResourceStats`], which goes into the JSON
//! report and the per-stage table. Means are running means, so nothing is
//! kept per sample.

use super::{DatabaseSample, ResourceSample};

/// CPU in percent of one core (200 = two cores), memory in bytes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResourceStats {
    pub samples: u64,
    pub generator_cpu_mean: f32,
    pub generator_cpu_max: f32,
    pub generator_rss_peak: u64,
    /// The busiest generator worker thread at any sample.
    pub worker_cpu_max: Option<f32>,
    /// The highest share of time any worker wanted a CPU (see
    /// [`ResourceSample::worker_busy_max`]). Used to judge the stage while
    /// the run goes on; not part of the report.
    pub worker_busy_max: Option<f32>,
    /// Samples that carried a live target.
    pub target_samples: u64,
    pub target_cpu_mean: Option<f32>,
    pub target_cpu_max: Option<f32>,
    pub target_rss_peak: Option<u64>,
    pub target_threads_peak: Option<u64>,
    pub target_sockets_peak: Option<u64>,
    /// The target pid that exited during the stage, if any.
    pub target_exited: Option<u32>,
    /// The database's processes together (see `monitor::database`), only
    /// when a database was watched: CPU in percent of one core, memory as
    /// summed PSS, time blocked on storage in percent of the interval
    /// (absent where the kernel keeps no delay accounting).
    pub database_cpu_mean: Option<f32>,
    pub database_cpu_max: Option<f32>,
    pub database_rss_peak: Option<u64>,
    pub database_io_wait_pct: Option<f32>,
    /// Samples that carried the database's figures, and those with an I/O
    /// wait among them: the running means' counts.
    pub database_samples: u64,
    pub database_io_samples: u64,
    /// All cores together, in percent of one core like the process figures.
    pub system_cpu_mean: f32,
    pub system_cpu_max: f32,
    pub mem_used_peak: u64,
    pub mem_total: u64,
    /// The target's threads, sockets and the accept queue.
    pub signals: super::SignalStats,
}

fn running_mean(mean: f32, value: f32, count: u64) -> f32 {
    let mean = f64::from(mean);
    (mean + (f64::from(value) - mean) / count as f64) as f32
}

pub(super) fn max_opt<T: PartialOrd + Copy>(current: Option<T>, value: Option<T>) -> Option<T> {
    match (current, value) {
        (Some(a), Some(b)) => Some(if b > a { b } else { a }),
        (a, b) => a.or(b),
    }
}

impl ResourceStats {
    pub fn add(&mut self, sample: &ResourceSample) {
        self.samples += 1;
        let generator = &sample.generator;
        self.generator_cpu_mean =
            running_mean(self.generator_cpu_mean, generator.cpu_percent, self.samples);
        self.generator_cpu_max = self.generator_cpu_max.max(generator.cpu_percent);
        self.generator_rss_peak = self.generator_rss_peak.max(generator.rss_bytes);
        self.worker_cpu_max = max_opt(self.worker_cpu_max, sample.worker_cpu_max);
        self.worker_busy_max = max_opt(self.worker_busy_max, sample.worker_busy_max);

        if let Some(target) = &sample.target {
            self.target_samples += 1;
            self.target_cpu_mean = Some(running_mean(
                self.target_cpu_mean.unwrap_or(0.0),
                target.cpu_percent,
                self.target_samples,
            ));
            self.target_cpu_max = max_opt(self.target_cpu_max, Some(target.cpu_percent));
            self.target_rss_peak = max_opt(self.target_rss_peak, Some(target.rss_bytes));
            self.target_threads_peak = max_opt(self.target_threads_peak, target.threads);
            self.target_sockets_peak = max_opt(self.target_sockets_peak, target.sockets);
        }
        if sample.target_exited.is_some() {
            self.target_exited = sample.target_exited;
        }

        if let Some(database) = &sample.database {
            self.add_database(database);
        }

        let system = &sample.system;
        self.system_cpu_mean = running_mean(self.system_cpu_mean, system.cpu_percent, self.samples);
        self.system_cpu_max = self.system_cpu_max.max(system.cpu_percent);
        self.mem_used_peak = self.mem_used_peak.max(system.mem_used);
        self.mem_total = system.mem_total;
        self.signals.add(&sample.signals);
    }

    fn add_database(&mut self, database: &DatabaseSample) {
        self.database_samples += 1;
        self.database_cpu_mean = Some(running_mean(
            self.database_cpu_mean.unwrap_or(0.0),
            database.cpu_percent,
            self.database_samples,
        ));
        self.database_cpu_max = max_opt(self.database_cpu_max, Some(database.cpu_percent));
        self.database_rss_peak = max_opt(self.database_rss_peak, Some(database.pss_bytes));
        if let Some(io_wait) = database.io_wait_percent {
            self.database_io_samples += 1;
            self.database_io_wait_pct = Some(running_mean(
                self.database_io_wait_pct.unwrap_or(0.0),
                io_wait,
                self.database_io_samples,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::{ProcessSample, SystemSample};
    use std::time::Instant;

    fn sample(gen_cpu: f32, target: Option<(f32, u64)>, sys_cpu: f32) -> ResourceSample {
        ResourceSample {
            at: Instant::now(),
            generator: ProcessSample {
                pid: 1,
                cpu_percent: gen_cpu,
                rss_bytes: (gen_cpu as u64) * 1000,
                threads: Some(4),
                sockets: Some(2),
            },
            worker_cpu_max: Some(gen_cpu / 2.0),
            worker_busy_max: Some(gen_cpu),
            target: target.map(|(cpu, rss)| ProcessSample {
                pid: 2,
                cpu_percent: cpu,
                rss_bytes: rss,
                threads: Some(8),
                sockets: None,
            }),
            target_exited: None,
            database: None,
            system: SystemSample {
                cpu_percent: sys_cpu,
                per_core: vec![],
                mem_used: 500,
                mem_total: 1000,
            },
            signals: Box::default(),
        }
    }

    #[test]
    fn means_maxima_and_peaks() {
        let mut stats = ResourceStats::default();
        stats.add(&sample(10.0, Some((100.0, 5_000)), 50.0));
        stats.add(&sample(30.0, Some((200.0, 9_000)), 150.0));
        stats.add(&sample(20.0, None, 100.0));
        assert_eq!(stats.samples, 3);
        assert!((stats.generator_cpu_mean - 20.0).abs() < 1e-4);
        assert_eq!(stats.generator_cpu_max, 30.0);
        assert_eq!(stats.generator_rss_peak, 30_000);
        assert_eq!(stats.worker_cpu_max, Some(15.0));
        assert_eq!(stats.worker_busy_max, Some(30.0));
        assert_eq!(stats.target_samples, 2);
        assert!((stats.target_cpu_mean.unwrap() - 150.0).abs() < 1e-4);
        assert_eq!(stats.target_cpu_max, Some(200.0));
        assert_eq!(stats.target_rss_peak, Some(9_000));
        assert_eq!(stats.target_threads_peak, Some(8));
        assert_eq!(stats.target_sockets_peak, None);
        assert!((stats.system_cpu_mean - 100.0).abs() < 1e-4);
        assert_eq!(stats.system_cpu_max, 150.0);
        assert_eq!(stats.mem_used_peak, 500);
        assert_eq!(stats.mem_total, 1000);
    }

    #[test]
    fn database_figures_appear_only_with_a_database() {
        let mut stats = ResourceStats::default();
        stats.add(&sample(10.0, None, 50.0));
        assert_eq!(stats.database_cpu_mean, None);
        assert_eq!(stats.database_rss_peak, None);
        for (cpu, pss, io_wait) in [
            (40.0, 100, Some(10.0)),
            (80.0, 300, None),
            (60.0, 200, Some(30.0)),
        ] {
            let mut with_db = sample(10.0, None, 50.0);
            with_db.database = Some(DatabaseSample {
                pid: 9,
                processes: 7,
                cpu_percent: cpu,
                pss_bytes: pss,
                io_wait_percent: io_wait,
                read_bytes_per_sec: None,
                write_bytes_per_sec: None,
            });
            stats.add(&with_db);
        }
        assert!((stats.database_cpu_mean.unwrap() - 60.0).abs() < 1e-4);
        assert_eq!(stats.database_cpu_max, Some(80.0));
        assert_eq!(stats.database_rss_peak, Some(300));
        assert!((stats.database_io_wait_pct.unwrap() - 20.0).abs() < 1e-4);
    }

    #[test]
    fn no_target_leaves_target_fields_empty() {
        let mut stats = ResourceStats::default();
        stats.add(&sample(10.0, None, 50.0));
        let mut exited = sample(10.0, None, 50.0);
        exited.target_exited = Some(77);
        stats.add(&exited);
        assert_eq!(stats.target_cpu_mean, None);
        assert_eq!(stats.target_rss_peak, None);
        assert_eq!(stats.target_exited, Some(77));
        assert_eq!(stats.worker_busy_max, Some(10.0));
    }
}
