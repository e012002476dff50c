//! Fuzz target `kexinit`: see `libssh2_rs_fuzz::harness::kexinit`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| libssh2_rs_fuzz::harness::kexinit(data));
