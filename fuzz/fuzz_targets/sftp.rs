//! Fuzz target `sftp`: see `libssh2_rs_fuzz::harness::sftp`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| libssh2_rs_fuzz::harness::sftp(data));
