//! loadtop: an HTTP load generator with honest latency, a live terminal
//! dashboard and resource monitoring, plus an embedded target server that can
//! be pushed into named bottlenecks on purpose.
//!
//! Data flows one way: the CLI and a profile become a validated `plan::RunPlan`;
//! `session` drives the `load` engine through its stages and merges the
//! engine's per-tick `stats` with `monitor` samples into a `snapshot::Snapshot`
//! that the `tui` and `report` modules only read.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod app;
pub mod capacity;
pub mod child;
pub mod cli;
pub mod compare;
pub mod diagnosis;
pub mod live_metrics;
pub mod load;
pub mod monitor;
pub mod parse;
pub mod plan;
pub mod profile;
pub mod report;
pub mod server;
pub mod session;
pub mod signals;
pub mod snapshot;
pub mod stats;
pub mod timeline;
pub mod tui;
pub mod units;
