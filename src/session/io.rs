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
    /// Milliseconds on a monotonic clock.
    fn now_ms(&self) -> u64;
    /// Waits until `fd` is ready in one of `dirs` or `timeout_ms` passes (-1: forever).
    fn wait(&mut self, fd: RawSocket, dirs: i32, timeout_ms: i64);
}

/// The real clock: `Instant` and `poll(2)`.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        now_ms()
    }

    fn wait(&mut self, fd: RawSocket, dirs: i32, timeout_ms: i64) {
        wait_fd(fd, dirs, timeout_ms);
    }
}

/// Milliseconds on a monotonic clock, for timeouts.
pub fn now_ms() -> u64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}
