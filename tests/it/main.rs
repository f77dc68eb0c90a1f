//! One integration-test binary; a module per area. Every test starts its own
//! servers on 127.0.0.1 port 0 and bounds its load in count and time.
#![allow(clippy::unwrap_used)]

mod capacity;
mod compare;
mod database;
mod database_diagnosis;
mod database_run;
mod headless;
mod load;
mod monitor;
mod profile;
mod reports;
mod scenarios;
mod server;
mod support;
mod tui;
