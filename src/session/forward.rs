//! Channels the server opens towards us (RFC 4254 7.2, OpenSSH's agent
//! forwarding) and remote port forwarding (`tcpip-forward`): listeners with
//! bounded accept queues, the inbound CHANNEL_OPEN dispatcher, X11 and agent
//! hooks, and the built-in relay of agent channels to the local ssh-agent.

use std::collections::{HashMap, VecDeque};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

use super::channel::{ChanOp, Channel, Ending, MAX_WINDOW, PACKET_DEFAULT, WINDOW_DEFAULT};
use super::driver::{drive, Pending, Ready};
use super::io::{agent_connect, agent_exchange};
use super::Session;
use crate::agent::proto::MAX_AGENT_MESSAGE;
use crate::error::{code, Error, Result};
use crate::proto::msg;
use crate::proto::wire::{Reader, Writer};

/// SSH_OPEN_ADMINISTRATIVELY_PROHIBITED.
pub const OPEN_ADMINISTRATIVELY_PROHIBITED: u32 = 1;
/// SSH_OPEN_CONNECT_FAILED.
pub const OPEN_CONNECT_FAILED: u32 = 2;
/// SSH_OPEN_RESOURCE_SHORTAGE.
pub const OPEN_RESOURCE_SHORTAGE: u32 = 4;
/// libssh2's refusal text for a forwarded-tcpip open nobody listens for.
const FWD_NOT_REQUESTED: &[u8] = b"Forward not requested";
/// libssh2's refusal text for x11 and agent opens it cannot serve.
const X11_UNAVAILABLE: &[u8] = b"X11 Forward Unavailable";
/// Our refusal text for channel types we never accept.
const TYPE_NOT_ACCEPTED: &[u8] = b"Channel type not accepted";
/// Listen address libssh2 uses when the caller gives none.
pub const DEFAULT_LISTEN_HOST: &[u8] = b"0.0.0.0";
/// SSH_AGENT_FAILURE: what the relay answers when the local agent fails.
const AGENT_FAILURE: [u8; 5] = [0, 0, 0, 1, 5];

/// Called with a new inbound x11 channel's id, originator host and port.
pub type X11Hook = Box<dyn FnMut(u32, &[u8], u32)>;
/// Called with a new inbound auth-agent channel's id.
pub type AgentHook = Box<dyn FnMut(u32)>;

/// A remote port forward the server listens on for us.
#[derive(Debug, Clone, Default)]
pub struct Listener {
    /// The listen address as requested (what forwarded-tcpip opens name).
    pub host: Vec<u8>,
    /// The bound port.
    pub port: u32,
    /// Confirmed inbound channels not yet accepted, oldest first.
    pub queue: VecDeque<u32>,
    /// Most channels queued at once (0: no limit, as in libssh2).
    pub queue_max: usize,
    /// cancel-tcpip-forward was sent (cancel is resumable).
    pub cancel_sent: bool,
}

/// A `tcpip-forward` request in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ListenOp {
    host: Vec<u8>,
    port: u32,
}

/// An auth-agent channel relayed to the local agent.
struct AgentRelay {
    sock: UnixStream,
    /// Agent replies not yet sent on the channel (window-limited).
    to_peer: VecDeque<u8>,
    /// The agent connection failed: close the channel once flushed.
    broken: bool,
}

/// Forwarding state of a session.
#[derive(Default)]
pub struct Forwarding {
    /// Listeners by id.
    pub listeners: HashMap<u32, Listener>,
    next_listener: u32,
    listen_op: Option<ListenOp>,
    /// forwarded-tcpip opens that matched no listener while a tcpip-forward
    /// request was in flight (CHANNEL_OPEN bodies): they may be for the
    /// listener its reply creates, and are handled once it exists.
    deferred_opens: Vec<Vec<u8>>,
    /// Hook for inbound x11 channels (LIBSSH2_CALLBACK_X11), set by the FFI layer.
    pub x11_hook: Option<X11Hook>,
    /// Hook for inbound agent channels (LIBSSH2_CALLBACK_AUTHAGENT); without it
    /// agent channels are relayed to the local ssh-agent.
    pub agent_hook: Option<AgentHook>,
    /// The local agent's socket (None: `$SSH_AUTH_SOCK`).
    pub agent_socket: Option<PathBuf>,
    relays: HashMap<u32, AgentRelay>,
}

/// The fixed head of every CHANNEL_OPEN after the type.
struct OpenHead {
    sender: u32,
    window: u32,
    packet: u32,
}

impl Session {
    /// Handles a CHANNEL_OPEN from the server (`body` follows the message number).
    pub(crate) fn inbound_channel_open(&mut self, body: &[u8]) -> Result<()> {
        let mut r = Reader::new(body);
        // Without the type and sender channel there is nobody to answer.
        let (Ok(kind), Ok(sender)) = (r.string(), r.u32()) else {
            return Ok(());
        };
        let kind = kind.to_vec();
        let (Ok(window), Ok(packet)) = (r.u32(), r.u32()) else {
            return self.refuse_open(sender, OPEN_CONNECT_FAILED, b"Truncated channel open");
        };
        let head = OpenHead { sender, window, packet };
        match kind.as_slice() {
            b"forwarded-tcpip" => self.open_forwarded(head, &mut r, body),
            b"x11" => self.open_x11(head, &mut r),
            b"auth-agent@openssh.com" => self.open_agent(head),
            _ => self.refuse_open(sender, OPEN_ADMINISTRATIVELY_PROHIBITED, TYPE_NOT_ACCEPTED),
        }
    }

    fn refuse_open(&mut self, sender: u32, reason: u32, text: &[u8]) -> Result<()> {
        let mut w = Writer::msg(msg::CHANNEL_OPEN_FAILURE);
        w.u32(sender).u32(reason).string(text).string(b"");
        self.send(&w.buf)
    }

    /// Creates the channel for an accepted inbound open and confirms it.
    fn confirm_open(&mut self, kind: &[u8], head: &OpenHead) -> Result<u32> {
        let id = self.channels.alloc_id();
        let window = head.window.min(MAX_WINDOW);
        self.channels.map.insert(
            id,
            Channel {
                local_id: id,
                remote_id: head.sender,
                kind: kind.to_vec(),
                local_window: WINDOW_DEFAULT,
                local_window_initial: WINDOW_DEFAULT,
                local_max_packet: PACKET_DEFAULT,
                remote_window: window,
                remote_window_initial: window,
                remote_max_packet: head.packet,
                open: true,
                op: ChanOp::Idle,
                ..Default::default()
            },
        );
        let mut w = Writer::msg(msg::CHANNEL_OPEN_CONFIRMATION);
        w.u32(head.sender).u32(id).u32(WINDOW_DEFAULT).u32(PACKET_DEFAULT);
        self.send(&w.buf)?;
        Ok(id)
    }

    fn open_forwarded(&mut self, head: OpenHead, r: &mut Reader, body: &[u8]) -> Result<()> {
        let parsed = (|| Ok::<_, Error>((r.string()?.to_vec(), r.u32()?, r.string()?.to_vec(), r.u32()?)))();
        let Ok((host, port, shost, sport)) = parsed else {
            return self.refuse_open(head.sender, OPEN_CONNECT_FAILED, b"Truncated forwarded-tcpip open");
        };
        self.trace(super::TRACE_CONN, || {
            format!(
                "Remote received connection from {}:{sport} to {}:{port}",
                String::from_utf8_lossy(&shost),
                String::from_utf8_lossy(&host)
            )
        });
        let found = self.fwd.listeners.iter().find(|(_, l)| l.port == port && l.host == host && !l.cancel_sent);
        let Some((&lid, l)) = found else {
            if self.fwd.listen_op.is_some() {
                // The server's reply and a first connection can arrive in one
                // read; libssh2 reads packet by packet and so sees the
                // listener first. Handled when the request has its answer.
                self.fwd.deferred_opens.push(body.to_vec());
                return Ok(());
            }
            return self.refuse_open(head.sender, OPEN_ADMINISTRATIVELY_PROHIBITED, FWD_NOT_REQUESTED);
        };
        if l.queue_max != 0 && l.queue.len() >= l.queue_max {
            return self.refuse_open(head.sender, OPEN_RESOURCE_SHORTAGE, FWD_NOT_REQUESTED);
        }
        let id = self.confirm_open(b"forwarded-tcpip", &head)?;
        if let Some(l) = self.fwd.listeners.get_mut(&lid) {
            l.queue.push_back(id);
        }
        Ok(())
    }

    fn open_x11(&mut self, head: OpenHead, r: &mut Reader) -> Result<()> {
        let parsed = (|| Ok::<_, Error>((r.string()?.to_vec(), r.u32()?)))();
        let Ok((shost, sport)) = parsed else {
            return self.refuse_open(head.sender, OPEN_CONNECT_FAILED, X11_UNAVAILABLE);
        };
        let Some(mut hook) = self.fwd.x11_hook.take() else {
            return self.refuse_open(head.sender, OPEN_RESOURCE_SHORTAGE, X11_UNAVAILABLE);
        };
        let res = self.confirm_open(b"x11", &head);
        if let Ok(id) = res {
            hook(id, &shost, sport);
        }
        if self.fwd.x11_hook.is_none() {
            self.fwd.x11_hook = Some(hook);
        }
        res.map(|_| ())
    }

    fn open_agent(&mut self, head: OpenHead) -> Result<()> {
        if let Some(mut hook) = self.fwd.agent_hook.take() {
            let res = self.confirm_open(b"auth-agent@openssh.com", &head);
            if let Ok(id) = res {
                hook(id);
            }
            if self.fwd.agent_hook.is_none() {
                self.fwd.agent_hook = Some(hook);
            }
            return res.map(|_| ());
        }
        let path = self.fwd.agent_socket.clone().or_else(|| std::env::var_os("SSH_AUTH_SOCK").map(PathBuf::from));
        let sock = path.and_then(|p| agent_connect(p.as_os_str()).ok());
        let Some(sock) = sock else {
            return self.refuse_open(head.sender, OPEN_CONNECT_FAILED, X11_UNAVAILABLE);
        };
        let id = self.confirm_open(b"auth-agent@openssh.com", &head)?;
        self.fwd.relays.insert(id, AgentRelay { sock, to_peer: VecDeque::new(), broken: false });
        Ok(())
    }

    /// Whether agent channels need servicing (called from `pump`).
    pub(crate) fn has_relays(&self) -> bool {
        !self.fwd.relays.is_empty()
    }

    /// Moves agent requests that arrived on relayed channels to the local agent
    /// and its answers back, then retires channels both sides closed.
    pub(crate) fn service_relays(&mut self) -> Result<()> {
        let ids: Vec<u32> = self.fwd.relays.keys().copied().collect();
        for id in ids {
            self.service_relay(id)?;
        }
        Ok(())
    }

    fn service_relay(&mut self, id: u32) -> Result<()> {
        let (Some(ch), Some(relay)) = (self.channels.map.get_mut(&id), self.fwd.relays.get_mut(&id)) else {
            self.fwd.relays.remove(&id);
            return Ok(());
        };
        // Complete requests: u32 length + body.
        while !relay.broken && ch.data.len() >= 4 {
            let mut len = [0u8; 4];
            for (dst, src) in len.iter_mut().zip(ch.data.iter()) {
                *dst = *src;
            }
            let len = u32::from_be_bytes(len) as usize;
            if len > MAX_AGENT_MESSAGE {
                relay.broken = true;
                break;
            }
            if ch.data.len() < 4 + len {
                break;
            }
            let request: Vec<u8> = ch.data.drain(..4 + len).collect();
            match agent_exchange(&mut relay.sock, &request, MAX_AGENT_MESSAGE) {
                Ok(reply) => {
                    relay.to_peer.extend((reply.len() as u32).to_be_bytes());
                    relay.to_peer.extend(reply);
                }
                Err(_) => {
                    relay.to_peer.extend(AGENT_FAILURE);
                    relay.broken = true;
                }
            }
        }
        if relay.broken {
            ch.data.clear();
        }
        // Send answers as far as the peer's window allows.
        let max_pkt = ch.remote_max_packet.clamp(1, PACKET_DEFAULT) as usize;
        let mut packets = Vec::new();
        while !relay.to_peer.is_empty() && ch.remote_window > 0 && !ch.close_sent() && !ch.close_received() {
            let n = relay.to_peer.len().min(max_pkt).min(ch.remote_window as usize);
            let chunk: Vec<u8> = relay.to_peer.drain(..n).collect();
            ch.remote_window -= n as u32;
            let mut w = Writer::msg(msg::CHANNEL_DATA);
            w.u32(ch.remote_id).string(&chunk);
            packets.push(w.buf);
        }
        let done = (ch.eof_received() || relay.broken) && relay.to_peer.is_empty();
        if done && !ch.close_sent() {
            let need_eof = !ch.eof_sent() && !ch.close_received();
            ch.sent = Ending::Closed;
            if need_eof {
                let mut w = Writer::msg(msg::CHANNEL_EOF);
                w.u32(ch.remote_id);
                packets.push(w.buf);
            }
            let mut w = Writer::msg(msg::CHANNEL_CLOSE);
            w.u32(ch.remote_id);
            packets.push(w.buf);
        }
        let retire = ch.close_sent() && ch.close_received();
        for p in packets {
            self.send(&p)?;
        }
        if retire {
            self.fwd.relays.remove(&id);
            self.channels.map.remove(&id);
        } else {
            self.auto_adjust(id, 0)?;
        }
        Ok(())
    }

    /// Asks the server to listen on `host:port` (port 0: any) and forward
    /// connections to us. Returns the listener id and the bound port.
    pub fn forward_listen(&mut self, host: Option<&[u8]>, port: i32, queue_max: i32) -> Result<(u32, i32)> {
        let host = host.unwrap_or(DEFAULT_LISTEN_HOST).to_vec();
        drive(self, |s| {
            if s.fwd.listen_op.is_none() {
                let mut w = Writer::msg(msg::GLOBAL_REQUEST);
                w.string(b"tcpip-forward").bool(true).string(&host).u32(port as u32);
                s.global_replies.push_back(false);
                s.fwd.listen_op = Some(ListenOp { host: host.clone(), port: port as u32 });
                s.send(&w.buf)?;
            }
            s.awaiting_reply = true;
            let reply = match s.wait_packet(|t| t == msg::REQUEST_SUCCESS || t == msg::REQUEST_FAILURE) {
                Ok(Pending) => return Ok(Pending),
                Ok(Ready(p)) => Ok(p),
                Err(e) => Err(e),
            };
            s.awaiting_reply = false;
            let op = s.fwd.listen_op.take();
            let r = s.listen_answered(op, reply, queue_max);
            // The opens held back while the request was in flight, now that
            // its listener exists (or does not).
            for body in std::mem::take(&mut s.fwd.deferred_opens) {
                s.inbound_channel_open(&body)?;
            }
            r.map(Ready)
        })
    }

    /// Creates the listener a tcpip-forward reply grants; returns its id and port.
    fn listen_answered(&mut self, op: Option<ListenOp>, reply: Result<Vec<u8>>, queue_max: i32) -> Result<(u32, i32)> {
        let reply = reply?;
        let Some(op) = op else { return Err(Error::new(code::PROTO, "Unknown")) };
        if reply.first() != Some(&msg::REQUEST_SUCCESS) {
            return Err(Error::new(code::REQUEST_DENIED, "Unable to complete request for forward-listen"));
        }
        let mut bound = op.port;
        if op.port == 0 {
            if let Ok(p) = Reader::new(reply.get(1..).unwrap_or(&[])).u32() {
                bound = p;
            }
        }
        let lid = self.fwd.next_listener;
        self.fwd.next_listener = self.fwd.next_listener.wrapping_add(1);
        let queue_max = usize::try_from(queue_max).unwrap_or(0);
        self.fwd.listeners.insert(
            lid,
            Listener { host: op.host, port: bound, queue: VecDeque::new(), queue_max, cancel_sent: false },
        );
        self.trace(super::TRACE_CONN, || format!("tcpip-forward bound port {bound}"));
        Ok((lid, bound as i32))
    }

    /// Waits for the next forwarded connection of a listener; returns its channel.
    pub fn forward_accept(&mut self, lid: u32) -> Result<u32> {
        drive(self, |s| loop {
            let l = s.fwd.listeners.get_mut(&lid).ok_or(Error::new(code::BAD_USE, "Listener not found"))?;
            if let Some(id) = l.queue.pop_front() {
                return Ok(Ready(id));
            }
            match s.pump() {
                Ok(true) => {}
                Ok(false) => return Ok(Pending),
                // libssh2 reports any failed read here as an unknown channel; a
                // connection queued before the failure is still handed out.
                Err(_) => {
                    if let Some(id) = s.fwd.listeners.get_mut(&lid).and_then(|l| l.queue.pop_front()) {
                        return Ok(Ready(id));
                    }
                    return Err(Error::new(code::CHANNEL_UNKNOWN, "Channel not found"));
                }
            }
        })
    }

    /// Number of connections waiting on a listener.
    pub fn listener_queued(&self, lid: u32) -> usize {
        self.fwd.listeners.get(&lid).map_or(0, |l| l.queue.len())
    }

    /// Stops a remote forward (cancel-tcpip-forward, no reply wanted), frees
    /// the connections nobody accepted and forgets the listener.
    pub fn forward_cancel(&mut self, lid: u32) -> Result<()> {
        let l = self.fwd.listeners.get_mut(&lid).ok_or(Error::new(code::BAD_USE, "Listener not found"))?;
        if !l.cancel_sent {
            l.cancel_sent = true;
            let mut w = Writer::msg(msg::GLOBAL_REQUEST);
            w.string(b"cancel-tcpip-forward").bool(false).string(&l.host).u32(l.port);
            self.send(&w.buf)?;
        }
        while let Some(&id) = self.fwd.listeners.get(&lid).and_then(|l| l.queue.front()) {
            self.channel_free(id)?;
            if let Some(l) = self.fwd.listeners.get_mut(&lid) {
                l.queue.pop_front();
            }
        }
        self.fwd.listeners.remove(&lid);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;
    use crate::proto::conn::Conn;
    use crate::session::io::{IoStatus, SocketIo};

    /// Captures what the session sends (plaintext: no keys before kex).
    struct Capture(Rc<RefCell<Vec<u8>>>);

    impl SocketIo for Capture {
        fn send(&mut self, buf: &[u8]) -> IoStatus {
            self.0.borrow_mut().extend_from_slice(buf);
            IoStatus::Moved(buf.len())
        }
        fn recv(&mut self, _: &mut [u8]) -> IoStatus {
            IoStatus::WouldBlock
        }
    }

    fn session() -> (Session, Rc<RefCell<Vec<u8>>>) {
        let mut s = Session::new();
        let out = Rc::new(RefCell::new(Vec::new()));
        s.io = Some(Box::new(Capture(out.clone())));
        s.conn = Some(Conn::new(None, s.prefs(), s.gex));
        (s, out)
    }

    /// Payloads of the plaintext packets sent so far (and clears the capture).
    fn sent(out: &Rc<RefCell<Vec<u8>>>) -> Vec<Vec<u8>> {
        let bytes = std::mem::take(&mut *out.borrow_mut());
        let mut r = Reader::new(&bytes);
        let mut v = Vec::new();
        while !r.is_empty() {
            let len = r.u32().unwrap() as usize;
            let pkt = r.bytes(len).unwrap();
            let pad = pkt[0] as usize;
            v.push(pkt[1..len - pad].to_vec());
        }
        v
    }

    fn open_msg(kind: &[u8], sender: u32, extra: &[u8]) -> Vec<u8> {
        let mut w = Writer::new();
        w.string(kind).u32(sender).u32(65536).u32(16384).raw(extra);
        w.buf
    }

    /// (recipient, reason) of an OPEN_FAILURE.
    fn failure(p: &[u8]) -> (u32, u32) {
        assert_eq!(p[0], msg::CHANNEL_OPEN_FAILURE, "{p:?}");
        let mut r = Reader::new(&p[1..]);
        (r.u32().unwrap(), r.u32().unwrap())
    }

    #[test]
    fn unknown_and_truncated_opens_are_refused() {
        let (mut s, out) = session();
        s.inbound_channel_open(&open_msg(b"session", 7, b"")).unwrap();
        assert_eq!(failure(&sent(&out)[0]), (7, OPEN_ADMINISTRATIVELY_PROHIBITED));
        // forwarded-tcpip missing its originator port; x11 missing its port.
        let mut w = Writer::new();
        w.string(b"127.0.0.1").u32(80).string(b"1.2.3.4");
        s.inbound_channel_open(&open_msg(b"forwarded-tcpip", 8, &w.buf)).unwrap();
        assert_eq!(failure(&sent(&out)[0]), (8, OPEN_CONNECT_FAILED));
        s.inbound_channel_open(&open_msg(b"x11", 9, &[0, 0, 0, 9, b'a'])).unwrap();
        assert_eq!(failure(&sent(&out)[0]), (9, OPEN_CONNECT_FAILED));
        // Window and packet fields cut off.
        let mut w = Writer::new();
        w.string(b"x11").u32(10).u32(5);
        s.inbound_channel_open(&w.buf).unwrap();
        assert_eq!(failure(&sent(&out)[0]), (10, OPEN_CONNECT_FAILED));
        // No sender channel (or a type length past the end): nobody to answer.
        s.inbound_channel_open(&[0, 0, 0, 3, b'x', b'1', b'1', 0, 0]).unwrap();
        s.inbound_channel_open(&[0xff, 0xff, 0xff, 0xff, b'x']).unwrap();
        assert!(sent(&out).is_empty());
        assert!(s.channels.map.is_empty());
    }

    #[test]
    fn forwarded_tcpip_goes_to_the_matching_listener_queue() {
        let (mut s, out) = session();
        s.fwd
            .listeners
            .insert(3, Listener { host: b"127.0.0.1".to_vec(), port: 4444, queue_max: 1, ..Default::default() });
        let conn = |port: u32| {
            let mut w = Writer::new();
            w.string(b"127.0.0.1").u32(port).string(b"10.0.0.1").u32(5555);
            w.buf
        };
        s.inbound_channel_open(&open_msg(b"forwarded-tcpip", 20, &conn(4444))).unwrap();
        let p = sent(&out);
        assert_eq!(p[0][0], msg::CHANNEL_OPEN_CONFIRMATION);
        let id = s.fwd.listeners[&3].queue[0];
        let ch = &s.channels.map[&id];
        assert_eq!((ch.remote_id, ch.remote_window, ch.remote_max_packet, ch.open), (20, 65536, 16384, true));
        // The queue is full: resource shortage. Another port: not requested.
        s.inbound_channel_open(&open_msg(b"forwarded-tcpip", 21, &conn(4444))).unwrap();
        assert_eq!(failure(&sent(&out)[0]), (21, OPEN_RESOURCE_SHORTAGE));
        s.inbound_channel_open(&open_msg(b"forwarded-tcpip", 22, &conn(4445))).unwrap();
        assert_eq!(failure(&sent(&out)[0]), (22, OPEN_ADMINISTRATIVELY_PROHIBITED));
        assert_eq!(s.listener_queued(3), 1);
    }

    #[test]
    fn x11_needs_a_hook_and_agent_needs_an_agent() {
        let (mut s, out) = session();
        let mut w = Writer::new();
        w.string(b"127.0.0.1").u32(40000);
        s.inbound_channel_open(&open_msg(b"x11", 30, &w.buf)).unwrap();
        assert_eq!(failure(&sent(&out)[0]), (30, OPEN_RESOURCE_SHORTAGE));
        let seen = Rc::new(RefCell::new(Vec::new()));
        let seen2 = seen.clone();
        s.fwd.x11_hook = Some(Box::new(move |id, host, port| seen2.borrow_mut().push((id, host.to_vec(), port))));
        s.inbound_channel_open(&open_msg(b"x11", 31, &w.buf)).unwrap();
        assert_eq!(sent(&out)[0][0], msg::CHANNEL_OPEN_CONFIRMATION);
        let (id, host, port) = seen.borrow()[0].clone();
        assert_eq!((host.as_slice(), port), (&b"127.0.0.1"[..], 40000));
        assert_eq!(s.channels.map[&id].kind, b"x11");

        s.fwd.agent_socket = Some(PathBuf::from("/nonexistent/agent.sock"));
        s.inbound_channel_open(&open_msg(b"auth-agent@openssh.com", 32, b"")).unwrap();
        assert_eq!(failure(&sent(&out)[0]), (32, OPEN_CONNECT_FAILED));
    }

    #[test]
    fn free_answers_a_close_that_came_first() {
        let (mut s, out) = session();
        let mut w = Writer::new();
        w.string(b"127.0.0.1").u32(40000);
        s.fwd.x11_hook = Some(Box::new(|_, _, _| {}));
        s.inbound_channel_open(&open_msg(b"x11", 40, &w.buf)).unwrap();
        sent(&out);
        let id = *s.channels.map.keys().next().unwrap();
        let mut close = Writer::msg(msg::CHANNEL_CLOSE);
        close.u32(id);
        s.channel_message(&close.buf).unwrap();
        s.channel_free(id).unwrap();
        // Only CLOSE: no EOF after the peer's CLOSE.
        assert_eq!(sent(&out), vec![vec![msg::CHANNEL_CLOSE, 0, 0, 0, 40]]);
        assert!(s.channels.map.is_empty());
    }

    #[test]
    fn an_open_that_arrives_with_the_listen_reply_is_accepted() {
        // The server's REQUEST_SUCCESS and a connection to the new listener
        // arrive back to back and are read together: the open must find the
        // listener (libssh2 handles it after the listener exists).
        use crate::session::fuzzing::Timeline;
        let mut open = Writer::msg(msg::CHANNEL_OPEN);
        open.string(b"forwarded-tcpip").u32(5).u32(1 << 20).u32(32768);
        open.string(b"127.0.0.1").u32(2223).string(b"127.0.0.1").u32(40000);
        let tl = Timeline::new([(10, vec![msg::REQUEST_SUCCESS]), (10, open.buf)]);
        let mut s = Session::on_timeline(&tl, true);
        // Fake time: a refused open would make the accept give up, not hang.
        s.timeout_ms = 1000;
        let (lid, port) = s.forward_listen(Some(b"127.0.0.1"), 2223, 1).unwrap();
        assert_eq!(port, 2223);
        let id = s.forward_accept(lid).expect("the connection is queued on the listener");
        assert_eq!(s.channels.map[&id].remote_id, 5);
    }
}
