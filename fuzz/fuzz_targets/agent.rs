//! Fuzz target `agent`: see `libssh2_rs_fuzz::harness::agent`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| libssh2_rs_fuzz::harness::agent(data));
