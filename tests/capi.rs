//! C programs in tests/c/ compiled against include/ and the built library,
//! run directly and (when valgrind is installed) under valgrind.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The directory holding the libssh2.so cargo built for this test profile.
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    // target/<profile>/deps/capi-xxxx -> target/<profile>
    let dir = exe.parent().and_then(Path::parent).expect("profile dir").to_path_buf();
    assert!(dir.join("libssh2.so").exists(), "libssh2.so not built in {}", dir.display());
    dir
}

fn build(src: &str, out: &Path) {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let st = Command::new(cc)
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-g", "-I"])
        .arg(root().join("include"))
        .arg(root().join("tests/c").join(src))
        .arg("-o")
        .arg(out)
        .arg("-L")
        .arg(lib_dir())
        .arg("-lssh2")
        .status()
        .expect("run cc");
    assert!(st.success(), "compiling {src} failed");
}

/// A directory with `libssh2.so.1` -> the built library: programs ask the
/// loader for the soname, and without it the system's libssh2 would load.
fn soname_dir() -> PathBuf {
    let dir = lib_dir().join("soname");
    std::fs::create_dir_all(&dir).expect("mkdir soname");
    let link = dir.join("libssh2.so.1");
    if std::fs::read_link(&link).ok() != Some(lib_dir().join("libssh2.so")) {
        let _ = std::fs::remove_file(&link);
        // Another test may create it at the same moment; either link is right.
        let _ = std::os::unix::fs::symlink(lib_dir().join("libssh2.so"), &link);
    }
    assert!(link.exists(), "no {}", link.display());
    dir
}

fn run(bin: &Path, valgrind: bool) -> String {
    let mut cmd = if valgrind {
        let mut c = Command::new("valgrind");
        c.args(["--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect", "-q"]);
        c.arg(bin);
        c
    } else {
        Command::new(bin)
    };
    let out = cmd.env("LD_LIBRARY_PATH", soname_dir()).output().expect("run test program");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{} failed (valgrind={valgrind}):\n{text}", bin.display());
    text
}

fn have_valgrind() -> bool {
    Command::new("valgrind").arg("--version").output().map(|o| o.status.success()).unwrap_or(false)
}

#[test]
fn counting_allocator_sees_every_byte_handed_out() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("alloc_count");
    build("alloc_count.c", &bin);
    let out = run(&bin, false);
    assert!(out.contains("0 bytes live"), "{out}");
}

#[test]
fn init_and_free_are_clean_under_valgrind() {
    assert!(have_valgrind(), "valgrind is required (scripts/setup.sh installs it)");
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("alloc_count");
    build("alloc_count.c", &bin);
    let out = run(&bin, true);
    assert!(!out.contains("definitely lost"), "{out}");
}
