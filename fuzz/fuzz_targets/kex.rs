//! Fuzz target `kex`: see `libssh2_rs_fuzz::harness::kex`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| libssh2_rs_fuzz::harness::kex(data));
