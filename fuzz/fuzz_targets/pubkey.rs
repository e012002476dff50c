//! Fuzz target `pubkey`: see `libssh2_rs_fuzz::harness::pubkey`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| libssh2_rs_fuzz::harness::pubkey(data));
