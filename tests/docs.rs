//! The man pages in docs/man: one per exported function and per API macro
//! of the public headers, each rendering cleanly with man(1), each listing
//! only error codes that exist, and all in step with their generator.
//!
//! Needs `man` (man-db) and `groff`; CI installs them. Missing tools fail the
//! test rather than skip it, so a CI image without them is noticed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Pages the issue asks for: 172 names of libssh2's docs index plus the 11
/// further 1.11.1 exports. The headers may declare more (extra macros).
const MIN_PAGES: usize = 183;
/// Width at which pages are rendered, as a typical terminal.
const MANWIDTH: &str = "80";
/// The public headers, in include/.
const HEADERS: &[&str] = &["libssh2.h", "libssh2_sftp.h", "libssh2_publickey.h"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

/// Removes /* */ comments.
fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("/*") {
        out.push_str(&rest[..i]);
        rest = rest[i + 2..].find("*/").map_or("", |j| &rest[i + 2 + j + 2..]);
    }
    out.push_str(rest);
    out
}

/// The first `libssh2_*` identifier directly followed by `(` in `s`.
fn first_call_name(s: &str) -> Option<String> {
    let mut from = 0;
    while let Some(i) = s[from..].find("libssh2_") {
        let start = from + i;
        let end = s[start..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(s.len(), |n| start + n);
        let boundary = start == 0 || !s[..start].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
        if boundary && s[end..].trim_start().starts_with('(') {
            return Some(s[start..end].to_string());
        }
        from = end;
    }
    None
}

/// (exported functions, function-like API macros) declared in include/.
fn header_api() -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut funcs, mut macros) = (BTreeSet::new(), BTreeSet::new());
    for h in HEADERS {
        let text = read(&root().join("include").join(h)).replace("\\\n", " ");
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("#define libssh2_") {
                let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                if rest[name.len()..].starts_with('(') {
                    macros.insert(format!("libssh2_{name}"));
                }
            }
        }
        let code: String =
            strip_comments(&text).lines().filter(|l| !l.trim_start().starts_with('#')).collect::<Vec<_>>().join("\n");
        for decl in code.split(';') {
            if let Some(i) = decl.find("LIBSSH2_API") {
                if let Some(name) = first_call_name(&decl[i..]) {
                    funcs.insert(name);
                }
            }
        }
    }
    (funcs, macros)
}

fn pages() -> BTreeSet<String> {
    std::fs::read_dir(root().join("docs/man"))
        .expect("docs/man exists")
        .filter_map(|e| e.ok()?.file_name().into_string().ok()?.strip_suffix(".3").map(str::to_string))
        .collect()
}

fn defined_error_codes() -> BTreeSet<String> {
    read(&root().join("include/libssh2.h"))
        .lines()
        .filter_map(|l| l.strip_prefix("#define LIBSSH2_ERROR_"))
        .map(|r| format!("LIBSSH2_ERROR_{}", r.split_whitespace().next().unwrap_or("")))
        .collect()
}

#[test]
fn every_function_and_macro_has_a_page() {
    let (funcs, macros) = header_api();
    assert_eq!(funcs.len(), 137, "the headers should declare libssh2 1.11.1's 137 exports");
    assert!(macros.len() >= 46, "the headers should define libssh2's 46 API macros, found {}", macros.len());
    let pages = pages();
    let missing: Vec<_> = funcs.iter().chain(&macros).filter(|n| !pages.contains(*n)).collect();
    assert!(missing.is_empty(), "no man page for: {missing:?}");
    let stray: Vec<_> = pages.iter().filter(|p| !funcs.contains(*p) && !macros.contains(*p)).collect();
    assert!(stray.is_empty(), "pages for names the headers do not declare: {stray:?}");
    assert!(pages.len() >= MIN_PAGES, "{} pages, want at least {MIN_PAGES}", pages.len());
}

#[test]
fn pages_have_the_required_sections() {
    for name in pages() {
        let text = read(&root().join(format!("docs/man/{name}.3")));
        assert!(text.contains(&format!(".TH {name} 3 ")), "{name}: .TH line");
        for sec in ["NAME", "SYNOPSIS", "DESCRIPTION", "RETURN VALUE", "ERRORS", "BLOCKING", "AVAILABILITY"] {
            assert!(text.contains(&format!("\n.SH {sec}\n")), "{name}: no {sec} section");
        }
        let synopsis = text.split("\n.SH SYNOPSIS\n").nth(1).and_then(|s| s.split("\n.fi\n").next()).unwrap_or("");
        assert!(synopsis.contains(&format!("{name}(")), "{name}: SYNOPSIS does not declare it");
    }
}

#[test]
fn listed_error_codes_exist() {
    let defined = defined_error_codes();
    assert!(defined.contains("LIBSSH2_ERROR_EAGAIN"));
    for name in pages() {
        let text = read(&root().join(format!("docs/man/{name}.3")));
        let mut rest = text.as_str();
        while let Some(i) = rest.find("LIBSSH2_ERROR_") {
            let tail = &rest[i..];
            let end = tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(tail.len());
            let code = &tail[..end];
            rest = &tail[end..];
            if code == "LIBSSH2_ERROR_" {
                continue; // "LIBSSH2_ERROR_*": the family, not a code
            }
            assert!(defined.contains(code), "{name} lists {code}, which include/libssh2.h does not define");
        }
    }
}

#[test]
fn pages_render_without_warnings() {
    let probe = Command::new("man").arg("--version").output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "man(1) is missing: install the man-db and groff packages to check the pages"
    );
    let mut bad = Vec::new();
    for name in pages() {
        let path = root().join(format!("docs/man/{name}.3"));
        let out = Command::new("man")
            .args(["--warnings", "-l"])
            .arg(&path)
            .env("MANWIDTH", MANWIDTH)
            .env("MAN_KEEP_FORMATTING", "")
            .env("LC_ALL", "C.UTF-8")
            .output()
            .expect("run man");
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() || !stderr.trim().is_empty() || out.stdout.is_empty() {
            bad.push(format!("{name}: status {:?}: {stderr}", out.status.code()));
        }
    }
    assert!(bad.is_empty(), "man --warnings complained:\n{}", bad.join("\n"));
}

#[test]
fn pages_match_their_generator() {
    let out = Command::new("python3")
        .arg(root().join("docs/tools/gen_man.py"))
        .arg("--check")
        .output()
        .expect("python3 is needed (the sshd fixture uses it too)");
    assert!(
        out.status.success(),
        "docs/man is stale; run docs/tools/gen_man.py:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
