//! A run: drives the load engine through the plan's stages, applies live
//! controls, merges engine ticks with resource samples into snapshots, and
//! returns a result on every exit path (stage end, quit, Ctrl-C, target death).

pub mod control;

pub use control::{Control, KnobChange};
