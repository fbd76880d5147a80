//! A raw HTTP/1.1 client over `std::net::TcpStream`.
//!
//! It writes exact bytes and parses responses itself, strictly, so the tests see what the
//! server put on the wire. Every read has a timeout: a broken server fails a test, it never
//! hangs one.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use super::response::{ParseError, Response, parse_response};

/// How long any single wait for bytes may take before the test fails.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// Why no complete response could be read.
#[derive(Debug)]
pub enum ReadError {
    /// The server closed the connection (FIN) before a complete response.
    Eof { partial: Vec<u8> },
    /// The server reset the connection before a complete response.
    Reset { partial: Vec<u8> },
    /// Nothing complete arrived within the deadline.
    Timeout { partial: Vec<u8> },
    /// The bytes are not a valid HTTP/1.1 response.
    Malformed { why: String, bytes: Vec<u8> },
}

/// One client connection; `buf` holds bytes received but not yet consumed as responses.
pub struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    /// Connects to the server, with timeouts on connect, reads and writes.
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)
            .unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
        stream
            .set_nodelay(true)
            .expect("set TCP_NODELAY on a fresh socket");
        stream
            .set_write_timeout(Some(IO_TIMEOUT))
            .expect("non-zero write timeout");
        Client {
            stream,
            buf: Vec::new(),
        }
    }

    /// The client's own address, as the server sees it as the peer.
    pub fn local_addr(&self) -> SocketAddr {
        self.stream
            .local_addr()
            .expect("connected socket has a local address")
    }

    /// Writes all of `bytes` at once.
    pub fn send(&mut self, bytes: impl AsRef<[u8]>) {
        self.stream
            .write_all(bytes.as_ref())
            .expect("write request bytes");
        self.stream.flush().expect("flush request bytes");
    }

    /// Writes all of `bytes`; `false` if the server has closed the connection.
    pub fn try_send(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).is_ok()
    }

    /// Writes `bytes` in pieces of `piece` bytes with `pause` between them.
    pub fn send_slowly(&mut self, bytes: &[u8], piece: usize, pause: Duration) {
        for part in bytes.chunks(piece) {
            self.send(part);
            std::thread::sleep(pause);
        }
    }

    /// Closes the writing half: the server reads EOF after what was sent.
    pub fn shutdown_write(&mut self) {
        self.stream
            .shutdown(Shutdown::Write)
            .expect("shutdown(Write)");
    }

    /// Reads one response to a request that was not HEAD; panics with the bytes on failure.
    pub fn response(&mut self) -> Response {
        self.try_response(false, IO_TIMEOUT)
            .unwrap_or_else(|e| panic!("no valid response: {}", describe(&e)))
    }

    /// Reads one response to a HEAD request (headers only, whatever they announce).
    pub fn head_response(&mut self) -> Response {
        self.try_response(true, IO_TIMEOUT)
            .unwrap_or_else(|e| panic!("no valid response to HEAD: {}", describe(&e)))
    }

    /// Reads one response, or says why none arrived within `within`.
    pub fn try_response(&mut self, head: bool, within: Duration) -> Result<Response, ReadError> {
        let deadline = Instant::now() + within;
        loop {
            match parse_response(&self.buf, head) {
                Ok(Some((resp, used))) => {
                    self.buf.drain(..used);
                    return Ok(resp);
                }
                Ok(None) => {}
                Err(ParseError(why)) => {
                    let bytes = self.buf.clone();
                    return Err(ReadError::Malformed { why, bytes });
                }
            }
            match self.fill(deadline) {
                Fill::Data => {}
                Fill::Eof => {
                    // A body delimited by close is complete exactly now.
                    if let Some((resp, used)) = parse_until_close(&self.buf, head) {
                        self.buf.drain(..used);
                        return Ok(resp);
                    }
                    return Err(ReadError::Eof {
                        partial: self.take(),
                    });
                }
                Fill::Reset => {
                    return Err(ReadError::Reset {
                        partial: self.take(),
                    });
                }
                Fill::Timeout => {
                    return Err(ReadError::Timeout {
                        partial: self.take(),
                    });
                }
            }
        }
    }

    /// Asserts the server closes the connection without sending another byte.
    pub fn expect_closed(&mut self) {
        let deadline = Instant::now() + IO_TIMEOUT;
        loop {
            assert!(
                self.buf.is_empty(),
                "expected the connection to close, but the server sent more: {:?}",
                String::from_utf8_lossy(&self.buf)
            );
            match self.fill(deadline) {
                Fill::Data => {}
                Fill::Eof | Fill::Reset => return,
                Fill::Timeout => panic!("connection still open {IO_TIMEOUT:?} after the response"),
            }
        }
    }

    /// Waits up to `within` for the server to close; returns the time it took, or `None`
    /// if it stayed open. Bytes that arrive meanwhile are returned for the caller to judge.
    pub fn wait_closed(&mut self, within: Duration) -> (Option<Duration>, Vec<u8>) {
        let start = Instant::now();
        let deadline = start + within;
        loop {
            match self.fill(deadline) {
                Fill::Data => {}
                Fill::Eof | Fill::Reset => return (Some(start.elapsed()), self.take()),
                Fill::Timeout => return (None, self.take()),
            }
        }
    }

    /// Asserts nothing arrives for `quiet` (the connection may stay open).
    pub fn expect_silence(&mut self, quiet: Duration) {
        let (closed, bytes) = self.wait_closed(quiet);
        assert!(
            bytes.is_empty(),
            "expected no bytes, got {:?}",
            String::from_utf8_lossy(&bytes)
        );
        assert!(closed.is_none(), "connection closed unexpectedly");
    }

    fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    fn fill(&mut self, deadline: Instant) -> Fill {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Fill::Timeout;
        }
        self.stream
            .set_read_timeout(Some(left))
            .expect("non-zero read timeout");
        let mut chunk = [0u8; 16 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => Fill::Eof,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Fill::Data
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Fill::Timeout
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => Fill::Data,
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe) => {
                Fill::Reset
            }
            Err(e) => panic!("read failed: {e}"),
        }
    }
}

enum Fill {
    Data,
    Eof,
    Reset,
    Timeout,
}

/// Parses a response whose body runs to the end of the connection (RFC 9112 §6.3 rule 8).
fn parse_until_close(buf: &[u8], head: bool) -> Option<(Response, usize)> {
    let mut with_eof = super::response::parse_head(buf).ok()??;
    if with_eof.0.framing != super::response::Framing::Close || head {
        return None;
    }
    let start = with_eof.1;
    with_eof.0.body = buf[start..].to_vec();
    Some((with_eof.0, buf.len()))
}

/// A readable account of a read failure, with the raw bytes.
pub fn describe(e: &ReadError) -> String {
    let show = |b: &[u8]| format!("{:?}", String::from_utf8_lossy(b));
    match e {
        ReadError::Eof { partial } => format!("EOF after {}", show(partial)),
        ReadError::Reset { partial } => format!("connection reset after {}", show(partial)),
        ReadError::Timeout { partial } => format!("timed out after {}", show(partial)),
        ReadError::Malformed { why, bytes } => format!("{why} in {}", show(bytes)),
    }
}

/// `GET {path} HTTP/1.1` with a Host header and nothing else.
pub fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n")
}

/// `POST {path} HTTP/1.1` with a Content-Length body.
pub fn post(path: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}
