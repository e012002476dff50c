//! Test-only entry points for fuzzing: a connection that is already past its
//! key exchange with the plaintext ("none") cipher, so fuzz input reaches the
//! post-kex parsers. Compiled only for tests and `--cfg fuzzing`, never in releases.

use super::*;

impl Conn {
    /// A connection whose first key exchange is complete, with no cipher or MAC.
    pub fn fuzz_established() -> Self {
        let mut c = Conn::new(None, Default::default(), GexParams::default());
        c.remote_banner = Some(b"SSH-2.0-fuzz".to_vec());
        c.first_kex_done = true;
        c.session_id = Some(vec![0; 32]);
        c.negotiated = Some(Negotiated::default());
        c
    }
}
