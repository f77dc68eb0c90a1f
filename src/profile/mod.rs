//! Profiles: TOML files that describe the target, the server knobs, the load
//! model, the stages and the thresholds of a run. Parsing is two steps: serde
//! into the spanned `raw` structs (unknown keys and wrong types fail there),
//! then validation into the typed [`Profile`]. Every error names the file,
//! the line and the key.

mod knobs;
mod raw;
mod requests;
mod stages;
mod sweep;
mod targets;
pub mod threshold;
pub use crate::load::url;
mod settings;
mod validate;

use std::path::Path;
use std::time::Duration;

use crate::server::knobs::KnobPatch;
use raw::RawProfile;
pub use threshold::Threshold;
use validate::Ctx;

/// The default profile, compiled in so `loadtop` works from any directory.
pub const DEFAULT_PROFILE: &str = include_str!("../../profiles/default.toml");
pub const DEFAULT_PROFILE_ORIGIN: &str = "profiles/default.toml (built in)";

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("cannot read profile {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    /// `origin:line:column: key: message`, the form editors jump to.
    #[error("{origin}:{line}:{column}: {}{message}", key_prefix(.key))]
    Invalid {
        origin: String,
        line: usize,
        column: usize,
        key: String,
        message: String,
    },
}

fn key_prefix(key: &str) -> String {
    if key.is_empty() {
        String::new()
    } else {
        format!("`{key}`: ")
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    pub name: String,
    pub description: Option<String>,
    /// Where it came from, for messages and reports.
    pub origin: String,
    /// The target of a run; for a `compare` profile, its first target.
    pub target: Target,
    /// Every target of a `compare` profile (empty otherwise).
    pub targets: Vec<NamedTarget>,
    pub request: RequestTemplate,
    /// A weighted mix (`[[requests]]`); empty = the single `request`.
    pub requests: Vec<MixRequest>,
    pub server: ServerSettings,
    pub load: LoadSettings,
    pub stages: Vec<Stage>,
    /// Whole-run thresholds.
    pub thresholds: Vec<Threshold>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// A route on the embedded server, started as a child process.
    Embedded { route: String },
    Url {
        url: String,
        /// The process to monitor.
        pid: Option<u32>,
        /// A PostgreSQL postmaster to monitor as the database.
        db_pid: Option<u32>,
        /// The target's Prometheus page, scraped for its pools' gauges.
        metrics_url: Option<url::HttpUrl>,
        /// A command that serves `url`, started before and stopped after the run.
        command: Option<String>,
        ready_timeout: Duration,
    },
}

/// One of the targets a `compare` profile lists.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedTarget {
    pub name: String,
    pub target: Target,
    /// Programs that must be on PATH (`requires`); `compare` skips the target otherwise.
    pub requires: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RequestTemplate {
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub transport: TransportSettings,
}

/// `[request]` keys choosing the HTTP version and TLS trust.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct TransportSettings {
    pub http2: bool,
    /// Streams per HTTP/2 connection (1 to 1000); `None` = 1.
    pub h2_streams: Option<usize>,
    pub insecure: bool,
    /// Resolved against the profile's directory.
    pub cacert: Option<std::path::PathBuf>,
}

/// One request of a mix.
#[derive(Clone, Debug, PartialEq)]
pub struct MixRequest {
    /// Unique within the profile; thresholds and reports use it.
    pub name: String,
    pub method: String,
    /// Path and query on the target.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<bytes::Bytes>,
    pub weight: u32,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ServerSettings {
    pub threads: Option<usize>,
    /// Initial knobs of the embedded server.
    pub knobs: KnobPatch,
    /// A real PostgreSQL behind the embedded server's `/db/*` routes.
    pub database: Option<DatabaseSettings>,
}

/// `[server] database`, `db_users`, `db_orders`: passed to `loadtop serve`
/// as `--database`, `--db-users`, `--db-orders`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseSettings {
    /// `embedded` or a `postgres://` / `postgresql://` URL.
    pub url: String,
    pub users: Option<u64>,
    pub orders: Option<u64>,
}

impl DatabaseSettings {
    /// The `loadtop serve` arguments that start it.
    pub fn serve_args(&self) -> Vec<String> {
        let mut args = vec!["--database".to_string(), self.url.clone()];
        if let Some(users) = self.users {
            args.extend(["--db-users".to_string(), users.to_string()]);
        }
        if let Some(orders) = self.orders {
            args.extend(["--db-orders".to_string(), orders.to_string()]);
        }
        args
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    /// Fixed rate; latency corrected for coordinated omission.
    Open,
    /// Fixed connections as fast as possible; latency not corrected.
    Closed,
}

impl ModelKind {
    /// The kind of an engine model, its rate aside.
    pub fn of(model: crate::load::Model) -> ModelKind {
        match model {
            crate::load::Model::Open { .. } => ModelKind::Open,
            crate::load::Model::Closed => ModelKind::Closed,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct LoadSettings {
    pub model: ModelKind,
    pub threads: usize,
    pub connections: usize,
    pub rate: Option<f64>,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub warmup: Duration,
    pub keepalive: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    pub name: String,
    /// The model of this stage (`load.model` unless the stage overrides it).
    pub model: ModelKind,
    pub duration: Duration,
    /// Open model: the rate of this stage (falls back to `load.rate`).
    pub rate: Option<f64>,
    /// Closed model: the connections of this stage (falls back to `load.connections`).
    pub connections: Option<usize>,
    /// Ramp linearly from the previous stage's value over this stage.
    pub ramp: bool,
    pub knobs: KnobPatch,
    pub thresholds: Vec<Threshold>,
}

impl Profile {
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Profile::parse(&text, &path.display().to_string())
    }

    pub fn default_profile() -> Result<Profile, ProfileError> {
        Profile::parse(DEFAULT_PROFILE, DEFAULT_PROFILE_ORIGIN)
    }

    pub fn parse(text: &str, origin: &str) -> Result<Profile, ProfileError> {
        let ctx = Ctx { text, origin };
        let deserializer =
            toml::de::Deserializer::parse(text).map_err(|e| ctx.toml_error(&e, ""))?;
        let raw: RawProfile = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            // `Spanned` shows up in serde's path as a private field; users never wrote it.
            let key = e
                .path()
                .to_string()
                .replace(".$__serde_spanned_private_value", "");
            let key = if key == "." { String::new() } else { key };
            ctx.toml_error(e.inner(), &key)
        })?;
        ctx.validate(raw)
    }

    /// The planned length of all stages.
    pub fn total_duration(&self) -> Duration {
        self.stages.iter().map(|s| s.duration).sum()
    }
}

#[cfg(test)]
mod tests;

#[path = "tests_requests.rs"]
#[cfg(test)]
mod tests_requests;
