//! Moving bytes: non-blocking send/recv on the session's socket, or through
//! the caller's LIBSSH2_CALLBACK_SEND/RECV, and poll(2) for blocking waits.
//! This file and the C-callback adapter in src/ffi are the only socket code.

/// The outcome of one send or recv attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoStatus {
    /// This many bytes moved (never 0 for recv; see `Closed`).
    Moved(usize),
    /// The call would block (EAGAIN/EWOULDBLOCK).
    WouldBlock,
    /// The peer closed the connection (recv returned 0).
    Closed,
    /// An OS error (positive errno).
    Failed(i32),
}

/// Byte transport under a session: the socket itself or the caller's callbacks.
pub trait SocketIo {
    /// Sends from `buf`, never blocking.
    fn send(&mut self, buf: &[u8]) -> IoStatus;
    /// Receives into `buf`, never blocking.
    fn recv(&mut self, buf: &mut [u8]) -> IoStatus;
    /// Tells the transport which socket the handshake was given.
    fn set_socket(&mut self, _fd: RawSocket) {}
    /// LIBSSH2_FLAG_SIGPIPE changed: later writes may (true) or may not raise SIGPIPE.
    fn set_sigpipe(&mut self, _on: bool) {}
}

/// The raw socket descriptor type (`libssh2_socket_t` on POSIX).
pub type RawSocket = i32;

/// Default I/O: `send(2)`/`recv(2)` on the socket with `MSG_DONTWAIT`.
pub struct FdIo {
    /// The connected socket.
    pub fd: RawSocket,
    /// When false, writes pass MSG_NOSIGNAL so a dead peer gives EPIPE, not SIGPIPE.
    pub sigpipe: bool,
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO)
}

fn classify(r: isize) -> IoStatus {
    if r > 0 {
        return IoStatus::Moved(r as usize);
    }
    if r == 0 {
        return IoStatus::Closed;
    }
    match errno() {
        libc::EAGAIN | libc::EINTR => IoStatus::WouldBlock,
        #[allow(unreachable_patterns)]
        libc::EWOULDBLOCK => IoStatus::WouldBlock,
        e => IoStatus::Failed(e),
    }
}

impl SocketIo for FdIo {
    fn set_sigpipe(&mut self, on: bool) {
        self.sigpipe = on;
    }

    fn send(&mut self, buf: &[u8]) -> IoStatus {
        let flags = libc::MSG_DONTWAIT | if self.sigpipe { 0 } else { libc::MSG_NOSIGNAL };
        // SAFETY: buf is a valid readable slice for buf.len() bytes; send(2) only reads it.
        let r = unsafe { libc::send(self.fd, buf.as_ptr().cast(), buf.len(), flags) };
        match classify(r) {
            IoStatus::Closed => IoStatus::WouldBlock, // send() of >0 bytes never returns 0 legitimately
            s => s,
        }
    }

    fn recv(&mut self, buf: &mut [u8]) -> IoStatus {
        // SAFETY: buf is a valid writable slice for buf.len() bytes; recv(2) writes at most that.
        let r = unsafe { libc::recv(self.fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT) };
        classify(r)
    }
}

/// Which way a blocked operation is waiting (LIBSSH2_SESSION_BLOCK_* bits).
pub use crate::consts::block as dir;

/// Waits until `fd` is ready in one of `dirs` or `timeout_ms` passes (-1: forever).
/// Returns false on timeout.
pub fn wait_fd(fd: RawSocket, dirs: i32, timeout_ms: i64) -> bool {
    let mut events: libc::c_short = 0;
    if dirs & dir::INBOUND != 0 {
        events |= libc::POLLIN;
    }
    if dirs & dir::OUTBOUND != 0 {
        events |= libc::POLLOUT;
    }
    if events == 0 {
        events = libc::POLLIN;
    }
    let mut pfd = libc::pollfd { fd, events, revents: 0 };
    let t = timeout_ms.clamp(-1, i32::MAX as i64) as i32;
    // SAFETY: pfd is one valid pollfd for the duration of the call.
    let r = unsafe { libc::poll(&mut pfd, 1, t) };
    r != 0 || t < 0
}

/// Reads and sets O_NONBLOCK; returns whether it was set before.
pub fn set_nonblocking(fd: RawSocket, on: bool) -> bool {
    // SAFETY: fcntl on an integer descriptor has no memory effects; errors are returned.
    let fl = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if fl < 0 {
        return false;
    }
    let was = fl & libc::O_NONBLOCK != 0;
    let new = if on { fl | libc::O_NONBLOCK } else { fl & !libc::O_NONBLOCK };
    if new != fl {
        // SAFETY: as above.
        unsafe { libc::fcntl(fd, libc::F_SETFL, new) };
    }
    was
}

/// The driver's time source and waiter: the only place a blocking call reads
/// the clock or sleeps, so tests can run the driver on a fake clock.
pub trait Clock {
    /// Microseconds on a monotonic clock.
    fn now_us(&self) -> u64;
    /// Milliseconds on the same clock.
    fn now_ms(&self) -> u64 {
        self.now_us() / 1000
    }
    /// Waits until `fd` is ready in one of `dirs` or `timeout_ms` passes (-1: forever).
    fn wait(&mut self, fd: RawSocket, dirs: i32, timeout_ms: i64);
    /// poll(2) over `fds` for at most `timeout_ms` (-1: forever; no `fds`:
    /// sleeps); returns how many entries have events (negative on error).
    fn poll(&mut self, fds: &mut [libc::pollfd], timeout_ms: i32) -> i32;
}

/// The real clock: `Instant` and `poll(2)`.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_us(&self) -> u64 {
        now_us()
    }

    fn wait(&mut self, fd: RawSocket, dirs: i32, timeout_ms: i64) {
        wait_fd(fd, dirs, timeout_ms);
    }

    fn poll(&mut self, fds: &mut [libc::pollfd], timeout_ms: i32) -> i32 {
        // SAFETY: `fds` is a valid, exclusively borrowed array of its length.
        unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) }
    }
}

/// Milliseconds on a monotonic clock, for timeouts.
pub fn now_ms() -> u64 {
    now_us() / 1000
}

/// Microseconds on a monotonic clock (from the first reading), for round trips.
pub fn now_us() -> u64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_micros() as u64
}

/// Entries `libssh2_poll` waits on: some are ready by state the library
/// holds (channels, listeners), some by their socket.
pub trait PollSet {
    /// Records the readiness known without waiting; returns how many entries are ready.
    fn scan(&mut self) -> usize;
    /// Takes one poll(2) result, `sockets[i]` for entry `i`; returns how
    /// many entries its socket events made ready.
    fn took(&mut self, sockets: &[libc::pollfd]) -> usize;
}

/// Waits until an entry of `set` is ready or `timeout_ms` passes (negative:
/// forever), polling `sockets` (one per entry) meanwhile; no sockets at all
/// sleeps the timeout, as poll(2) with none does. Time and waiting come from
/// `clock`, so the timeout logic runs on a fake clock in tests.
pub fn poll_set(
    set: &mut impl PollSet,
    sockets: &mut [libc::pollfd],
    timeout_ms: std::ffi::c_long,
    clock: &mut dyn Clock,
) {
    if sockets.is_empty() {
        if timeout_ms > 0 {
            clock.poll(&mut [], timeout_ms.min(i32::MAX as std::ffi::c_long) as i32);
        }
        return;
    }
    let deadline = (timeout_ms >= 0).then(|| clock.now_ms() + timeout_ms as u64);
    loop {
        let mut ready = set.scan();
        let wait: i32 = match deadline {
            _ if ready > 0 => 0,
            None => -1,
            Some(d) => d.saturating_sub(clock.now_ms()).min(i32::MAX as u64) as i32,
        };
        for s in sockets.iter_mut() {
            s.revents = 0;
        }
        if clock.poll(sockets, wait) > 0 {
            ready += set.took(sockets);
        }
        if ready > 0 || deadline.is_some_and(|d| clock.now_ms() >= d) {
            return;
        }
    }
}

/// Longest one read or write on a local agent socket may block (an agent
/// asking the user to confirm a key use needs a while, so this is generous).
pub const AGENT_IO_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Which half of an agent exchange failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentIoError {
    /// Writing the request failed.
    Send,
    /// Reading the reply failed (or the agent closed the socket).
    Recv,
    /// The reply announced more than the agent message limit.
    TooLong,
}

/// Connects to the ssh-agent socket at `path`. Like libssh2's, the agent
/// socket is blocking (the agent is a local process that answers at once),
/// each read and write bounded by [`AGENT_IO_TIMEOUT`].
pub fn agent_connect(path: &std::ffi::OsStr) -> std::io::Result<std::os::unix::net::UnixStream> {
    let stream = std::os::unix::net::UnixStream::connect(path)?;
    // Timeouts cannot fail for a non-zero duration.
    let _ = stream.set_read_timeout(Some(AGENT_IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(AGENT_IO_TIMEOUT));
    Ok(stream)
}

/// One exchange with the agent: writes the framed `request`, reads one
/// length-prefixed reply of at most `max` bytes and returns its body.
pub fn agent_exchange(
    stream: &mut std::os::unix::net::UnixStream,
    request: &[u8],
    max: usize,
) -> std::result::Result<Vec<u8>, AgentIoError> {
    use std::io::{Read, Write};
    stream.write_all(request).map_err(|_| AgentIoError::Send)?;
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).map_err(|_| AgentIoError::Recv)?;
    let len = u32::from_be_bytes(len) as usize;
    if len > max {
        return Err(AgentIoError::TooLong);
    }
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).map_err(|_| AgentIoError::Recv)?;
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    /// One socket entry plus readiness the library "holds" (`held`).
    struct Set {
        held: bool,
        scans: usize,
        socket_ready: bool,
    }

    impl PollSet for Set {
        fn scan(&mut self) -> usize {
            self.scans += 1;
            self.held as usize
        }
        fn took(&mut self, sockets: &[libc::pollfd]) -> usize {
            self.socket_ready = sockets[0].revents & libc::POLLIN != 0;
            self.socket_ready as usize
        }
    }

    fn set() -> Set {
        Set { held: false, scans: 0, socket_ready: false }
    }

    #[test]
    fn poll_set_returns_on_held_readiness_without_waiting_forever() {
        let (a, _b) = UnixStream::pair().unwrap();
        let mut s = Set { held: true, ..set() };
        let mut socks = [libc::pollfd { fd: a.as_raw_fd(), events: libc::POLLIN, revents: 0 }];
        // Forever, yet it returns: the entry is ready by state.
        poll_set(&mut s, &mut socks, -1, &mut SystemClock);
        assert_eq!(s.scans, 1);
        assert!(!s.socket_ready);
    }

    #[test]
    fn poll_set_reports_socket_events_and_expires() {
        let (a, mut b) = UnixStream::pair().unwrap();
        let mut socks = [libc::pollfd { fd: a.as_raw_fd(), events: libc::POLLIN, revents: 0 }];
        // Nothing to read: the timeout ends the wait with nothing ready.
        let mut s = set();
        poll_set(&mut s, &mut socks, 10, &mut SystemClock);
        assert!(!s.socket_ready && s.scans >= 1);
        // Data waiting: the socket's event makes the entry ready.
        b.write_all(b"x").unwrap();
        let mut s = set();
        poll_set(&mut s, &mut socks, -1, &mut SystemClock);
        assert!(s.socket_ready);
    }

    /// A fake clock whose one socket becomes readable at `ready_at` ms
    /// (None: never); each poll advances the time as a real one would wait.
    struct FakePoll {
        now: u64,
        ready_at: Option<u64>,
        polls: usize,
    }

    impl Clock for FakePoll {
        fn now_us(&self) -> u64 {
            self.now * 1000
        }
        fn wait(&mut self, _fd: RawSocket, _dirs: i32, _timeout_ms: i64) {
            unreachable!("poll_set waits through Clock::poll");
        }
        fn poll(&mut self, fds: &mut [libc::pollfd], timeout_ms: i32) -> i32 {
            self.polls += 1;
            let until = match (timeout_ms, self.ready_at.filter(|_| !fds.is_empty())) {
                (t, Some(r)) if t < 0 => r,
                (t, Some(r)) => r.min(self.now + t as u64),
                (t, None) if t >= 0 => self.now + t as u64,
                (_, None) => panic!("poll forever on a socket that never becomes ready"),
            };
            self.now = self.now.max(until);
            if self.ready_at.is_some_and(|r| self.now >= r) && !fds.is_empty() {
                fds[0].revents = libc::POLLIN;
                return 1;
            }
            0
        }
    }

    fn fake(ready_at: Option<u64>) -> FakePoll {
        FakePoll { now: 1_000, ready_at, polls: 0 }
    }

    fn one_socket() -> [libc::pollfd; 1] {
        [libc::pollfd { fd: 3, events: libc::POLLIN, revents: 0 }]
    }

    #[test]
    fn poll_set_with_no_sockets_only_sleeps() {
        let mut s = set();
        let mut clock = fake(None);
        poll_set(&mut s, &mut [], 50, &mut clock);
        assert_eq!(s.scans, 0, "nothing to scan when there are no entries");
        assert_eq!(clock.now, 1_050, "slept the timeout");
        poll_set(&mut s, &mut [], -1, &mut clock);
        assert_eq!(clock.now, 1_050, "no entries and no timeout: returns at once");
    }

    #[test]
    fn poll_set_honours_its_timeout_on_the_fake_clock() {
        // Nothing becomes ready: the call returns at the timeout, in one wait.
        let (mut s, mut clock) = (set(), fake(None));
        poll_set(&mut s, &mut one_socket(), 300, &mut clock);
        assert_eq!(clock.now, 1_300, "returned at the timeout");
        assert_eq!(clock.polls, 1, "one wait, no busy loop");
        assert!(!s.socket_ready);
    }

    #[test]
    fn poll_set_returns_when_a_socket_becomes_ready() {
        // Ready after 100 ms of a 20 s timeout: the call returns then.
        let (mut s, mut clock) = (set(), fake(Some(1_100)));
        poll_set(&mut s, &mut one_socket(), 20_000, &mut clock);
        assert_eq!(clock.now, 1_100);
        assert!(s.socket_ready);
        // Waiting forever ends the same way.
        let (mut s, mut clock) = (set(), fake(Some(6_000)));
        poll_set(&mut s, &mut one_socket(), -1, &mut clock);
        assert_eq!(clock.now, 6_000);
        assert!(s.socket_ready);
    }
}
