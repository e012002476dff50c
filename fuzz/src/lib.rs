//! Fuzz target bodies for libssh2-rs; see `harness.rs`.

pub mod harness;
