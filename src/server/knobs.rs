//! The live knobs of the target server: the serializable `Knobs` value, the
//! `KnobPatch` that admin PATCH requests and profiles deserialize into, and
//! `LiveKnobs`, the per-field atomics the request path reads. Data flows
//! admin/profile → `KnobPatch::validate` → `KnobPatch::apply` → `LiveKnobs::store`
//! → request handlers (one relaxed load per knob they need, no lock).

use serde::{Deserialize, Serialize};

/// Every tunable of the server, with the defaults a fresh `loadtop serve` uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Knobs {
    /// Slots of the simulated DB pool behind `/pool`.
    pub pool_size: u64,
    /// How long a `/pool` request holds its slot.
    pub hold_ms: u64,
    /// SHA-256 rounds a `/pool` request burns while holding its slot: CPU
    /// time inside the slot, so the pool behaves like a worker-thread pool
    /// (wait W = `hold_ms`, compute C = these rounds).
    pub pool_cpu_work: u64,
    /// How long a `/pool` request waits for a slot before a 503.
    pub acquire_timeout_ms: u64,
    /// Default SHA-256 rounds of `/cpu`.
    pub cpu_work: u64,
    /// At most this many `/cpu` computations at once (0 = unlimited).
    pub cpu_workers: u64,
    /// Default wait of `/sleep`.
    pub sleep_ms: u64,
    /// Period of the global stall (0 = off).
    pub stall_every_ms: u64,
    /// Length of each global stall.
    pub stall_ms: u64,
    /// Fraction of scenario requests answered 500.
    pub error_rate: f64,
    /// Uniform random extra delay on scenario routes, 0..=jitter_ms.
    pub jitter_ms: u64,
    /// Answer 503 at once beyond `max_inflight` requests in progress.
    pub load_shedding: bool,
    pub max_inflight: u64,
    /// Token-bucket rate limit in requests per second (0 = off) → 429.
    pub rate_limit_rps: u64,
    /// Per-request deadline (0 = off) → 504.
    pub request_timeout_ms: u64,
    /// Connections of the real pool behind `/db/*` (`serve --database`).
    pub db_pool_size: u64,
    /// How long a `/db` request waits for a connection before a 503.
    pub db_acquire_timeout_ms: u64,
    /// PostgreSQL's `statement_timeout` on the pool's connections (0 = off).
    pub db_statement_timeout_ms: u64,
    /// Whether the composite index on `orders(user_id, status)` exists.
    pub orders_index: bool,
}

impl Default for Knobs {
    fn default() -> Self {
        Knobs {
            pool_size: 16,
            hold_ms: 5,
            pool_cpu_work: 0,
            acquire_timeout_ms: 1000,
            cpu_work: 1000,
            cpu_workers: 0,
            sleep_ms: 10,
            stall_every_ms: 0,
            stall_ms: 0,
            error_rate: 0.0,
            jitter_ms: 0,
            load_shedding: false,
            max_inflight: 64,
            rate_limit_rps: 0,
            request_timeout_ms: 0,
            db_pool_size: 10,
            db_acquire_timeout_ms: 1000,
            db_statement_timeout_ms: 0,
            orders_index: false,
        }
    }
}

/// A knob value outside its allowed range; names the key and the range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("knob `{key}` = {value} is out of range (allowed: {allowed})")]
pub struct KnobError {
    pub key: &'static str,
    pub value: String,
    pub allowed: &'static str,
}

/// A partial update of `Knobs`: every key optional, unknown keys refused at
/// deserialize time (so TOML profiles and PATCH bodies fail on typos). A key
/// that is present must hold a value of its type: `null` is refused rather
/// than read as "absent", so `{"pool_size": null}` cannot look like a
/// successful change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnobPatch {
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub pool_size: Option<u64>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub hold_ms: Option<u64>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub pool_cpu_work: Option<u64>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub acquire_timeout_ms: Option<u64>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub cpu_work: Option<u64>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub cpu_workers: Option<u64>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub sleep_ms: Option<u64>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub stall_every_ms: Option<u64>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub stall_ms: Option<u64>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub error_rate: Option<f64>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub jitter_ms: Option<u64>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub load_shedding: Option<bool>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_inflight: Option<u64>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub rate_limit_rps: Option<u64>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub request_timeout_ms: Option<u64>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub db_pool_size: Option<u64>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub db_acquire_timeout_ms: Option<u64>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub db_statement_timeout_ms: Option<u64>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub orders_index: Option<bool>,
}

/// A present key: its value, never `null` (absent keys take `default`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

const HOUR_MS: u64 = 3_600_000;
const MINUTE_MS: u64 = 60_000;

fn check_u64(
    key: &'static str,
    value: Option<u64>,
    min: u64,
    max: u64,
    allowed: &'static str,
) -> Result<(), KnobError> {
    match value {
        Some(v) if v < min || v > max => Err(KnobError {
            key,
            value: v.to_string(),
            allowed,
        }),
        _ => Ok(()),
    }
}

/// Every knob but `error_rate` (a float, kept as bits in [`LiveKnobs`]):
/// one list for applying a patch and for storing and loading live knobs, so
/// a new knob is added in one place. Defined before `mod live` so the
/// submodule sees it.
macro_rules! live_fields {
    ($mac:ident) => {
        $mac!(
            pool_size,
            hold_ms,
            pool_cpu_work,
            acquire_timeout_ms,
            cpu_work,
            cpu_workers,
            sleep_ms,
            stall_every_ms,
            stall_ms,
            jitter_ms,
            load_shedding,
            max_inflight,
            rate_limit_rps,
            request_timeout_ms,
            db_pool_size,
            db_acquire_timeout_ms,
            db_statement_timeout_ms,
            orders_index
        )
    };
}

impl KnobPatch {
    /// No key set: sending it would change nothing.
    pub fn is_empty(&self) -> bool {
        *self == KnobPatch::default()
    }

    /// Checks every present key against its range.
    pub fn validate(&self) -> Result<(), KnobError> {
        check_u64("pool_size", self.pool_size, 1, 100_000, "1..=100000")?;
        check_u64("hold_ms", self.hold_ms, 0, MINUTE_MS, "0..=60000")?;
        check_u64(
            "pool_cpu_work",
            self.pool_cpu_work,
            0,
            10_000_000,
            "0..=10000000",
        )?;
        check_u64(
            "acquire_timeout_ms",
            self.acquire_timeout_ms,
            0,
            MINUTE_MS,
            "0..=60000",
        )?;
        check_u64("cpu_work", self.cpu_work, 0, 10_000_000, "0..=10000000")?;
        check_u64(
            "cpu_workers",
            self.cpu_workers,
            0,
            4096,
            "0..=4096 (0 = unlimited)",
        )?;
        check_u64("sleep_ms", self.sleep_ms, 0, MINUTE_MS, "0..=60000")?;
        check_u64(
            "stall_every_ms",
            self.stall_every_ms,
            0,
            HOUR_MS,
            "0..=3600000 (0 = off)",
        )?;
        check_u64("stall_ms", self.stall_ms, 0, MINUTE_MS, "0..=60000")?;
        if let Some(rate) = self.error_rate
            && !(0.0..=1.0).contains(&rate)
        {
            return Err(KnobError {
                key: "error_rate",
                value: rate.to_string(),
                allowed: "0.0..=1.0",
            });
        }
        check_u64("jitter_ms", self.jitter_ms, 0, MINUTE_MS, "0..=60000")?;
        check_u64(
            "max_inflight",
            self.max_inflight,
            1,
            1_000_000,
            "1..=1000000",
        )?;
        check_u64(
            "rate_limit_rps",
            self.rate_limit_rps,
            0,
            100_000_000,
            "0..=100000000 (0 = off)",
        )?;
        check_u64(
            "request_timeout_ms",
            self.request_timeout_ms,
            0,
            HOUR_MS,
            "0..=3600000 (0 = off)",
        )?;
        check_u64("db_pool_size", self.db_pool_size, 1, 1000, "1..=1000")?;
        check_u64(
            "db_acquire_timeout_ms",
            self.db_acquire_timeout_ms,
            0,
            MINUTE_MS,
            "0..=60000",
        )?;
        check_u64(
            "db_statement_timeout_ms",
            self.db_statement_timeout_ms,
            0,
            HOUR_MS,
            "0..=3600000 (0 = off)",
        )?;
        Ok(())
    }

    /// Copies every present key into `knobs` (call `validate` first).
    pub fn apply(&self, knobs: &mut Knobs) {
        macro_rules! set {
            ($($field:ident),*) => {$(
                if let Some(value) = self.$field {
                    knobs.$field = value;
                }
            )*};
        }
        live_fields!(set);
        if let Some(error_rate) = self.error_rate {
            knobs.error_rate = error_rate;
        }
    }
}

#[path = "knobs_json.rs"]
mod json;
#[path = "knobs_live.rs"]
mod live;
pub(crate) use live::LiveKnobs;

#[cfg(test)]
#[path = "knobs_tests.rs"]
mod tests;
