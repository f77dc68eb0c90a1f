//! Integration tests: headless.
