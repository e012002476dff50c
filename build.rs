//! Build script: gives the shared library libssh2's soname.
//!
//! Programs linked against upstream libssh2 record `libssh2.so.1` as their
//! dependency; our cdylib must carry the same soname so the dynamic loader
//! accepts it in its place. Which symbols are exported needs no help here:
//! rustc's cdylib exports only `#[no_mangle] extern "C"` items.

/// The soname of libssh2 1.x (ABI version 1).
const SONAME: &str = "libssh2.so.1";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" || os == "freebsd" || os == "netbsd" || os == "openbsd" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{SONAME}");
    }
}
