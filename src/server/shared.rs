//! The state every connection's service, handler and the admin API share
//! ([`Shared`], one `Arc` per server): live knobs, counters, scenario gates,
//! static files. Below `service`, `handlers` and `admin`, which all read it.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::sync::watch;

use super::files::StaticFiles;
use super::knobs::{KnobError, KnobPatch, Knobs, LiveKnobs};
use super::scenarios::{Gate, Pool, RateLimiter, Stall};
use super::stats::{Counters, ServerStats};

/// The largest request body the server reads (admin PATCHes included).
pub(crate) const MAX_BODY: u64 = 1024 * 1024;

/// Everything the handlers share, behind one `Arc` per server.
pub(crate) struct Shared {
    pub knobs: LiveKnobs,
    pub knobs_tx: watch::Sender<Knobs>,
    knobs_write: Mutex<()>,
    pub counters: Counters,
    pub pool: Pool,
    pub cpu_gate: Gate,
    pub stall: Stall,
    pub limiter: RateLimiter,
    pub files: StaticFiles,
    pub admin_token: String,
    pub log_requests: bool,
    pub test_routes: bool,
    pub started: Instant,
    /// The real pool behind `/db/*`, with `--database`.
    pub db: Option<Arc<super::db::Db>>,
}

fn gate_size(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

impl Shared {
    pub fn new(
        knobs: Knobs,
        files: StaticFiles,
        admin_token: String,
        log_requests: bool,
        test_routes: bool,
        db: Option<Arc<super::db::Db>>,
    ) -> Self {
        Shared {
            knobs: LiveKnobs::new(&knobs),
            pool: Pool::new(gate_size(knobs.pool_size)),
            cpu_gate: Gate::new(gate_size(knobs.cpu_workers)),
            knobs_tx: watch::Sender::new(knobs),
            knobs_write: Mutex::new(()),
            counters: Counters::default(),
            stall: Stall::new(),
            limiter: RateLimiter::new(),
            files,
            admin_token,
            log_requests,
            test_routes,
            started: Instant::now(),
            db,
        }
    }

    /// Validates and applies a patch; requests that start afterwards see it.
    pub fn apply_patch(&self, patch: &KnobPatch) -> Result<Knobs, KnobError> {
        patch.validate()?;
        let _serial = self
            .knobs_write
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut knobs = self.knobs.load();
        patch.apply(&mut knobs);
        self.knobs.store(&knobs);
        self.pool.gate.resize(gate_size(knobs.pool_size));
        self.cpu_gate.resize(gate_size(knobs.cpu_workers));
        self.knobs_tx.send_replace(knobs.clone());
        Ok(knobs)
    }

    pub fn stats(&self) -> ServerStats {
        let uptime_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut stats = self.counters.snapshot(uptime_ms, self.pool.stats());
        stats.db = self.db.as_ref().map(|db| db.stats());
        stats.cpu_workers = LiveKnobs::get(&self.knobs.cpu_workers);
        stats
    }
}
