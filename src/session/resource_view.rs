//! The dashboard's views of one resource sample and of the server's
//! stats. They live on the session's side so that `monitor` and `server`
//! (which measure) and `snapshot` (which the front ends read) do not
//! import each other.

use crate::monitor::ResourceSample;
use crate::server::knobs::Knobs;
use crate::server::stats::ServerStats;
use crate::snapshot::{ResourceView, ServerView};

/// The dashboard's view of one sample.
pub fn to_view(sample: &ResourceSample) -> ResourceView {
    let target = sample.target.as_ref();
    ResourceView {
        cpu_target: target.map(|t| t.cpu_percent),
        cpu_generator: sample.generator.cpu_percent,
        cpu_system: sample.system.cpu_percent,
        cpu_per_core: sample.system.per_core.clone(),
        rss_target: target.map(|t| t.rss_bytes),
        rss_generator: sample.generator.rss_bytes,
        threads_target: target.and_then(|t| t.threads),
        threads_generator: sample.generator.threads.unwrap_or(0),
        sockets_target: target.and_then(|t| t.sockets),
        sockets_generator: sample.generator.sockets.unwrap_or(0),
        mem_used: sample.system.mem_used,
        mem_total: sample.system.mem_total,
        cpu_database: sample.database.as_ref().map(|d| d.cpu_percent),
        rss_database: sample.database.as_ref().map(|d| d.pss_bytes),
        target_signals: *sample.signals,
    }
}

/// The server panel's view of the embedded server's stats and knobs.
pub fn server_view(stats: &ServerStats, knobs: &Knobs) -> ServerView {
    ServerView {
        inflight: stats.inflight,
        pool_size: stats.pool.size,
        pool_in_use: stats.pool.in_use,
        pool_waiters: stats.pool.waiters,
        pool_timeouts: stats.pool.timeouts,
        hold_ms: knobs.hold_ms,
        load_shedding: knobs.load_shedding,
        max_inflight: knobs.max_inflight,
        shed: stats.shed,
        rate_limited: stats.rate_limited,
        timeouts: stats.timeouts,
        cpu_workers: stats.cpu_workers,
        cpu_in_use: stats.cpu_inflight,
        cpu_waiting: stats.cpu_waiting,
        db: stats.db.as_ref().map(super::database::db_view),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::monitor::{ProcessSample, SystemSample};

    #[test]
    fn view_copies_target_and_defaults_missing_counts() {
        let mut s = ResourceSample {
            at: Instant::now(),
            generator: ProcessSample::default(),
            worker_cpu_max: None,
            worker_busy_max: None,
            target: None,
            target_exited: None,
            database: None,
            system: SystemSample::default(),
            signals: Box::default(),
        };
        s.generator = ProcessSample {
            pid: 1,
            cpu_percent: 12.5,
            rss_bytes: 100,
            threads: Some(3),
            sockets: None,
        };
        s.target = Some(ProcessSample {
            pid: 2,
            cpu_percent: 150.0,
            rss_bytes: 200,
            threads: None,
            sockets: Some(7),
        });
        s.system.per_core = vec![10.0, 20.0];
        let view = to_view(&s);
        assert_eq!(view.cpu_generator, 12.5);
        assert_eq!(view.cpu_target, Some(150.0));
        assert_eq!(view.rss_target, Some(200));
        assert_eq!(view.threads_generator, 3);
        assert_eq!(view.sockets_generator, 0);
        assert_eq!(view.threads_target, None);
        assert_eq!(view.sockets_target, Some(7));
        assert_eq!(view.cpu_per_core, vec![10.0, 20.0]);
    }
}
