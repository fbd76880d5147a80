//! A minimal blocking HTTP/1.1 client for [`TestServer`](super::TestServer): one request
//! per connection (`Connection: close`), read until the server closes.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};

use super::TestResponse;

const TIMEOUT: Duration = Duration::from_secs(10);

pub(super) fn send(
    addr: SocketAddr,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> TestResponse {
    let raw = exchange(addr, &encode(addr, method, path, headers, body))
        .unwrap_or_else(|e| panic!("TestServer: {method} {path} failed: {e}"));
    parse(&raw, *method == Method::HEAD)
        .unwrap_or_else(|e| panic!("TestServer: bad response to {method} {path}: {e}"))
}

fn encode(
    addr: SocketAddr,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n");
    if !body.is_empty() || !matches!(*method, Method::GET | Method::HEAD) {
        out.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    let mut out = out.into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

fn exchange(addr: SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = connect(addr, request)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    Ok(raw)
}

/// Connects, with the read and write timeouts, and writes `request`.
fn connect(addr: SocketAddr, request: &[u8]) -> std::io::Result<TcpStream> {
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    stream.write_all(request)?;
    Ok(stream)
}

/// Sends a bodiless request and returns the socket unread.
pub(super) fn open(addr: SocketAddr, method: &Method, path: &str) -> std::io::Result<TcpStream> {
    connect(addr, &encode(addr, method, path, &HeaderMap::new(), b""))
}

/// Reads until `needle` has arrived; returns every byte read so far.
pub(super) fn read_until(socket: &mut TcpStream, needle: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut seen = Vec::new();
    let mut buf = [0; 4096];
    while !seen.windows(needle.len().max(1)).any(|w| w == needle) {
        let n = socket.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "the connection closed before {:?}: {}",
                    String::from_utf8_lossy(needle),
                    String::from_utf8_lossy(&seen)
                ),
            ));
        }
        seen.extend_from_slice(&buf[..n]);
    }
    Ok(seen)
}

pub(super) fn parse(raw: &[u8], is_head: bool) -> Result<TestResponse, String> {
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut head = httparse::Response::new(&mut slots);
    let len = match head.parse(raw).map_err(|e| e.to_string())? {
        httparse::Status::Complete(len) => len,
        httparse::Status::Partial => return Err(format!("incomplete head ({} bytes)", raw.len())),
    };
    let status = head
        .code
        .and_then(|c| StatusCode::from_u16(c).ok())
        .ok_or("bad status code")?;
    let mut headers = HeaderMap::new();
    for h in head.headers.iter() {
        let name = HeaderName::from_bytes(h.name.as_bytes()).map_err(|e| e.to_string())?;
        let value = HeaderValue::from_bytes(h.value).map_err(|e| e.to_string())?;
        headers.append(name, value);
    }
    let rest = &raw[len..];
    let body = if is_head
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
    {
        Vec::new()
    } else if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked"))
    {
        dechunk(rest)?
    } else if let Some(n) = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
    {
        rest.get(..n)
            .ok_or_else(|| format!("body shorter than content-length {n}"))?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok(TestResponse {
        status,
        headers,
        body: Bytes::from(body),
    })
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = find_crlf(rest).ok_or("unterminated chunk size line")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).map_err(|e| e.to_string())?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|e| format!("chunk size {size_text:?}: {e}"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = rest.get(..size).ok_or("truncated chunk")?;
        body.extend_from_slice(chunk);
        rest = rest.get(size + 2..).ok_or("chunk without CRLF")?;
    }
}

fn find_crlf(buf: &[u8]) -> Option<usize> {
    buf.windows(2).position(|w| w == b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_length_chunked_and_head() {
        let r = parse(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhiXX", false).unwrap();
        assert_eq!((r.status(), &r.bytes()[..]), (StatusCode::OK, &b"hi"[..]));
        let r = parse(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nhi\r\n1;x=y\r\n!\r\n0\r\n\r\n", false).unwrap();
        assert_eq!(&r.bytes()[..], b"hi!");
        let r = parse(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n", true).unwrap();
        assert!(r.bytes().is_empty());
        assert!(parse(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nab", false).is_err());
        assert!(parse(b"garbage", false).is_err());
    }
}
