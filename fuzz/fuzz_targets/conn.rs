//! Fuzz target `conn`: see `libssh2_rs_fuzz::harness::conn`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| libssh2_rs_fuzz::harness::conn(data));
