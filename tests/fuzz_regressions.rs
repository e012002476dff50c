//! Replays every committed fuzz input through the fuzz targets' own code:
//! the seed corpus (fuzz/corpus/<target>/) and the reproducers of fixed
//! crashes (fuzz/regressions/<target>/). Built only with `--features fuzzing`
//! (the targets need `Session::fuzz_established`); `scripts/fuzz.sh` and
//! `scripts/test.sh` run it as `cargo test --features fuzzing --test fuzz_regressions`.

#[path = "../fuzz/src/harness.rs"]
#[allow(dead_code)]
mod harness;

use std::path::Path;

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
            let r = std::panic::catch_unwind(|| target(&data));
            assert!(r.is_ok(), "{name}: {} panics", f.display());
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
