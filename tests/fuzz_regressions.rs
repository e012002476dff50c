//! Replays every committed fuzz input through the fuzz targets' own code:
//! the seed corpus (fuzz/corpus/<target>/) and the reproducers of fixed
//! crashes (fuzz/regressions/<target>/). Built only with `--features fuzzing`
//! (the targets need `Session::fuzz_established`); `scripts/fuzz.sh` and
//! `scripts/test.sh` run it as `cargo test --features fuzzing --test fuzz_regressions`.

#[path = "../fuzz/src/harness.rs"]
#[allow(dead_code)]
mod harness;

use std::path::Path;

/// The fuzz runs' per-input limit (scripts/fuzz.sh INPUT_TIMEOUT_S).
const INPUT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// Runs each file under `dir/<target>/` through its target; returns how many ran.
fn replay(dir: &str) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(dir);
    let mut ran = 0;
    for (name, target) in harness::TARGETS {
        let Ok(entries) = std::fs::read_dir(root.join(name)) else { continue };
        let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        for f in files {
            let data = std::fs::read(&f).unwrap();
            let start = std::time::Instant::now();
            let r = std::panic::catch_unwind(|| target(&data));
            assert!(r.is_ok(), "{name}: {} panics", f.display());
            // A timeout reproducer must finish as fast as the fuzzer demands.
            assert!(start.elapsed() < INPUT_TIMEOUT, "{name}: {} took {:?}", f.display(), start.elapsed());
            ran += 1;
        }
    }
    ran
}

#[test]
fn every_seed_runs_clean() {
    let n = replay("corpus");
    // Every target has seeds.
    assert!(n >= harness::TARGETS.len(), "only {n} seeds found");
}

#[test]
fn every_crash_reproducer_runs_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let n = replay("regressions");
    assert!(!root.exists() || n > 0, "fuzz/regressions exists but holds no reproducer");
    println!("{n} reproducers replayed");
}

/// Each hand-made sftp seed (fuzz/seeds/make_sftp_seeds.py) is a valid server
/// side of its exchange: the operations it answers succeed with the data it
/// carries, so the fuzzer starts from deep states (pipelines, listings).
#[test]
fn sftp_seeds_get_through_their_operations() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/sftp");
    let read_ops = ["init", "open", "fstat", "eof", "close"];
    // (seed, operations that succeed, bytes read, bytes written, names listed)
    let want: &[(&str, &[&str], usize, usize, usize)] = &[
        ("init-extensions", &["init"], 0, 0, 0),
        ("paths", &["init", "realpath", "readlink", "symlink"], 0, 0, 0),
        ("init-burst", &["init"], 0, 0, 0),
        ("split-packets", &["init", "realpath"], 0, 0, 0),
        ("stat", &["init", "stat", "lstat", "setstat"], 0, 0, 0),
        ("read-pipeline", &read_ops, 200, 0, 0),
        ("read-short", &read_ops, 10, 0, 0),
        ("read-error", &["init", "open", "fstat", "close"], 10, 0, 0),
        ("write-pipeline", &["init", "open-write", "fsync", "fstatvfs", "close-write"], 0, 4096, 0),
        ("readdir", &["init", "opendir", "readdir-end", "closedir"], 0, 0, 3),
        ("misc", &["init", "statvfs", "mkdir", "rmdir", "rename", "posix-rename"], 0, 0, 0),
        ("shutdown", &["init", "shutdown"], 0, 0, 0),
    ];
    for &(name, ops, read, written, names) in want {
        let data = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("seed {name}: {e}"));
        let got = harness::sftp_run(&data);
        assert_eq!(got.ok, ops, "{name}: operations that succeeded");
        assert_eq!((got.read, got.written, got.names), (read, written, names), "{name}: read, written, listed");
    }
}
