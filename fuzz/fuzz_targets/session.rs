//! Fuzz target `session`: see `libssh2_rs_fuzz::harness::session`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| libssh2_rs_fuzz::harness::session(data));
