//! OpenSSH-style host patterns: `*` matches any run, `?` any one byte.

/// True when `name` holds a wildcard and so is matched as a pattern.
pub(super) fn is_pattern(name: &[u8]) -> bool {
    name.iter().any(|&b| b == b'*' || b == b'?')
}

/// Matches `text` against `pattern`, ignoring ASCII case as OpenSSH does.
///
/// Iterative with one backtrack point, so the cost is at most
/// `pattern.len() * text.len()` steps whatever the input.
pub(super) fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    // Where the last `*` was, and the text position it is currently covering.
    let mut star: Option<(usize, usize)> = None;
    while let Some(&c) = text.get(t) {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&pc) if pc == b'?' || pc.eq_ignore_ascii_case(&c) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    star = Some((sp, st + 1));
                    p = sp + 1;
                    t = st + 1;
                }
                None => return false,
            },
        }
    }
    pattern.get(p..).unwrap_or_default().iter().all(|&b| b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_match(b"*.example.com", b"a.example.com"));
        assert!(wildcard_match(b"*.example.com", b"A.Example.COM"));
        assert!(!wildcard_match(b"*.example.com", b"example.com"));
        assert!(wildcard_match(b"host?", b"host1"));
        assert!(!wildcard_match(b"host?", b"host12"));
        assert!(wildcard_match(b"*", b""));
        assert!(wildcard_match(b"a*b*c", b"aXXbYYbc"));
        assert!(!wildcard_match(b"a*b*c", b"aXXbYYbd"));
        assert!(wildcard_match(b"[*.corp]:2222", b"[db.corp]:2222"));
        assert!(!wildcard_match(b"[*.corp]:2222", b"[db.corp]:22"));
        assert!(is_pattern(b"a*") && is_pattern(b"?") && !is_pattern(b"host"));
        // Pathological input stays cheap.
        let text = vec![b'a'; 4000];
        assert!(!wildcard_match(b"*a*a*a*a*a*a*b", &text));
    }
}
