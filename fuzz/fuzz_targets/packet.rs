//! Fuzz target `packet`: see `libssh2_rs_fuzz::harness::packet`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| libssh2_rs_fuzz::harness::packet(data));
