//! The database behind the target, as the session sees it: which postmaster
//! the monitor charts (a URL target's `db_pid`, or the pid the embedded
//! server reports once its cluster runs), the dashboard's view of the pool
//! and of PostgreSQL, and an event each time the database goes down or
//! comes back.

use crate::monitor::DatabaseWatch;
use crate::plan::{RunPlan, TargetPlan};
use crate::report::EventKind;
use crate::server::db::DbStats;
use crate::snapshot::DbView;

use super::Session;

pub struct DatabaseState {
    watch: Option<DatabaseWatch>,
    /// `None` until the database was first seen up: the server reports it
    /// down until its poller's first look, which is no outage.
    up: Option<bool>,
}

impl DatabaseState {
    pub fn new(watch: Option<DatabaseWatch>) -> DatabaseState {
        DatabaseState { watch, up: None }
    }
}

/// A URL target's database is known from the plan.
pub fn watch_planned(plan: &RunPlan, watch: Option<&DatabaseWatch>) {
    if let (
        TargetPlan::Url {
            db_pid: Some(pid), ..
        },
        Some(watch),
    ) = (&plan.target, watch)
    {
        watch.set_database_pid(Some(*pid));
    }
}

/// The Server panel's database section.
pub fn db_view(stats: &DbStats) -> DbView {
    DbView {
        up: stats.up,
        pool_size: stats.pool_size,
        in_use: stats.in_use,
        idle: stats.idle,
        waiting: stats.waiting,
        acquire_wait_p99_us: stats.acquire_wait_p99_us,
        timeouts: stats.timeouts,
        errors: stats.errors.values().sum(),
        backends_active: stats.backends.active,
        backends_idle: stats.backends.idle,
        backends_idle_in_transaction: stats.backends.idle_in_transaction,
        backends_waiting_on_lock: stats.backends.waiting_on_lock,
        orders_plan: stats.orders_plan.clone(),
        orders_index: stats.orders_index,
        postmaster_pid: stats.postmaster_pid,
    }
}

/// What changed between two looks at the database: `Some(up)` when the
/// run should record it going down (false) or coming back (true).
fn transition(before: Option<bool>, now: bool) -> Option<bool> {
    match (before, now) {
        (Some(true), false) => Some(false),
        (Some(false), true) => Some(true),
        _ => None,
    }
}

impl Session<'_> {
    /// Each server reading: point the monitor at the embedded cluster's
    /// postmaster (a repeat of the same pid costs the monitor nothing) and
    /// record an outage or a recovery.
    pub(super) fn on_database(&mut self, db: Option<&DbView>) {
        let Some(db) = db else { return };
        if let (Some(watch), Some(pid)) = (&self.database.watch, db.postmaster_pid) {
            watch.set_database_pid(Some(pid));
        }
        match transition(self.database.up, db.up) {
            Some(false) => self.event(
                EventKind::Target,
                "database down: the server cannot reach PostgreSQL; /db routes answer 503".into(),
            ),
            Some(true) => self.event(EventKind::Target, "database back up".into()),
            None => {}
        }
        if db.up || self.database.up.is_some() {
            self.database.up = Some(db.up);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_change_after_the_first_sight_of_the_database_is_an_event() {
        assert_eq!(transition(None, false), None);
        assert_eq!(transition(None, true), None);
        assert_eq!(transition(Some(true), true), None);
        assert_eq!(transition(Some(true), false), Some(false));
        assert_eq!(transition(Some(false), false), None);
        assert_eq!(transition(Some(false), true), Some(true));
    }

    #[test]
    fn the_view_sums_errors_and_keeps_the_plan() {
        let mut stats = DbStats {
            pool_size: 4,
            in_use: 3,
            waiting: 7,
            acquire_wait_p99_us: 1_500,
            orders_plan: "Seq Scan on orders".into(),
            postmaster_pid: Some(42),
            up: true,
            ..DbStats::default()
        };
        stats.errors.insert("connect".into(), 2);
        stats.errors.insert("query".into(), 3);
        stats.backends.idle_in_transaction = 1;
        let view = db_view(&stats);
        assert_eq!(view.errors, 5);
        assert_eq!((view.pool_size, view.in_use, view.waiting), (4, 3, 7));
        assert_eq!(view.backends_idle_in_transaction, 1);
        assert_eq!(view.orders_plan, "Seq Scan on orders");
        assert_eq!(view.postmaster_pid, Some(42));
    }
}
