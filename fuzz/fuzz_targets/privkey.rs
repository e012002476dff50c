//! Fuzz target `privkey`: see `libssh2_rs_fuzz::harness::privkey`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| libssh2_rs_fuzz::harness::privkey(data));
