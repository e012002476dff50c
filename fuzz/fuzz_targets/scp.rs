//! Fuzz target `scp`: see `libssh2_rs_fuzz::harness::scp`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| libssh2_rs_fuzz::harness::scp(data));
