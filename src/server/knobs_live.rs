//! `LiveKnobs`: the server's knobs as per-field atomics, so the request path
//! reads what it needs without a lock.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::Knobs;

/// The knobs as independent atomics: a request reads only the fields it needs
/// with relaxed loads, so a busy server never contends on a lock to read them.
/// Fields change one by one; a request that starts mid-update may see a mix,
/// which is harmless for knobs that are each meaningful alone.
#[derive(Debug, Default)]
pub(crate) struct LiveKnobs {
    pub pool_size: AtomicU64,
    pub hold_ms: AtomicU64,
    pub pool_cpu_work: AtomicU64,
    pub acquire_timeout_ms: AtomicU64,
    pub cpu_work: AtomicU64,
    pub cpu_workers: AtomicU64,
    pub sleep_ms: AtomicU64,
    pub stall_every_ms: AtomicU64,
    pub stall_ms: AtomicU64,
    pub error_rate_bits: AtomicU64,
    pub jitter_ms: AtomicU64,
    pub load_shedding: AtomicBool,
    pub max_inflight: AtomicU64,
    pub rate_limit_rps: AtomicU64,
    pub request_timeout_ms: AtomicU64,
    pub db_pool_size: AtomicU64,
    pub db_acquire_timeout_ms: AtomicU64,
    pub db_statement_timeout_ms: AtomicU64,
    pub orders_index: AtomicBool,
}

impl LiveKnobs {
    pub fn new(knobs: &Knobs) -> Self {
        let live = LiveKnobs::default();
        live.store(knobs);
        live
    }

    pub fn store(&self, knobs: &Knobs) {
        macro_rules! put {
            ($($field:ident),*) => {$( self.$field.store(knobs.$field, Ordering::Relaxed); )*};
        }
        live_fields!(put);
        self.error_rate_bits
            .store(knobs.error_rate.to_bits(), Ordering::Relaxed);
    }

    pub fn load(&self) -> Knobs {
        let mut knobs = Knobs::default();
        macro_rules! get {
            ($($field:ident),*) => {$( knobs.$field = self.$field.load(Ordering::Relaxed); )*};
        }
        live_fields!(get);
        knobs.error_rate = self.error_rate();
        knobs
    }

    pub fn error_rate(&self) -> f64 {
        f64::from_bits(self.error_rate_bits.load(Ordering::Relaxed))
    }

    pub fn get(field: &AtomicU64) -> u64 {
        field.load(Ordering::Relaxed)
    }
}
