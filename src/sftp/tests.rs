//! Hostile and malformed replies: every one is an error with the right code,
//! never a panic or an allocation beyond the limits. Replies are injected into
//! a channel's receive buffer of an offline session.

use super::dir::parse_names;
use super::init::parse_version;
use super::wire::{self, Attributes, StatVfs, ATTR_EXTENDED, ATTR_PERMISSIONS, ATTR_SIZE};
use super::*;
use crate::proto::wire::{Reader, Writer};
use crate::session::channel::Channel;
use crate::session::Session;

/// Channel id of the fake SFTP channel.
const CHAN: u32 = 7;

/// An offline, non-blocking session with one SFTP instance (version received)
/// on channel CHAN; whatever it sends is dropped, nothing arrives but what a
/// test injects into the channel.
fn session() -> (Session, u32) {
    let mut s = Session::offline();
    s.channels.map.insert(
        CHAN,
        Channel {
            local_id: CHAN,
            local_window: CHANNEL_WINDOW,
            local_window_initial: CHANNEL_WINDOW,
            remote_window: CHANNEL_WINDOW,
            remote_max_packet: CHANNEL_PACKET,
            open: true,
            ..Default::default()
        },
    );
    s.sftp.map.insert(0, Sftp { channel: CHAN, got_version: true, version: 3, ..Default::default() });
    (s, 0)
}

fn inject(s: &mut Session, bytes: &[u8]) {
    s.channels.map.get_mut(&CHAN).unwrap().data.extend(bytes);
}

/// An SFTP packet: length, type, body.
fn pkt(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.u32(1 + body.len() as u32).u8(kind).raw(body);
    w.buf
}

fn status(id: u32, c: u32) -> Vec<u8> {
    let mut b = Writer::new();
    b.u32(id).u32(c).string(b"msg").string(b"");
    pkt(fxp::STATUS, &b.buf)
}

fn outstanding(s: &mut Session, sid: u32, id: u32, k: ReqKind) {
    s.sftp.map.get_mut(&sid).unwrap().outstanding.insert(id, k);
}

#[test]
fn packet_lengths_below_five_are_rejected() {
    for len in 0u32..5 {
        let (mut s, sid) = session();
        let mut b = len.to_be_bytes().to_vec();
        b.extend_from_slice(&[0; 8]);
        inject(&mut s, &b);
        assert_eq!(s.sftp_frame(sid).unwrap_err().code, code::SFTP_PROTOCOL, "len {len}");
        // The instance is unusable afterwards.
        assert!(s.sftp_st(sid).is_err());
    }
}

#[test]
fn oversized_packets_are_rejected_before_buffering() {
    let (mut s, sid) = session();
    outstanding(&mut s, sid, 1, ReqKind::Other);
    let mut b = ((PACKET_MAX + 1) as u32).to_be_bytes().to_vec();
    b.push(fxp::DATA);
    b.extend_from_slice(&1u32.to_be_bytes());
    inject(&mut s, &b);
    assert_eq!(s.sftp_frame(sid).unwrap_err().code, code::CHANNEL_PACKET_EXCEEDED);

    // A READDIR's NAME reply may exceed PACKET_MAX, but not READDIR_PACKET_MAX (nor 4 GiB).
    let (mut s, sid) = session();
    outstanding(&mut s, sid, 2, ReqKind::Readdir);
    let mut b = ((PACKET_MAX * 2) as u32).to_be_bytes().to_vec();
    b.push(fxp::NAME);
    b.extend_from_slice(&2u32.to_be_bytes());
    inject(&mut s, &b);
    s.sftp_frame(sid).expect("large NAME to a READDIR waits for the rest");
    let (mut s, sid) = session();
    outstanding(&mut s, sid, 2, ReqKind::Readdir);
    let mut b = u32::MAX.to_be_bytes().to_vec();
    b.push(fxp::NAME);
    b.extend_from_slice(&2u32.to_be_bytes());
    inject(&mut s, &b);
    assert_eq!(s.sftp_frame(sid).unwrap_err().code, code::CHANNEL_PACKET_EXCEEDED);
}

#[test]
fn unknown_duplicate_and_mistyped_replies_are_rejected() {
    let (mut s, sid) = session();
    inject(&mut s, &status(42, 0));
    assert_eq!(s.sftp_frame(sid).unwrap_err().code, code::SFTP_PROTOCOL, "unknown id");

    let (mut s, sid) = session();
    outstanding(&mut s, sid, 3, ReqKind::Other);
    inject(&mut s, &status(3, 0));
    s.sftp_frame(sid).unwrap();
    inject(&mut s, &status(3, 0));
    assert_eq!(s.sftp_frame(sid).unwrap_err().code, code::SFTP_PROTOCOL, "duplicate id");

    let (mut s, sid) = session();
    outstanding(&mut s, sid, 3, ReqKind::Other);
    inject(&mut s, &pkt(50, &3u32.to_be_bytes()));
    assert_eq!(s.sftp_frame(sid).unwrap_err().code, code::SFTP_PROTOCOL, "bad type");

    let (mut s, sid) = session();
    s.sftp.map.get_mut(&sid).unwrap().got_version = false;
    inject(&mut s, &status(0, 0));
    assert_eq!(s.sftp_frame(sid).unwrap_err().code, code::SFTP_PROTOCOL, "reply before VERSION");
}

#[test]
fn replies_to_abandoned_requests_are_discarded() {
    let (mut s, sid) = session();
    let st = s.sftp.map.get_mut(&sid).unwrap();
    st.outstanding.insert(9, ReqKind::Read);
    st.abandon(9);
    inject(&mut s, &status(9, 1));
    s.sftp_frame(sid).unwrap();
    let st = s.sftp_st(sid).unwrap();
    assert!(st.replies.is_empty() && st.zombies.is_empty());
    assert!(s.channels.map[&CHAN].data.is_empty());
}

#[test]
fn packets_split_across_channel_data_are_reassembled() {
    let (mut s, sid) = session();
    outstanding(&mut s, sid, 4, ReqKind::Other);
    outstanding(&mut s, sid, 5, ReqKind::Other);
    let mut both = status(4, 0);
    both.extend(status(5, 2));
    for b in both.chunks(3) {
        inject(&mut s, b);
        s.sftp_frame(sid).unwrap();
    }
    let st = s.sftp_st(sid).unwrap();
    assert_eq!(wire::status_code(&st.replies[&4]).unwrap(), 0);
    assert_eq!(wire::status_code(&st.replies[&5]).unwrap(), 2);
}

#[test]
fn short_status_is_a_protocol_error() {
    assert_eq!(wire::status_code(&[fxp::STATUS, 0, 0, 0, 1, 0, 0, 0]).unwrap_err().code, code::SFTP_PROTOCOL);
    assert_eq!(wire::status_code(&[fxp::HANDLE, 0, 0, 0, 1, 0, 0, 0, 0]).unwrap_err().code, code::SFTP_PROTOCOL);
    assert_eq!(wire::status_code(&[fxp::STATUS, 0, 0, 0, 1, 0, 0, 0, 3]).unwrap(), 3);
}

#[test]
fn version_and_extensions() {
    let mut b = Writer::new();
    b.u32(6).string(b"posix-rename@openssh.com").string(b"1").string(b"limits@openssh.com").string(b"1");
    let (v, ext) = parse_version(&pkt(fxp::VERSION, &b.buf)[4..]).unwrap();
    assert_eq!(v, 3, "capped at 3");
    assert_eq!(ext.posix_rename, 1);
    assert!(ext.limits);
    assert_eq!(ext.all.len(), 2);
    // Truncated version, truncated pair.
    assert_eq!(parse_version(&[fxp::VERSION, 0, 0]).unwrap_err().code, code::SFTP_PROTOCOL);
    let mut b = Writer::new();
    b.u32(3).string(b"name-without-data");
    assert_eq!(parse_version(&pkt(fxp::VERSION, &b.buf)[4..]).unwrap_err().code, code::SFTP_PROTOCOL);
    let mut b = Writer::new();
    b.u32(3).u32(0xffff_ffff);
    assert_eq!(parse_version(&pkt(fxp::VERSION, &b.buf)[4..]).unwrap_err().code, code::SFTP_PROTOCOL);
}

#[test]
fn name_replies_are_validated_whole() {
    // A count that cannot fit the packet is refused before any allocation.
    let mut b = Writer::new();
    b.u32(1).u32(0x4000_0000);
    assert_eq!(parse_names(&pkt(fxp::NAME, &b.buf)[4..]).unwrap_err().code, code::SFTP_PROTOCOL);
    // Attribute flags that promise fields past the end.
    let mut b = Writer::new();
    b.u32(1).u32(1).string(b"f").string(b"-rw f").u32(ATTR_SIZE | ATTR_PERMISSIONS).u64(5);
    assert_eq!(parse_names(&pkt(fxp::NAME, &b.buf)[4..]).unwrap_err().code, code::SFTP_PROTOCOL);
    // Extended attribute count far beyond the data.
    let mut b = Writer::new();
    b.u32(1).u32(1).string(b"f").string(b"l").u32(ATTR_EXTENDED).u32(u32::MAX);
    assert_eq!(parse_names(&pkt(fxp::NAME, &b.buf)[4..]).unwrap_err().code, code::SFTP_PROTOCOL);
    // A good reply: ranges point at the strings.
    let mut b = Writer::new();
    b.u32(1).u32(2);
    b.string(b"one").string(b"long one").u32(ATTR_SIZE).u64(10);
    b.string(b"two").string(b"long two").u32(0);
    let p = pkt(fxp::NAME, &b.buf)[4..].to_vec();
    let e = parse_names(&p).unwrap();
    assert_eq!(&p[e[0].name.0..e[0].name.1], b"one");
    assert_eq!(&p[e[1].long.0..e[1].long.1], b"long two");
    assert_eq!(e[0].attrs.size, 10);
    assert_eq!(e[1].attrs.flags, 0);
}

#[test]
fn attributes_round_trip_and_mask() {
    let a = Attributes {
        flags: 0xf | ATTR_EXTENDED,
        size: 1 << 40,
        uid: 1,
        gid: 2,
        permissions: 0o100644,
        atime: 3,
        mtime: 4,
    };
    let mut w = Writer::new();
    a.encode(&mut w);
    let back = Attributes::decode(&mut Reader::new(&w.buf)).unwrap();
    assert_eq!(back, Attributes { flags: 0xf, ..a }, "EXTENDED is never sent");
    // Extended pairs are skipped; the flag is kept as received.
    let mut w = Writer::new();
    w.u32(ATTR_EXTENDED | ATTR_SIZE).u64(9).u32(1).string(b"k").string(b"v");
    let mut r = Reader::new(&w.buf);
    let d = Attributes::decode(&mut r).unwrap();
    assert!(r.is_empty());
    assert_eq!((d.flags, d.size), (ATTR_EXTENDED | ATTR_SIZE, 9));
}

#[test]
fn statvfs_reply() {
    let mut b = Writer::new();
    b.u32(1);
    for v in [4096u64, 4096, 100, 50, 40, 1000, 900, 800, 77, 0xff, 255] {
        b.u64(v);
    }
    let p = pkt(fxp::EXTENDED_REPLY, &b.buf)[4..].to_vec();
    let v = StatVfs::decode(&p).unwrap();
    assert_eq!((v.bsize, v.blocks, v.fsid, v.namemax), (4096, 100, 77, 255));
    assert_eq!(v.flag, 3, "only RDONLY and NOSUID survive");
    assert_eq!(StatVfs::decode(&p[..p.len() - 1]).unwrap_err().code, code::SFTP_PROTOCOL);
}

#[test]
fn handle_reply_bounds() {
    let mk = |h: &[u8]| {
        let mut b = Writer::new();
        b.u32(1).string(h);
        pkt(fxp::HANDLE, &b.buf)[4..].to_vec()
    };
    assert_eq!(wire::handle_of(&mk(b"abcd")).unwrap(), b"abcd");
    assert!(wire::handle_of(&mk(b"")).is_err());
    assert!(wire::handle_of(&mk(&vec![1; HANDLE_MAX + 1])).is_err());
    let mut p = mk(b"abcd");
    p.truncate(p.len() - 1);
    assert_eq!(wire::handle_of(&p).unwrap_err().code, code::SFTP_PROTOCOL);
}

/// A file handle with one READ of `len` bytes at 0 outstanding as request `id`
/// (read-ahead already covered, so nothing new is sent).
fn reading(s: &mut Session, sid: u32, id: u32, len: u32) -> u32 {
    let st = s.sftp.map.get_mut(&sid).unwrap();
    st.outstanding.insert(id, ReqKind::Read);
    let mut h = Handle { handle: b"h".to_vec(), offset_sent: len as u64, ahead: len as u64, ..Default::default() };
    h.reads.push_back(ReadReq { id, offset: 0, len, sent: None });
    st.handles.insert(1, h);
    1
}

fn data(id: u32, d: &[u8]) -> Vec<u8> {
    let mut b = Writer::new();
    b.u32(id).string(d);
    pkt(fxp::DATA, &b.buf)
}

#[test]
fn data_longer_than_requested_is_refused() {
    let (mut s, sid) = session();
    let fh = reading(&mut s, sid, 11, 4);
    inject(&mut s, &data(11, b"12345"));
    let mut buf = [0u8; 16];
    assert_eq!(s.sftp_read(sid, fh, &mut buf).unwrap_err().code, code::SFTP_PROTOCOL);
    // DATA whose string runs past its packet.
    let (mut s, sid) = session();
    let fh = reading(&mut s, sid, 11, 4);
    let mut b = Writer::new();
    b.u32(11).u32(100).raw(b"abc");
    inject(&mut s, &pkt(fxp::DATA, &b.buf));
    assert_eq!(s.sftp_read(sid, fh, &mut buf).unwrap_err().code, code::SFTP_PROTOCOL);
}

#[test]
fn read_hands_out_data_in_small_pieces_then_eof() {
    let (mut s, sid) = session();
    let fh = reading(&mut s, sid, 11, 10);
    inject(&mut s, &data(11, b"0123456789"));
    let mut buf = [0u8; 4];
    assert_eq!(s.sftp_read(sid, fh, &mut buf).unwrap(), 4);
    assert_eq!(&buf, b"0123");
    assert_eq!(s.sftp_read(sid, fh, &mut buf).unwrap(), 4);
    assert_eq!(s.sftp_tell(sid, fh).unwrap(), 8);
    let mut big = [0u8; 64];
    assert_eq!(s.sftp_read(sid, fh, &mut big).unwrap(), 2);
    assert_eq!(&big[..2], b"89");
    // The read-ahead went on: the next request is for offset 10; EOF ends the file.
    let st = s.sftp_st(sid).unwrap();
    let next = st.handles[&fh].reads.front().copied().unwrap();
    assert_eq!(next.offset, 10);
    let later: Vec<u32> = st.handles[&fh].reads.iter().skip(1).map(|r| r.id).collect();
    inject(&mut s, &status(next.id, fx::EOF));
    assert_eq!(s.sftp_read(sid, fh, &mut big).unwrap(), 0);
    assert_eq!(s.sftp_read(sid, fh, &mut big).unwrap(), 0, "EOF sticks until a seek");
    // Replies to the abandoned requests are discarded, not errors.
    for id in later {
        inject(&mut s, &status(id, fx::EOF));
    }
    s.sftp_frame(sid).unwrap();
    assert!(s.sftp_st(sid).unwrap().replies.is_empty());
}

#[test]
fn short_read_requests_the_gap_first() {
    let (mut s, sid) = session();
    let fh = reading(&mut s, sid, 11, 10);
    inject(&mut s, &data(11, b"0123"));
    let mut buf = [0u8; 64];
    assert_eq!(s.sftp_read(sid, fh, &mut buf).unwrap(), 4);
    let st = s.sftp_st(sid).unwrap();
    let gap = st.handles[&fh].reads.front().copied().unwrap();
    assert_eq!((gap.offset, gap.len), (4, 6));
    inject(&mut s, &data(gap.id, b"456789"));
    assert_eq!(s.sftp_read(sid, fh, &mut buf).unwrap(), 6);
    assert_eq!(&buf[..6], b"456789");
    assert_eq!(s.sftp_tell(sid, fh).unwrap(), 10);
}

#[test]
fn out_of_order_replies_are_delivered_in_order() {
    let (mut s, sid) = session();
    let fh = reading(&mut s, sid, 11, 4);
    let st = s.sftp.map.get_mut(&sid).unwrap();
    st.outstanding.insert(12, ReqKind::Read);
    let h = st.handles.get_mut(&fh).unwrap();
    h.reads.push_back(ReadReq { id: 12, offset: 4, len: 4, sent: None });
    h.offset_sent = 8;
    h.ahead = 8;
    inject(&mut s, &data(12, b"4567"));
    let mut buf = [0u8; 8];
    assert_eq!(s.sftp_read(sid, fh, &mut buf).unwrap_err().code, code::EAGAIN, "waits for the first");
    inject(&mut s, &data(11, b"0123"));
    assert_eq!(s.sftp_read(sid, fh, &mut buf).unwrap(), 8);
    assert_eq!(&buf, b"01234567");
}

#[test]
fn read_error_status_sets_last_error() {
    let (mut s, sid) = session();
    let fh = reading(&mut s, sid, 11, 10);
    inject(&mut s, &status(11, 4));
    let mut buf = [0u8; 4];
    assert_eq!(s.sftp_read(sid, fh, &mut buf).unwrap_err().code, code::SFTP_PROTOCOL);
    assert_eq!(s.sftp_last_error(sid), 4);
}

/// Injects `reply` as the answer to a pending READLINK and runs it.
fn readlink_with(reply_body: &[u8], kind: u8) -> Result<Option<Vec<u8>>> {
    let (mut s, sid) = session();
    let st = s.sftp.map.get_mut(&sid).unwrap();
    st.outstanding.insert(20, ReqKind::Other);
    st.pending.insert(OpKey::Symlink, 20);
    let mut b = Writer::new();
    b.u32(20).raw(reply_body);
    inject(&mut s, &pkt(kind, &b.buf));
    s.sftp_readlink(sid, b"/x", LinkKind::Readlink)
}

#[test]
fn readlink_needs_exactly_one_name() {
    let mut one = Writer::new();
    one.u32(1).string(b"/target").string(b"").u32(0);
    assert_eq!(readlink_with(&one.buf, fxp::NAME).unwrap().unwrap(), b"/target");
    for count in [0u32, 2] {
        let mut w = Writer::new();
        w.u32(count).string(b"/a").string(b"").u32(0).string(b"/b").string(b"").u32(0);
        assert_eq!(readlink_with(&w.buf, fxp::NAME).unwrap_err().code, code::SFTP_PROTOCOL, "count {count}");
    }
    let mut w = Writer::new();
    w.u32(1).u32(1000);
    assert_eq!(readlink_with(&w.buf, fxp::NAME).unwrap_err().code, code::SFTP_PROTOCOL, "name past packet");
    // A wrong reply type.
    assert_eq!(readlink_with(&[0; 8], fxp::HANDLE).unwrap_err().code, code::SFTP_PROTOCOL);
}

#[test]
fn write_behind_sizes_from_flag_and_environment() {
    use super::{parse_write_behind, write_behind_limit, WRITE_BEHIND_DEFAULT, WRITE_BEHIND_MAX};
    assert_eq!(write_behind_limit(0), 0);
    assert_eq!(write_behind_limit(1), WRITE_BEHIND_DEFAULT);
    assert_eq!(write_behind_limit(1 << 20), 1 << 20);
    assert_eq!(write_behind_limit(u64::MAX), WRITE_BEHIND_MAX);
    assert_eq!(parse_write_behind("16M"), Some(16 << 20));
    assert_eq!(parse_write_behind(" 512k "), Some(512 << 10));
    assert_eq!(parse_write_behind("2G"), Some(WRITE_BEHIND_MAX));
    assert_eq!(parse_write_behind("1"), Some(WRITE_BEHIND_DEFAULT));
    assert_eq!(parse_write_behind("on"), Some(WRITE_BEHIND_DEFAULT));
    assert_eq!(parse_write_behind("0"), Some(0));
    assert_eq!(parse_write_behind("off"), Some(0));
    assert_eq!(parse_write_behind(""), None);
    assert_eq!(parse_write_behind("lots"), None);
    assert_eq!(parse_write_behind("M"), None);
}

#[test]
fn read_ahead_follows_the_bandwidth_delay_product() {
    use super::{Pace, READ_AHEAD_FLOOR, READ_AHEAD_MAX};
    use std::time::Duration;
    const CHUNK: u64 = 32 * 1024;
    // Replies of CHUNK bytes `every` apart, each `rtt` after its request: the target once an interval closed.
    fn run(rtt: Duration, every: Duration, n: u32) -> Option<u64> {
        let us = |d: Duration| d.as_micros() as u64;
        let t0 = us(Duration::from_secs(1));
        let mut p = Pace::default();
        let mut last = None;
        for i in 0..n {
            let now = t0 + us(every * i);
            last = p.delivered(CHUNK, Some(now - us(rtt)), now).or(last);
        }
        last
    }
    // 20 ms away at 100 MB/s: about twice 2 MB in flight.
    let t = run(Duration::from_millis(20), Duration::from_nanos(CHUNK * 10), 2000).unwrap();
    let bdp = 100e6 * 0.020;
    assert!((t as f64) > 1.8 * bdp && (t as f64) < 2.2 * bdp, "target {t}");
    // Loopback: the floor.
    assert_eq!(run(Duration::from_micros(200), Duration::from_micros(100), 2000), Some(READ_AHEAD_FLOOR));
    // A caller reading 1 MB/s from far away: the floor as well.
    assert_eq!(run(Duration::from_millis(100), Duration::from_millis(32), 100), Some(READ_AHEAD_FLOOR));
    // A fast, distant link: capped.
    assert_eq!(run(Duration::from_millis(200), Duration::from_micros(10), 100_000), Some(READ_AHEAD_MAX));
}

/// A clock the test sets by hand (µs); a non-blocking session never waits on it.
#[derive(Clone, Default)]
struct HandClock(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl HandClock {
    fn set(&self, us: u64) {
        self.0.store(us, std::sync::atomic::Ordering::Relaxed);
    }
}

impl crate::session::io::Clock for HandClock {
    fn now_us(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
    fn wait(&mut self, _fd: crate::session::io::RawSocket, _dirs: i32, _timeout_ms: i64) {
        unreachable!("a non-blocking session does not wait");
    }
    fn poll(&mut self, _fds: &mut [libc::pollfd], _timeout_ms: i32) -> i32 {
        unreachable!("a session does not poll");
    }
}

#[test]
fn read_round_trips_are_timed_on_the_session_clock() {
    const T0: u64 = 5_000_000;
    const RTT_US: u64 = 20_000;
    let (mut s, sid) = session();
    let clock = HandClock::default();
    s.clock = Box::new(clock.clone());
    clock.set(T0);
    let fh = reading(&mut s, sid, 11, 10);
    inject(&mut s, &data(11, b"0123"));
    let mut buf = [0u8; 64];
    assert_eq!(s.sftp_read(sid, fh, &mut buf).unwrap(), 4);
    // The request for the missing range is stamped with the driver's time.
    let gap = s.sftp_st(sid).unwrap().handles[&fh].reads.front().copied().unwrap();
    assert_eq!(gap.sent, Some(T0));
    clock.set(T0 + RTT_US);
    inject(&mut s, &data(gap.id, b"456789"));
    assert_eq!(s.sftp_read(sid, fh, &mut buf).unwrap(), 6);
    let pace = s.sftp_st(sid).unwrap().handles[&fh].pace;
    assert_eq!(pace.rtt_min, Some(std::time::Duration::from_micros(RTT_US)));
}

/// A server message that names our channel 0 and carries nothing else
/// (SUCCESS, FAILURE, EOF, CLOSE) or a confirmation of its open.
fn to_chan0(kind: u8) -> Vec<u8> {
    let mut w = Writer::msg(kind);
    w.u32(0);
    if kind == crate::proto::msg::CHANNEL_OPEN_CONFIRMATION {
        w.u32(0).u32(CHANNEL_WINDOW).u32(CHANNEL_PACKET);
    }
    w.buf
}

/// Runs a blocking `sftp_init` against a server that answers with `script`
/// (at the given fake times); returns the error and checks the undo: no
/// instance, no channel, no init in flight.
fn failed_init(script: Vec<(u64, Vec<u8>)>) -> crate::error::Error {
    let tl = crate::session::fuzzing::Timeline::new(script);
    let mut s = Session::on_timeline(&tl, true);
    s.timeout_ms = 5000;
    let e = s.sftp_init().expect_err("the init fails");
    assert!(s.sftp.map.is_empty(), "the instance is forgotten");
    assert!(s.sftp.init.is_none(), "no init is left in flight");
    assert!(s.channels.map.is_empty(), "the channel is closed and forgotten");
    e
}

#[test]
fn a_refused_subsystem_fails_the_init_and_closes_its_channel() {
    use crate::proto::msg;
    let e = failed_init(vec![
        (10, to_chan0(msg::CHANNEL_OPEN_CONFIRMATION)),
        (20, to_chan0(msg::CHANNEL_FAILURE)),
        (30, to_chan0(msg::CHANNEL_CLOSE)),
    ]);
    assert_eq!((e.code, e.msg.as_ref()), (code::CHANNEL_FAILURE, "Unable to request SFTP subsystem"));
}

#[test]
fn a_subsystem_that_closes_before_its_version_fails_the_init() {
    use crate::proto::msg;
    let e = failed_init(vec![
        (10, to_chan0(msg::CHANNEL_OPEN_CONFIRMATION)),
        (20, to_chan0(msg::CHANNEL_SUCCESS)),
        (30, to_chan0(msg::CHANNEL_CLOSE)),
    ]);
    assert_eq!((e.code, e.msg.as_ref()), (code::CHANNEL_CLOSED, "SFTP subsystem closed during init"));
}
