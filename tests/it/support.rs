//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// Path of the built `loadtop` binary.
pub fn loadtop_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_loadtop"))
}
