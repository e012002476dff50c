//! A drop-in replacement for libssh2 1.11.1, written in Rust.
//!
//! Layers (see ARCHITECTURE.md): `ffi` is the only place with raw pointers and
//! `extern "C"`; `session` owns sockets, clocks and the resumable-operation
//! driver; `proto` is the sans-IO SSH core.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]
// Peer and file input must never panic (issue 9): library code returns errors.
// Test code may unwrap; the one deliberate panic (OS RNG failure) is allowed
// where it is.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]
// Callback-holding fields are boxed closures; naming each type adds nothing.
#![allow(clippy::type_complexity)]

pub mod agent;
pub mod consts;
pub mod crypto;
pub mod error;
pub mod ffi;
pub mod keys;
pub mod knownhost;
pub mod proto;
pub mod publickey;
pub mod session;
pub mod sftp;
