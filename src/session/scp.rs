//! SCP (the classic rcp protocol over an exec channel): `scp -f` to fetch a
//! file, `scp -t` to store one. The handshake (T and C lines, acks) runs
//! here; the file bytes then go through ordinary channel reads and writes,
//! with the channel's `scp` tail limiting reads to the file size and sending
//! the final status byte before our EOF.

use super::channel::{PACKET_DEFAULT, WINDOW_DEFAULT};
use super::driver::{drive, ready, Pending, Ready, Step};
use super::startup::{ChannelStartup, StartupError, StartupSpec};
use super::Session;
use crate::error::{code, Error, Result};
use crate::proto::msg;
use crate::proto::wire::Writer;

/// Longest T/C/error line accepted from the remote scp.
pub const SCP_LINE_MAX: usize = 4096;
/// Mode bits an SCP C line carries.
pub const SCP_MODE_MASK: u32 = 0o7777;

/// What `scp_recv` learnt about the file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScpStat {
    /// Permission bits from the C line.
    pub mode: u32,
    /// File size in bytes.
    pub size: u64,
    /// Modification time (T line; 0 without one).
    pub mtime: i64,
    /// Access time (T line; 0 without one).
    pub atime: i64,
}

/// Per-channel SCP bookkeeping once the handshake is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScpTail {
    /// True for an upload (scp -t), false for a download (scp -f).
    pub upload: bool,
    /// File bytes still to read (download) or write (upload).
    pub remaining: u64,
    /// The status byte after the data went out (or the app wrote past the size).
    pub trailer_done: bool,
}

/// Steps of an SCP start-up, kept between calls (resumable).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    /// Opening the session channel and starting the remote scp on it.
    Start(ChannelStartup),
    /// Writing `out[sent..]`, then going to `next`.
    Write { id: u32, out: Vec<u8>, sent: usize, next: Box<Stage> },
    /// Reading one line (download: T or C; upload: a one-byte ack or error).
    ReadLine { id: u32, what: LineKind },
    /// Finished: the channel is ready for the application.
    Ready(u32),
}

/// Which line a ReadLine stage waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    /// Download: the T line (with -p).
    Times,
    /// Download: the C line.
    File,
    /// Upload: the ack after the command starts.
    AckStart,
    /// Upload: the ack after our T line.
    AckTimes,
    /// Upload: the ack after our C line.
    AckFile,
}

/// The SCP operation in flight (the session's `scp` slot, run by `resume`).
#[derive(Debug)]
pub struct ScpState {
    stage: Stage,
    cmd: Vec<u8>,
    line: Vec<u8>,
    stat: ScpStat,
    /// Upload parameters: the T line (if any) and the C line.
    t_line: Option<Vec<u8>>,
    c_line: Vec<u8>,
    size: u64,
}

/// Quotes `path` for the remote shell the way libssh2 does: single quotes,
/// apostrophes inside double quotes, `!` as `\!` (csh-safe).
pub fn shell_quote(path: &[u8]) -> Vec<u8> {
    #[derive(PartialEq)]
    enum Q {
        Unquoted,
        Single,
        Double,
    }
    let mut out = Vec::with_capacity(path.len() * 3 + 2);
    let mut state = Q::Unquoted;
    for &c in path.iter().take_while(|&&c| c != 0) {
        match c {
            b'\'' => {
                match state {
                    Q::Unquoted => out.push(b'"'),
                    Q::Double => {}
                    Q::Single => out.extend_from_slice(b"'\""),
                }
                state = Q::Double;
            }
            b'!' => {
                match state {
                    Q::Unquoted => out.push(b'\\'),
                    Q::Double => out.extend_from_slice(b"\"\\"),
                    Q::Single => out.extend_from_slice(b"'\\"),
                }
                state = Q::Unquoted;
            }
            _ => {
                match state {
                    Q::Unquoted => out.push(b'\''),
                    Q::Double => out.extend_from_slice(b"\"'"),
                    Q::Single => {}
                }
                state = Q::Single;
            }
        }
        out.push(c);
    }
    match state {
        Q::Double => out.push(b'"'),
        Q::Single => out.push(b'\''),
        Q::Unquoted => {}
    }
    out
}

fn scp_err(msg: &'static str) -> Error {
    Error::new(code::SCP_PROTOCOL, msg)
}

/// Builds the remote command: `scp -[p]f|t <path>`.
fn command(flag: &str, preserve: bool, path: &[u8], quote: bool) -> Vec<u8> {
    let mut cmd = format!("scp -{}{flag} ", if preserve { "p" } else { "" }).into_bytes();
    let path: Vec<u8> = path.iter().copied().take_while(|&c| c != 0).collect();
    cmd.extend(if quote { shell_quote(&path) } else { path });
    cmd
}

/// Parses an unsigned decimal field (digits only, no sign).
fn parse_dec(field: &[u8]) -> Option<u64> {
    if field.is_empty() || !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(field).ok()?.parse().ok()
}

/// Parses `T<mtime> <usec> <atime> <usec>` (without the newline).
pub fn parse_t_line(line: &[u8]) -> Result<(i64, i64)> {
    let rest = line.strip_prefix(b"T").ok_or(scp_err("Invalid response from SCP server, malformed mtime"))?;
    let f: Vec<&[u8]> = rest.split(|&c| c == b' ').collect();
    let [m, mu, a, au] = f.as_slice() else {
        return Err(scp_err("Invalid response from SCP server, too short or malformed"));
    };
    let num = |x: &[u8]| parse_dec(x).and_then(|v| i64::try_from(v).ok());
    match (num(m), num(mu), num(a), num(au)) {
        (Some(m), Some(_), Some(a), Some(_)) => Ok((m, a)),
        _ => Err(scp_err("Invalid response from SCP server, malformed mtime")),
    }
}

/// Parses `C<mode> <size> <name>` (without the newline): (mode, size).
pub fn parse_c_line(line: &[u8]) -> Result<(u32, u64)> {
    let rest = line.strip_prefix(b"C").ok_or(scp_err("Invalid response from SCP server"))?;
    let mut f = rest.splitn(3, |&c| c == b' ');
    let (Some(mode), Some(size), Some(name)) = (f.next(), f.next(), f.next()) else {
        return Err(scp_err("Invalid response from SCP server, too short or malformed"));
    };
    if mode.is_empty() || !mode.iter().all(|c| (b'0'..=b'7').contains(c)) {
        return Err(scp_err("Invalid response from SCP server, invalid mode"));
    }
    let mode = std::str::from_utf8(mode)
        .ok()
        .and_then(|m| u32::from_str_radix(m, 8).ok())
        .filter(|m| *m <= SCP_MODE_MASK)
        .ok_or(scp_err("Invalid response from SCP server, invalid mode"))?;
    let size = parse_dec(size)
        .filter(|s| *s <= i64::MAX as u64)
        .ok_or(scp_err("Invalid response from SCP server, invalid size"))?;
    if name.is_empty() || name.contains(&b'/') {
        return Err(scp_err("Invalid response from SCP server, bad file name"));
    }
    Ok((mode, size))
}

/// The text of a remote \x01/\x02 error line, as an SCP_PROTOCOL error.
fn remote_error(context: &str, line: &[u8]) -> Error {
    let text = String::from_utf8_lossy(line.get(1..).unwrap_or(&[])).trim_end().to_string();
    Error::with(code::SCP_PROTOCOL, format!("{context}: {text}"))
}

impl Session {
    /// Fetches `path` with `scp -f` (`-pf` when `want_times`). Returns the
    /// channel to read the file from and what the C (and T) line said.
    pub fn scp_recv(&mut self, path: &[u8], want_times: bool, quote: bool) -> Result<(u32, ScpStat)> {
        let start = || ScpState {
            cmd: command("f", want_times, path, quote),
            stage: Stage::Start(ChannelStartup::Open),
            line: Vec::new(),
            stat: ScpStat::default(),
            t_line: None,
            c_line: Vec::new(),
            size: 0,
        };
        drive(self, |s| s.resume(|s| &mut s.scp, start, |s, st| s.scp_run(st, false, want_times)))
    }

    /// Stores a file at `path` with `scp -t` (`-pt` when a time is given).
    /// Returns the channel to write `size` bytes of file data to.
    pub fn scp_send(&mut self, path: &[u8], mode: u32, size: u64, mtime: i64, atime: i64, quote: bool) -> Result<u32> {
        let start = || {
            let times = mtime != 0 || atime != 0;
            let base = path.iter().copied().take_while(|&c| c != 0).collect::<Vec<u8>>();
            let base = base.rsplit(|&c| c == b'/').next().unwrap_or(&[]).to_vec();
            let mut c_line = format!("C{:04o} {size} ", mode & SCP_MODE_MASK).into_bytes();
            c_line.extend_from_slice(&base);
            c_line.push(b'\n');
            ScpState {
                cmd: command("t", times, path, quote),
                stage: Stage::Start(ChannelStartup::Open),
                line: Vec::new(),
                stat: ScpStat::default(),
                t_line: times.then(|| format!("T{mtime} 0 {atime} 0\n").into_bytes()),
                c_line,
                size,
            }
        };
        let r = drive(self, |s| s.resume(|s| &mut s.scp, start, |s, st| s.scp_run(st, true, false)));
        r.map(|(id, _)| id)
    }

    /// One step of an SCP start; a failure drops the channel it opened.
    fn scp_run(&mut self, st: &mut ScpState, upload: bool, want_times: bool) -> Result<Step<(u32, ScpStat)>> {
        let r = self.scp_step(st, upload, want_times);
        if r.is_err() {
            let id = match st.stage {
                Stage::Start(start) => start.channel(),
                Stage::Write { id, .. } | Stage::ReadLine { id, .. } | Stage::Ready(id) => Some(id),
            };
            if let Some(id) = id {
                self.abandon_channel(id);
            }
        }
        r
    }

    /// Sends CLOSE on a channel and forgets it without waiting for the reply.
    pub(crate) fn abandon_channel(&mut self, id: u32) {
        if let Some(ch) = self.channels.map.remove(&id) {
            if ch.open && !ch.close_sent() && self.dead.is_none() {
                let mut w = Writer::msg(msg::CHANNEL_CLOSE);
                w.u32(ch.remote_id);
                let _ = self.send(&w.buf);
            }
        }
    }

    fn scp_step(&mut self, st: &mut ScpState, upload: bool, want_times: bool) -> Result<Step<(u32, ScpStat)>> {
        loop {
            let stage = st.stage.clone();
            match stage {
                Stage::Start(mut start) => {
                    let cmd = st.cmd.clone();
                    let spec = StartupSpec {
                        window: WINDOW_DEFAULT,
                        packet: PACKET_DEFAULT,
                        request: b"exec",
                        arg: &cmd,
                        refused: "Unable to complete request for channel-process-startup",
                    };
                    let r = start.step(self, &spec);
                    // Kept on every outcome: a failure's clean-up closes the channel it names.
                    st.stage = Stage::Start(start);
                    let id = match r {
                        Ok(step) => ready!(step),
                        Err(StartupError::Open(e) | StartupError::Request(_, e)) => return Err(e),
                    };
                    st.stage = if upload {
                        Stage::ReadLine { id, what: LineKind::AckStart }
                    } else {
                        // The wakeup ack makes the remote scp start sending.
                        let next = if want_times { LineKind::Times } else { LineKind::File };
                        Stage::Write { id, out: vec![0], sent: 0, next: Box::new(Stage::ReadLine { id, what: next }) }
                    };
                }
                Stage::Write { id, out, sent, next } => {
                    let rest = out.get(sent..).unwrap_or(&[]);
                    if rest.is_empty() {
                        st.stage = *next;
                        continue;
                    }
                    let n = ready!(self.channel_write_step(id, 0, rest)?);
                    st.stage = Stage::Write { id, out, sent: sent + n, next };
                }
                Stage::ReadLine { id, what } => {
                    let line = ready!(self.scp_read_line(st, id, what)?);
                    self.scp_line(st, id, what, &line)?;
                }
                Stage::Ready(id) => {
                    let size = if upload { st.size } else { st.stat.size };
                    let ch =
                        self.channels.map.get_mut(&id).ok_or(Error::new(code::CHANNEL_UNKNOWN, "Channel not found"))?;
                    ch.scp = Some(ScpTail { upload, remaining: size, trailer_done: false });
                    return Ok(Ready((id, st.stat)));
                }
            }
        }
    }

    /// Acts on a complete line (or one-byte ack) from the remote scp.
    fn scp_line(&mut self, st: &mut ScpState, id: u32, what: LineKind, line: &[u8]) -> Result<()> {
        let first = line.first().copied();
        if matches!(first, Some(1) | Some(2)) {
            let ctx = match what {
                LineKind::Times | LineKind::File => "Failed to recv file",
                _ => "Failed to send file",
            };
            return Err(remote_error(ctx, line));
        }
        let ack = |next: Stage| Stage::Write { id, out: vec![0], sent: 0, next: Box::new(next) };
        st.stage = match what {
            LineKind::Times => {
                let (mtime, atime) = parse_t_line(line)?;
                st.stat.mtime = mtime;
                st.stat.atime = atime;
                ack(Stage::ReadLine { id, what: LineKind::File })
            }
            LineKind::File => {
                let (mode, size) = parse_c_line(line)?;
                st.stat.mode = mode;
                st.stat.size = size;
                ack(Stage::Ready(id))
            }
            LineKind::AckStart | LineKind::AckTimes | LineKind::AckFile => {
                if first != Some(0) {
                    return Err(scp_err("Invalid ACK response from remote"));
                }
                match (what, st.t_line.clone()) {
                    (LineKind::AckStart, Some(t)) => Stage::Write {
                        id,
                        out: t,
                        sent: 0,
                        next: Box::new(Stage::ReadLine { id, what: LineKind::AckTimes }),
                    },
                    (LineKind::AckStart, None) | (LineKind::AckTimes, _) => Stage::Write {
                        id,
                        out: st.c_line.clone(),
                        sent: 0,
                        next: Box::new(Stage::ReadLine { id, what: LineKind::AckFile }),
                    },
                    _ => Stage::Ready(id),
                }
            }
        };
        Ok(())
    }

    /// Collects one line from the channel into `scp.line` (resumable). An ack
    /// is the single byte 0; anything else runs to a newline.
    fn scp_read_line(&mut self, st: &mut ScpState, id: u32, what: LineKind) -> Result<Step<Vec<u8>>> {
        let ack = matches!(what, LineKind::AckStart | LineKind::AckTimes | LineKind::AckFile);
        loop {
            let mut b = [0u8; 1];
            let n = ready!(self.channel_read_step(id, 0, &mut b)?);
            if n == 0 {
                return Err(scp_err("Unexpected channel close"));
            }
            st.line.push(b[0]);
            if ack && st.line == [0] {
                break;
            }
            if b[0] == b'\n' {
                break;
            }
            if st.line.len() >= SCP_LINE_MAX {
                return Err(scp_err("Unterminated response from SCP server"));
            }
        }
        let mut line = std::mem::take(&mut st.line);
        while matches!(line.last(), Some(b'\n') | Some(b'\r')) {
            line.pop();
        }
        Ok(Ready(line))
    }

    /// Before our EOF on an SCP channel: the final status byte, once all file
    /// bytes went through (upload: "file done"; download: ack of the file).
    /// Pending while the peer's window is shut.
    pub(crate) fn scp_trailer(&mut self, id: u32) -> Result<Step<()>> {
        let due = |s: &mut Session| {
            let ch = s.channels.map.get(&id)?;
            let tail = ch.scp.as_ref()?;
            (!tail.trailer_done && tail.remaining == 0 && !ch.close_received()).then_some(ch.remote_window)
        };
        match due(self) {
            None => return Ok(Ready(())),
            Some(0) => {
                // The byte needs window: take in adjustments, else wait for them.
                self.pump()?;
                if due(self) == Some(0) {
                    self.block_dirs |= super::io::dir::INBOUND;
                    return Ok(Pending);
                }
                if due(self).is_none() {
                    return Ok(Ready(()));
                }
            }
            Some(_) => {}
        }
        let Some(ch) = self.channels.map.get_mut(&id) else { return Ok(Ready(())) };
        let Some(tail) = ch.scp.as_mut() else { return Ok(Ready(())) };
        tail.trailer_done = true;
        ch.remote_window -= 1;
        let mut w = Writer::msg(msg::CHANNEL_DATA);
        w.u32(ch.remote_id).string(&[0]);
        self.send(&w.buf).map(Ready)
    }

    /// Is there an SCP operation half done (non-blocking resume pending)?
    pub fn scp_in_progress(&self) -> bool {
        self.scp.is_some()
    }
}

/// Read limit for stream 0 of a download channel (None: no limit).
pub fn read_limit(tail: &Option<ScpTail>) -> Option<u64> {
    tail.filter(|t| !t.upload).map(|t| t.remaining)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_matches_libssh2() {
        assert_eq!(shell_quote(b"one two"), b"'one two'");
        assert_eq!(shell_quote(b"doesn't"), b"'doesn'\"'\"'t'");
        assert_eq!(shell_quote(b"a'''b"), b"'a'\"'''\"'b'");
        assert_eq!(shell_quote(b"a!b"), b"'a'\\!'b'");
        assert_eq!(shell_quote(b"'"), b"\"'\"");
        assert_eq!(shell_quote(b"!"), b"\\!");
        assert_eq!(shell_quote(b""), b"");
        assert_eq!(shell_quote(b"a'!b"), b"'a'\"'\"\\!'b'");
    }

    #[test]
    fn command_lines() {
        assert_eq!(command("f", true, b"/tmp/a b", true), b"scp -pf '/tmp/a b'");
        assert_eq!(command("t", false, b"/tmp/a b", false), b"scp -t /tmp/a b");
    }

    #[test]
    fn t_and_c_lines() {
        assert_eq!(parse_t_line(b"T1700000000 0 1600000000 0").unwrap(), (1_700_000_000, 1_600_000_000));
        for bad in [&b"T1 0 2"[..], b"T", b"Tx 0 1 0", b"T1 0 1 0 5", b"T-1 0 1 0", b"X1 0 1 0", b"T1  1 0"] {
            assert_eq!(parse_t_line(bad).unwrap_err().code, code::SCP_PROTOCOL, "{:?}", bad);
        }
        assert_eq!(parse_c_line(b"C0644 12 a b c").unwrap(), (0o644, 12));
        assert_eq!(parse_c_line(b"C4755 0 x").unwrap(), (0o4755, 0));
        for bad in [
            &b"C0644 -1 a"[..],
            b"C0644 99999999999999999999 a",
            b"C0648 1 a",
            b"C0644 1",
            b"C0644 1 ",
            b"C 1 a",
            b"D0755 0 dir",
            b"C0644 1 ../x",
            b"C17777 1 a",
        ] {
            assert_eq!(parse_c_line(bad).unwrap_err().code, code::SCP_PROTOCOL, "{:?}", bad);
        }
    }

    #[test]
    fn remote_errors_keep_the_text() {
        let e = remote_error("Failed to recv file", b"\x01scp: /nope: No such file or directory");
        assert_eq!(e.code, code::SCP_PROTOCOL);
        assert!(e.msg.contains("scp: /nope: No such file or directory"), "{}", e.msg);
    }
}
