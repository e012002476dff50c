//! Test-only: the server side of an SFTP session as SSH messages, for fuzzing
//! the SFTP client with arbitrary reply bytes. With these messages in the
//! script of `Session::fuzz_established_chunks` (authenticated), `sftp_init`
//! opens its channel and starts the subsystem for real, and every byte after
//! that reaches the client's framing and reply parsers. Compiled only with
//! tests, `--cfg fuzzing` or the `fuzzing` feature.

use crate::proto::msg;
use crate::proto::wire::Writer;

/// Channel id `sftp_init` gets in a fresh session (ids are handed out from 0);
/// the scripted server uses the same number for its end.
pub const FUZZ_CHANNEL: u32 = 0;
/// Window the scripted server grants: large, so the write pipeline is not
/// window-bound unless the script sends its own messages.
pub const FUZZ_REMOTE_WINDOW: u32 = 64 * 1024 * 1024;
/// Largest channel packet the scripted server accepts (OpenSSH's value).
pub const FUZZ_REMOTE_PACKET: u32 = 32 * 1024;
/// Stream number of the scripted server's extended data (stderr).
const STDERR: u32 = 1;

/// The messages that accept `sftp_init`'s channel open and subsystem request.
pub fn accept_messages() -> Vec<Vec<u8>> {
    let mut confirm = Writer::msg(msg::CHANNEL_OPEN_CONFIRMATION);
    confirm.u32(FUZZ_CHANNEL).u32(FUZZ_CHANNEL).u32(FUZZ_REMOTE_WINDOW).u32(FUZZ_REMOTE_PACKET);
    let mut success = Writer::msg(msg::CHANNEL_SUCCESS);
    success.u32(FUZZ_CHANNEL);
    vec![confirm.buf, success.buf]
}

/// A CHANNEL_DATA message carrying SFTP stream bytes to the client.
pub fn data_message(bytes: &[u8]) -> Vec<u8> {
    let mut w = Writer::msg(msg::CHANNEL_DATA);
    w.u32(FUZZ_CHANNEL).string(bytes);
    w.buf
}

/// A CHANNEL_EXTENDED_DATA (stderr) message, which the SFTP channel ignores.
pub fn extended_data_message(bytes: &[u8]) -> Vec<u8> {
    let mut w = Writer::msg(msg::CHANNEL_EXTENDED_DATA);
    w.u32(FUZZ_CHANNEL).u32(STDERR).string(bytes);
    w.buf
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::driver::ends;
    use crate::session::fuzzing::frame_plain;
    use crate::session::Session;

    /// An SFTP packet: length, type, body.
    fn pkt(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut w = Writer::new();
        w.u32(1 + body.len() as u32).u8(kind).raw(body);
        w.buf
    }

    #[test]
    fn scripted_server_reaches_the_sftp_client() {
        let mut version = Vec::new();
        version.extend_from_slice(&3u32.to_be_bytes());
        let mut name = Writer::new();
        name.u32(0).u32(1).string(b"/home/fuzz").string(b"").u32(0);
        // One SFTP packet split over two channel messages, with stderr between.
        let name = pkt(super::super::fxp::NAME, &name.buf);
        let (a, b) = name.split_at(7);
        let mut msgs = accept_messages();
        msgs.push(data_message(&pkt(super::super::fxp::VERSION, &version)));
        msgs.push(data_message(a));
        msgs.push(extended_data_message(b"noise"));
        msgs.push(data_message(b));
        let mut s = Session::fuzz_established_chunks(msgs.iter().map(|m| frame_plain(m)).collect(), true);
        let sid = loop {
            match s.sftp_init() {
                r if !ends(&r) => continue,
                r => break r.expect("init against the script"),
            }
        };
        let path = loop {
            match s.sftp_readlink(sid, b".", crate::sftp::LinkKind::Realpath) {
                r if !ends(&r) => continue,
                r => break r.expect("realpath against the script"),
            }
        };
        assert_eq!(path.as_deref(), Some(&b"/home/fuzz"[..]));
    }
}
