//! Fuzz target `knownhost`: see `libssh2_rs_fuzz::harness::knownhost`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| libssh2_rs_fuzz::harness::knownhost(data));
