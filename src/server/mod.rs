//! STUB until the server branch lands: the parent-side API the session uses.

use crate::cli::ServeArgs;

#[derive(Debug, thiserror::Error)]
#[error("server stub")]
pub struct ServerError;

pub fn run(_args: ServeArgs) -> Result<(), ServerError> {
    Err(ServerError)
}

pub mod knobs {
    use serde::{Deserialize, Serialize};
    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    pub struct Knobs {
        pub pool_size: u64,
        pub hold_ms: u64,
        pub load_shedding: bool,
        pub max_inflight: u64,
    }
    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct KnobPatch {
        pub pool_size: Option<u64>,
        pub hold_ms: Option<u64>,
        pub load_shedding: Option<bool>,
    }
}

pub mod stats {
    use serde::{Deserialize, Serialize};
    #[derive(Clone, Debug, Default, Serialize, Deserialize)]
    pub struct PoolStats {
        pub size: u64,
        pub in_use: u64,
        pub waiters: u64,
        pub timeouts: u64,
    }
    #[derive(Clone, Debug, Default, Serialize, Deserialize)]
    pub struct ServerStats {
        pub inflight: u64,
        pub pool: PoolStats,
        pub shed: u64,
        pub rate_limited: u64,
        pub timeouts: u64,
    }
}

pub mod child {
    use super::ServerError;
    use std::net::SocketAddr;
    use std::path::Path;
    pub struct ChildServer;
    impl ChildServer {
        pub fn spawn(_exe: &Path, _args: &[String]) -> Result<ChildServer, ServerError> {
            Err(ServerError)
        }
        pub fn url(&self) -> &str {
            ""
        }
        pub fn addr(&self) -> SocketAddr {
            SocketAddr::from(([127, 0, 0, 1], 0))
        }
        pub fn pid(&self) -> u32 {
            0
        }
        pub fn token(&self) -> &str {
            ""
        }
        pub fn try_exit_status(&mut self) -> Option<String> {
            None
        }
    }
}

pub mod admin_client {
    use super::ServerError;
    use super::knobs::{KnobPatch, Knobs};
    use super::stats::ServerStats;
    use std::net::SocketAddr;
    pub struct AdminClient;
    impl AdminClient {
        pub fn new(_addr: SocketAddr, _token: String) -> AdminClient {
            AdminClient
        }
        pub fn patch_knobs(&self, _patch: &KnobPatch) -> Result<Knobs, ServerError> {
            Err(ServerError)
        }
        pub fn get_knobs(&self) -> Result<Knobs, ServerError> {
            Err(ServerError)
        }
        pub fn stats(&self) -> Result<ServerStats, ServerError> {
            Err(ServerError)
        }
    }
}
