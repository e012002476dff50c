//! The built libssh2.so's dynamic symbol table, checked by
//! scripts/check-exports.sh (`nm -D --defined-only` against the 137
//! functions the headers declare with LIBSSH2_API, plus the SONAME).
//!
//! NOTE FOR THE LEAD: `every_libssh2_1_11_1_export_is_defined` is EXPECTED
//! TO FAIL until every API area has landed; its message lists what is still
//! missing. `only_libssh2_symbols_are_exported` must always pass.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The libssh2.so of the profile this test was built with, building it if
/// it is missing. (Not rebuilt when present: `cargo build` and `cargo test`
/// resolve dependency features differently, so each would recompile the
/// library after the other; scripts/test.sh builds it right before testing.)
fn library() -> PathBuf {
    // The test binary lives in target/<profile>/deps/.
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>");
    let lib = profile_dir.join("libssh2.so");
    if !lib.exists() {
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(["build", "--lib"]).current_dir(env!("CARGO_MANIFEST_DIR"));
        if release {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build");
        assert!(status.success(), "cargo build --lib failed");
    }
    assert!(lib.exists(), "no {}", lib.display());
    lib
}

/// Runs check-exports.sh; returns (success, stdout).
fn check_exports(allow_missing: bool) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/check-exports.sh");
    let mut cmd = Command::new("bash");
    cmd.arg(script);
    if allow_missing {
        cmd.arg("--allow-missing");
    }
    let out = cmd.arg(library()).output().expect("run check-exports.sh");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// The names listed under one heading of the script's report.
fn section(report: &str, heading: &str) -> Vec<String> {
    let mut lines = report.lines().skip_while(|l| !l.starts_with(heading));
    if lines.next().is_none() {
        return Vec::new();
    }
    lines.take_while(|l| l.starts_with("  ")).map(|l| l.trim().to_string()).collect()
}

#[test]
fn only_libssh2_symbols_are_exported() {
    let (ok, report) = check_exports(true);
    let extra = section(&report, "extra dynamic symbols");
    assert!(extra.is_empty(), "non-libssh2 dynamic symbols (only _libssh2_base64_decode may be): {extra:?}");
    assert!(report.contains("SONAME: libssh2.so.1"), "{report}");
    assert!(ok, "check-exports.sh failed:\n{report}");
}

/// EXPECTED TO FAIL until every API area (sftp, scp, agent, forwarding,
/// poll, hostbased, publickey_sk, ...) has landed.
#[test]
fn every_libssh2_1_11_1_export_is_defined() {
    let (ok, report) = check_exports(false);
    let missing = section(&report, "missing exports");
    assert!(
        missing.is_empty(),
        "{} of libssh2 1.11.1's 137 exports are missing:\n{}",
        missing.len(),
        missing.join("\n")
    );
    assert!(ok, "check-exports.sh failed:\n{report}");
}
