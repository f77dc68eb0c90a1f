//! Integration tests: profile.
