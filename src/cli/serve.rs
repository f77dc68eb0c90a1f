//! `loadtop serve` flags.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::parse::parse_duration;

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Worker threads of the server's runtime (default: number of cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Serve /static/ from this directory instead of the built-in assets.
    #[arg(long)]
    pub static_dir: Option<PathBuf>,
    /// Admin API token (default: random per start).
    #[arg(long, env = "LOADTOP_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Log one line per request on stderr.
    #[arg(long)]
    pub log_requests: bool,
    /// Initial knobs as JSON (same keys as PATCH /_loadtop/knobs).
    #[arg(long, value_name = "JSON")]
    pub knobs: Option<String>,
    /// Enable test-only routes (/_test/panic).
    #[arg(long, hide = true)]
    pub test_routes: bool,
    /// A request head must arrive within this (slowloris guard).
    #[arg(long, hide = true, value_parser = parse_duration, default_value = "5s")]
    pub header_read_timeout: Duration,
    /// Serve HTTPS (HTTP/1.1 and HTTP/2 by ALPN) with a self-signed
    /// certificate for localhost, 127.0.0.1 and ::1, generated at start.
    #[arg(long)]
    pub tls: bool,
    /// Write the served certificate (PEM) here, for clients to trust.
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub tls_cert_out: Option<PathBuf>,
    /// Serve this PEM certificate chain instead of a generated one.
    #[arg(long, value_name = "FILE", requires_all = ["tls", "tls_key"])]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires_all = ["tls", "tls_cert"])]
    pub tls_key: Option<PathBuf>,
    /// A real PostgreSQL behind /db/*: a postgres:// URL (or libpq
    /// key=value settings), or `embedded` for a throwaway cluster started
    /// with the system's PostgreSQL binaries and deleted on exit.
    #[arg(long, value_name = "URL|embedded")]
    pub database: Option<String>,
    /// Rows of `users` to create when the table is missing.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 100_000,
        requires = "database"
    )]
    pub db_users: u64,
    /// Rows of `orders` to create when the table is missing.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1_000_000,
        requires = "database"
    )]
    pub db_orders: u64,
}
