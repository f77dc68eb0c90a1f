//! `loadtop serve`: the flags become a checked `ServerConfig`, the server
//! runs on its own runtime until SIGINT/SIGTERM, and the ready line a
//! parent loadtop waits for is printed on stdout.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use super::exit;
use crate::cli::ServeArgs;
use crate::parse::parse_bind;
use crate::server::db::embedded::EmbeddedCluster;
use crate::server::db::{DatabaseConfig, EmbeddedInfo};
use crate::server::knobs::{KnobPatch, Knobs};
use crate::server::tls::TlsSource;
use crate::server::{self, RunningServer, ServerConfig, ServerError};

pub fn serve(args: &ServeArgs) -> Result<u8, ServerError> {
    server::child::exit_with_parent_if_asked();
    let mut config = config_from_args(args)?;
    // Dropped on every way out of this function (a failed start included),
    // which stops the cluster and deletes its directory; a SIGKILL of this
    // process closes the keeper's lifeline instead.
    let cluster = match args.database.as_deref() {
        Some("embedded") => Some(EmbeddedCluster::start()?),
        _ => None,
    };
    config.database = args.database.as_ref().map(|database| DatabaseConfig {
        conninfo: cluster
            .as_ref()
            .map_or_else(|| database.clone(), EmbeddedCluster::conninfo),
        users: args.db_users,
        orders: args.db_orders,
        embedded: cluster.as_ref().map(|cluster| EmbeddedInfo {
            postmaster_pid: cluster.postmaster_pid(),
            dir: cluster.dir().to_path_buf(),
        }),
    });
    server::run(config, announce)?;
    drop(cluster);
    Ok(exit::OK)
}

/// The `serve` flags as the server's plain config, checked.
pub fn config_from_args(args: &ServeArgs) -> Result<ServerConfig, ServerError> {
    let bind = parse_bind(&args.bind).map_err(ServerError::BadAddress)?;
    let mut knobs = Knobs::default();
    if let Some(json) = &args.knobs {
        let patch = KnobPatch::from_json(json.as_bytes()).map_err(ServerError::Knobs)?;
        patch
            .validate()
            .map_err(|e| ServerError::Knobs(e.to_string()))?;
        patch.apply(&mut knobs);
    }
    if let Some(threads) = args.threads
        && !(1..=server::MAX_THREADS).contains(&threads)
    {
        return Err(ServerError::Threads(threads));
    }
    Ok(ServerConfig {
        bind,
        threads: args.threads.unwrap_or_else(server::default_threads),
        static_dir: args.static_dir.clone(),
        admin_token: args.admin_token.clone(),
        log_requests: args.log_requests,
        knobs,
        test_routes: args.test_routes,
        header_read_timeout: args.header_read_timeout,
        shutdown_grace: Duration::from_secs(5),
        tls: args.tls.then(|| match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => TlsSource::Files {
                cert: cert.clone(),
                key: key.clone(),
            },
            _ => TlsSource::SelfSigned,
        }),
        tls_cert_out: args.tls_cert_out.clone(),
        database: None,
    })
}

/// The ready line on stdout, then a warning when the network can reach it.
fn announce(server: &RunningServer) {
    let mut stdout = std::io::stdout().lock();
    // A closed stdout must not stop the server; the parent may be gone.
    let _ = writeln!(
        stdout,
        "loadtop-serve listening={} admin-token={} pid={}",
        server.url(),
        server.admin_token(),
        std::process::id()
    );
    let _ = stdout.flush();
    drop(stdout);
    if let Some(warning) = exposure_warning(server.local_addr()) {
        eprintln!("{warning}");
    }
}

/// One line when the listener is reachable from other machines: the admin
/// API (token-protected) and `/metrics` (open) are then on the network too.
fn exposure_warning(addr: SocketAddr) -> Option<String> {
    (!addr.ip().to_canonical().is_loopback()).then(|| {
        format!(
            "loadtop-serve: warning: listening on {addr}, not a loopback address: \
             the admin API (/_loadtop/, bearer token) and /metrics are reachable from the network"
        )
    })
}
