//! TODO(skeleton)
pub mod hgrm;
pub mod text;
