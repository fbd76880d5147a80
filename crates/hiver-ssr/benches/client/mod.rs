//! A blocking keep-alive HTTP/1.1 client that reports each page's cache outcome.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// One client connection with `TCP_NODELAY` and a 10 s read timeout (a stuck server fails
/// the bench instead of hanging it).
pub struct Conn {
    stream: TcpStream,
    /// Bytes read and not yet consumed by a response.
    buf: Vec<u8>,
}

impl Conn {
    /// Connects to `addr`.
    pub fn connect(addr: SocketAddr) -> io::Result<Conn> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(256 * 1024),
        })
    }

    /// `GET path`, read the whole response, and return its `x-hiver-cache` value; a status
    /// other than 200 is an error.
    pub fn get(&mut self, path: &str) -> io::Result<String> {
        let request = format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n");
        self.stream.write_all(request.as_bytes())?;
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            self.fill()?;
        };
        let head = Head::parse(&self.buf[..head_end])?;
        while self.buf.len() < head_end + head.len {
            self.fill()?;
        }
        self.buf.drain(..head_end + head.len);
        if head.status != 200 {
            return Err(io::Error::other(format!("{path}: status {}", head.status)));
        }
        Ok(head.outcome)
    }

    fn fill(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 64 * 1024];
        match self.stream.read(&mut chunk)? {
            0 => Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
        }
    }
}

/// What the bench needs from a response head.
struct Head {
    status: u16,
    /// `Content-Length` (every SSR page carries one).
    len: usize,
    /// `x-hiver-cache`, empty if absent.
    outcome: String,
}

impl Head {
    fn parse(head: &[u8]) -> io::Result<Head> {
        let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
        let head = std::str::from_utf8(head).map_err(|_| bad("response head is not UTF-8"))?;
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("no status code"))?;
        let field = |wanted: &str| {
            head.split("\r\n")
                .filter_map(|line| line.split_once(':'))
                .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
                .map(|(_, value)| value.trim())
        };
        let len = field("content-length")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| bad("no valid Content-Length"))?;
        let outcome = field("x-hiver-cache").unwrap_or("").to_owned();
        Ok(Head {
            status,
            len,
            outcome,
        })
    }
}
