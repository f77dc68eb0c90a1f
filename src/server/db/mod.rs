//! A real PostgreSQL behind `loadtop serve --database URL|embedded`: the
//! connection pool the `/db/*` routes go through (deadpool-postgres over
//! tokio-postgres), its live knobs, and what the pool and the database
//! report. `embedded` and `keeper` run a throwaway cluster; `seed` creates
//! the `users` and `orders` tables; `routes` answers `/db/*`; `observe`
//! holds the pool's counters, the acquire-wait histogram and the poller
//! that reads `pg_stat_activity` and the orders query's plan once a second;
//! `metrics` renders the pool for `/metrics`.
//!
//! Data flows: request → `Db::acquire` (acquire timeout from the knobs,
//! wait recorded) → query → response; admin PATCH → `Db::apply` (pool
//! resize, statement timeout, index) → knobs; poller → `Observed` →
//! `Db::stats` → `/_loadtop/stats` and `/metrics`.

pub mod embedded;
pub mod keeper;
pub(crate) mod observe;
pub(crate) mod routes;
mod seed;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use deadpool_postgres::{
    Hook, HookError, Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime,
    TimeoutType, Timeouts,
};
use tokio_postgres::NoTls;

use super::knobs::{KnobPatch, Knobs};
pub use observe::{Backends, DbStats};
use observe::{ErrorKind, Observer};

/// Setting up or reaching the database failed; `loadtop serve` exits 2.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{0}")]
    Setup(String),
    #[error("cannot reach the database: {0}")]
    Connect(String),
    #[error("cannot prepare the database: {0}")]
    Seed(String),
}

/// What `--database` resolved to, for `ServerConfig`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseConfig {
    /// A `postgres://` URL or libpq `key=value` settings.
    pub conninfo: String,
    /// Rows of `users` and `orders` to create when the tables are missing.
    pub users: u64,
    pub orders: u64,
    /// Set for `--database embedded`: the cluster's postmaster and directory.
    pub embedded: Option<EmbeddedInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedInfo {
    pub postmaster_pid: u32,
    pub dir: PathBuf,
}

/// A knob change the database could not carry out (503 from the admin API).
#[derive(Debug, thiserror::Error)]
#[error("database: {0}")]
pub struct ApplyError(pub String);

/// The pool and everything said about it; shared by the request path, the
/// admin API and the poller.
pub(crate) struct Db {
    pool: Pool,
    pg_config: tokio_postgres::Config,
    /// Connections made before this (ns since `epoch`) carry an old
    /// statement timeout and are replaced at their next checkout.
    settings_changed_ns: Arc<AtomicU64>,
    statement_timeout_ms: Arc<AtomicU64>,
    epoch: Instant,
    /// Serializes admin changes (index builds, resizes).
    admin: tokio::sync::Mutex<()>,
    pub observer: Observer,
    pub embedded: Option<EmbeddedInfo>,
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

impl Db {
    /// Connects, creates and seeds the tables when missing, builds the pool
    /// and starts the poller. Returns once the database answers.
    pub async fn connect(config: &DatabaseConfig, knobs: &mut Knobs) -> Result<Arc<Db>, DbError> {
        let mut pg_config: tokio_postgres::Config = config.conninfo.parse().map_err(|e| {
            DbError::Setup(format!("invalid --database {:?}: {e}", config.conninfo))
        })?;
        pg_config
            .connect_timeout(CONNECT_TIMEOUT)
            .application_name("loadtop-serve");
        let client = connect_one(&pg_config)
            .await
            .map_err(|e| DbError::Connect(error_text(&e)))?;
        knobs.orders_index = seed::prepare(&client, config.users, config.orders)
            .await
            .map_err(|e| DbError::Seed(error_text(&e)))?;
        drop(client);
        let epoch = Instant::now();
        let settings_changed_ns = Arc::new(AtomicU64::new(0));
        let statement_timeout_ms = Arc::new(AtomicU64::new(knobs.db_statement_timeout_ms));
        let pool = build_pool(
            &pg_config,
            usize::try_from(knobs.db_pool_size).unwrap_or(usize::MAX),
            epoch,
            settings_changed_ns.clone(),
            statement_timeout_ms.clone(),
        )?;
        let db = Arc::new(Db {
            pool,
            pg_config,
            settings_changed_ns,
            statement_timeout_ms,
            epoch,
            admin: tokio::sync::Mutex::new(()),
            observer: Observer::new(),
            embedded: config.embedded.clone(),
        });
        observe::refresh(&db).await;
        observe::spawn_poller(Arc::downgrade(&db));
        Ok(db)
    }

    /// A pooled connection within `acquire_timeout`, its wait recorded. A
    /// timeout and a failure to connect are counted here.
    pub async fn acquire(&self, acquire_timeout: Duration) -> Result<Object, Acquire> {
        let timeouts = Timeouts {
            wait: Some(acquire_timeout),
            create: Some(CONNECT_TIMEOUT),
            recycle: Some(CONNECT_TIMEOUT),
        };
        let started = Instant::now();
        let result = self.pool.timeout_get(&timeouts).await;
        self.observer.record_wait(started.elapsed());
        match result {
            Ok(client) => Ok(client),
            Err(PoolError::Timeout(TimeoutType::Wait)) => {
                self.observer.count_timeout();
                Err(Acquire::Timeout)
            }
            Err(error) => {
                self.observer.count_error(ErrorKind::Connect);
                Err(Acquire::Failed(error.to_string()))
            }
        }
    }

    /// Carries out the database knobs of a validated patch, before the
    /// knobs are stored: the index is built or dropped before this returns.
    pub async fn apply(&self, patch: &KnobPatch) -> Result<(), ApplyError> {
        let _serial = self.admin.lock().await;
        if let Some(size) = patch.db_pool_size {
            // Growing adds slots at once; shrinking closes idle connections
            // now and busy ones as they come back (deadpool's resize).
            self.pool
                .resize(usize::try_from(size).unwrap_or(usize::MAX));
        }
        if let Some(ms) = patch.db_statement_timeout_ms {
            self.statement_timeout_ms.store(ms, Ordering::SeqCst);
            let now = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
            self.settings_changed_ns.store(now, Ordering::SeqCst);
        }
        if let Some(on) = patch.orders_index {
            let client = connect_one(&self.pg_config)
                .await
                .map_err(|e| ApplyError(error_text(&e)))?;
            seed::set_orders_index(&client, on)
                .await
                .map_err(|e| ApplyError(error_text(&e)))?;
            observe::refresh(self).await;
        }
        Ok(())
    }

    pub fn stats(&self) -> DbStats {
        let status = self.pool.status();
        self.observer.stats(status, self.embedded.as_ref())
    }

    fn pg_config(&self) -> &tokio_postgres::Config {
        &self.pg_config
    }
}

/// Why no connection came from the pool.
#[derive(Debug)]
pub(crate) enum Acquire {
    Timeout,
    Failed(String),
}

/// One connection outside the pool (seeding, index changes, the poller),
/// driven by its own task.
async fn connect_one(
    pg_config: &tokio_postgres::Config,
) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = pg_config.connect(NoTls).await?;
    tokio::spawn(async move {
        // Ends when the client is dropped or the server goes; the error,
        // if any, surfaces on the client's next query.
        let _ = connection.await;
    });
    Ok(client)
}

fn build_pool(
    pg_config: &tokio_postgres::Config,
    size: usize,
    epoch: Instant,
    settings_changed_ns: Arc<AtomicU64>,
    statement_timeout_ms: Arc<AtomicU64>,
) -> Result<Pool, DbError> {
    let manager = Manager::from_config(
        pg_config.clone(),
        NoTls,
        ManagerConfig {
            // A closed connection is noticed without a round trip; a broken
            // one fails its query, is counted and is not reused.
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .post_create(Hook::async_fn(move |client, _| {
            let ms = statement_timeout_ms.load(Ordering::SeqCst);
            Box::pin(async move {
                client
                    .batch_execute(&format!("SET statement_timeout = {ms}"))
                    .await
                    .map_err(HookError::Backend)
            })
        }))
        .pre_recycle(Hook::sync_fn(move |_, metrics| {
            let created = metrics.created.saturating_duration_since(epoch);
            let created_ns = u64::try_from(created.as_nanos()).unwrap_or(u64::MAX);
            if created_ns < settings_changed_ns.load(Ordering::SeqCst) {
                return Err(HookError::message("statement timeout changed"));
            }
            Ok(())
        }))
        .build()
        .map_err(|e| DbError::Setup(format!("cannot build the connection pool: {e}")))
}

/// A database error's own message (tokio-postgres's Display says only
/// "db error" for server errors).
pub(crate) fn error_text(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => {
            let mut text = error.to_string();
            if let Some(source) = std::error::Error::source(error) {
                text.push_str(": ");
                text.push_str(&source.to_string());
            }
            text
        }
    }
}

/// Whether a patch holds any database knob.
fn touches_database(patch: &KnobPatch) -> bool {
    patch.db_pool_size.is_some()
        || patch.db_acquire_timeout_ms.is_some()
        || patch.db_statement_timeout_ms.is_some()
        || patch.orders_index.is_some()
}

/// The admin API's step before storing knobs: carry out the database part
/// of a patch. Without a database such a patch is refused (400) rather
/// than stored as if it had done something; a database that cannot carry
/// it out answers 503 and nothing of the patch is stored. An invalid patch
/// is left to the knob validation that follows.
pub(crate) async fn apply_patch(
    db: Option<&Db>,
    patch: &KnobPatch,
) -> Result<(), http::Response<crate::server::body::ResponseBody>> {
    use crate::server::routes::json_response;
    use http::StatusCode;
    if patch.validate().is_err() || !touches_database(patch) {
        return Ok(());
    }
    let Some(db) = db else {
        let body = serde_json::json!({
            "error": "database knobs need a database: start `loadtop serve --database embedded` (or a postgres:// URL)"
        });
        return Err(json_response(StatusCode::BAD_REQUEST, body.to_string()));
    };
    db.apply(patch).await.map_err(|error| {
        let body = serde_json::json!({ "error": error.to_string() });
        json_response(StatusCode::SERVICE_UNAVAILABLE, body.to_string())
    })
}
