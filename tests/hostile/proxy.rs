//! A corrupting TCP proxy in front of a real server: it follows the
//! server's plaintext packets up to NEWKEYS and then damages the encrypted
//! stream (one flipped byte at an offset, or a chosen decrypted length).
#![allow(dead_code)] // each test uses its own part

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::Duration;

/// After the damage, the connection is cut once the server is quiet this long
/// (a grown length would otherwise wait for bytes that never come).
pub const QUIET_CUT: Duration = Duration::from_millis(400);
/// How long the proxy collects the first encrypted packet in `SetLen` mode.
pub const COLLECT: Duration = Duration::from_millis(400);
/// SSH_MSG_NEWKEYS.
const NEWKEYS: u8 = 21;
/// Longest plaintext packet we follow.
const MAX_PLAIN: usize = 256 * 1024;

/// What to do to the server-to-client stream after NEWKEYS.
#[derive(Clone, Copy, Debug)]
pub enum Damage {
    /// XOR the byte at this offset of the encrypted stream with the mask.
    Flip { offset: usize, mask: u8 },
    /// Make the first encrypted packet's length field decode as `target`:
    /// the packet is collected whole first, so its true length is
    /// `total - 4 - tag_len`, and the length field (encrypted with a stream
    /// cipher, or in clear for EtM) is XORed with `true ^ target`.
    SetLen { target: u32, tag_len: usize },
}

/// Starts a proxy to `upstream`; the thread returns whether the damage was applied.
pub fn spawn(upstream: SocketAddr, damage: Damage) -> (SocketAddr, JoinHandle<io::Result<bool>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
    let addr = listener.local_addr().expect("proxy address");
    let h = std::thread::spawn(move || {
        let (client, _) = listener.accept()?;
        let server = TcpStream::connect(upstream)?;
        client.set_nodelay(true)?;
        server.set_nodelay(true)?;
        let (mut c_in, mut s_out) = (client.try_clone()?, server.try_clone()?);
        let up = std::thread::spawn(move || {
            let _ = io::copy(&mut c_in, &mut s_out);
            let _ = s_out.shutdown(Shutdown::Write);
        });
        let r = down(server, client, damage);
        let _ = up.join();
        r
    });
    (addr, h)
}

fn read_exact_or_eof(s: &mut TcpStream, buf: &mut [u8]) -> io::Result<bool> {
    match s.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

fn down(mut server: TcpStream, mut client: TcpStream, damage: Damage) -> io::Result<bool> {
    server.set_read_timeout(Some(Duration::from_secs(15)))?;
    // Banner line.
    let mut b = [0u8; 1];
    loop {
        if !read_exact_or_eof(&mut server, &mut b)? {
            return Ok(false);
        }
        client.write_all(&b)?;
        if b[0] == b'\n' {
            break;
        }
    }
    // Plaintext packets up to and including NEWKEYS.
    let newkeys_packet = loop {
        let mut len = [0u8; 4];
        if !read_exact_or_eof(&mut server, &mut len)? {
            return Ok(false);
        }
        let n = u32::from_be_bytes(len) as usize;
        if n > MAX_PLAIN {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "server packet too long"));
        }
        let mut body = vec![0u8; n];
        if !read_exact_or_eof(&mut server, &mut body)? {
            return Ok(false);
        }
        let mut pkt = len.to_vec();
        pkt.extend_from_slice(&body);
        if body.get(1) == Some(&NEWKEYS) {
            break pkt;
        }
        client.write_all(&pkt)?;
    };
    let mut applied = false;
    let mut pos = 0usize;
    let mut buf = vec![0u8; 64 * 1024];
    match damage {
        Damage::SetLen { target, tag_len } => {
            // Hold NEWKEYS back so the client stays quiet while the first
            // encrypted packet (EXT_INFO) arrives alone.
            server.set_read_timeout(Some(COLLECT))?;
            let mut first = Vec::new();
            loop {
                match server.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => first.extend_from_slice(&buf[..n]),
                    Err(e) if is_timeout(&e) => break,
                    Err(e) => return Err(e),
                }
            }
            if first.len() >= 4 + tag_len {
                let real = (first.len() - 4 - tag_len) as u32;
                let x = (real ^ target).to_be_bytes();
                for (b, m) in first.iter_mut().zip(x) {
                    *b ^= m;
                }
                applied = true;
            }
            client.write_all(&newkeys_packet)?;
            client.write_all(&first)?;
        }
        Damage::Flip { .. } => client.write_all(&newkeys_packet)?,
    }
    server.set_read_timeout(Some(if applied { QUIET_CUT } else { Duration::from_secs(15) }))?;
    loop {
        let n = match server.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if is_timeout(&e) => break,
            Err(_) => break,
        };
        if let Damage::Flip { offset, mask } = damage {
            if !applied && offset >= pos && offset < pos + n {
                buf[offset - pos] ^= mask;
                applied = true;
                server.set_read_timeout(Some(QUIET_CUT))?;
            }
        }
        pos += n;
        if client.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = client.shutdown(Shutdown::Both);
    let _ = server.shutdown(Shutdown::Both);
    Ok(applied)
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
}

/// Starts a proxy to `upstream` that forwards at most `limit` bytes from the
/// server and then cuts both directions; the thread returns the byte count.
pub fn spawn_cut(upstream: SocketAddr, limit: usize) -> (SocketAddr, JoinHandle<io::Result<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
    let addr = listener.local_addr().expect("proxy address");
    let h = std::thread::spawn(move || {
        let (mut client, _) = listener.accept()?;
        let mut server = TcpStream::connect(upstream)?;
        server.set_read_timeout(Some(Duration::from_secs(15)))?;
        let (mut c_in, mut s_out) = (client.try_clone()?, server.try_clone()?);
        let up = std::thread::spawn(move || {
            let _ = io::copy(&mut c_in, &mut s_out);
            let _ = s_out.shutdown(Shutdown::Write);
        });
        let mut sent = 0usize;
        let mut buf = vec![0u8; 64 * 1024];
        while sent < limit {
            let n = match server.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n.min(limit - sent),
            };
            if client.write_all(&buf[..n]).is_err() {
                break;
            }
            sent += n;
        }
        let _ = client.shutdown(Shutdown::Both);
        let _ = server.shutdown(Shutdown::Both);
        let _ = up.join();
        Ok(sent)
    });
    (addr, h)
}
