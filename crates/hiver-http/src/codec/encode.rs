//! Response heads and chunk framing, written into one buffer.

use bytes::{BufMut, BytesMut};
use http::header::{CONNECTION, CONTENT_LENGTH, DATE, SERVER, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderValue, StatusCode, Version};

use super::date::date_line;

/// The interim response sent before reading a body the client is holding
/// back with `Expect: 100-continue`.
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// The end of a chunked body: the last chunk and an empty trailer section.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// How a response body is delimited on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseFraming {
    /// No framing header at all: 1xx, 204, or a 304/HEAD response whose
    /// length is unknown. No body follows.
    None,
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// No framing header; the body ends when the connection closes (a
    /// streamed body for an HTTP/1.0 client).
    Close,
}

/// What the connection knows about a response when it writes its head.
#[derive(Debug)]
pub struct ResponseHead<'a> {
    /// The status code.
    pub status: StatusCode,
    /// The version of the request being answered: an HTTP/1.0 client is told
    /// `Connection: keep-alive` explicitly when the connection persists.
    pub request_version: Version,
    /// The handler's header fields. `Content-Length`, `Transfer-Encoding` and
    /// `Connection` are dropped (the codec owns framing and persistence);
    /// a `Date` or `Server` set here replaces the default one.
    pub headers: &'a HeaderMap,
    /// The framing header to write.
    pub framing: ResponseFraming,
    /// Whether the connection stays open after this response.
    pub keep_alive: bool,
    /// The default `Server` value.
    pub server: &'a HeaderValue,
}

/// Writes a complete response head (status line, fields, blank line) into `dst`.
pub fn encode_response_head(head: &ResponseHead<'_>, dst: &mut BytesMut) {
    dst.reserve(128 + head.headers.len() * 32);
    write_status_line(head.status, dst);
    // Noted while writing rather than looked up afterwards: two hash lookups
    // per response cost more than comparing the few names a response has.
    let (mut has_date, mut has_server) = (false, false);
    for (name, value) in head.headers {
        if name == CONTENT_LENGTH || name == TRANSFER_ENCODING || name == CONNECTION {
            continue;
        }
        has_date |= name == DATE;
        has_server |= name == SERVER;
        write_field(name.as_str().as_bytes(), value.as_bytes(), dst);
    }
    if !has_date {
        dst.put_slice(&date_line());
    }
    if !has_server {
        dst.put_slice(b"Server: ");
        dst.put_slice(head.server.as_bytes());
        dst.put_slice(b"\r\n");
    }
    write_framing(head.framing, dst);
    if !head.keep_alive {
        dst.put_slice(b"Connection: close\r\n");
    } else if head.request_version == Version::HTTP_10 {
        dst.put_slice(b"Connection: keep-alive\r\n");
    }
    dst.put_slice(b"\r\n");
}

/// Writes the size line that precedes a chunk of `len` bytes (`len` > 0).
pub fn encode_chunk_size(len: usize, dst: &mut BytesMut) {
    let mut digits = [0u8; 16];
    let mut n = len;
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b"0123456789abcdef"[n & 0xf];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    dst.put_slice(&digits[i..]);
    dst.put_slice(b"\r\n");
}

fn write_status_line(status: StatusCode, dst: &mut BytesMut) {
    // Nearly every response: one copy instead of five.
    if status == StatusCode::OK {
        dst.put_slice(b"HTTP/1.1 200 OK\r\n");
        return;
    }
    dst.put_slice(b"HTTP/1.1 ");
    dst.put_slice(status.as_str().as_bytes());
    dst.put_u8(b' ');
    dst.put_slice(status.canonical_reason().unwrap_or("").as_bytes());
    dst.put_slice(b"\r\n");
}

fn write_framing(framing: ResponseFraming, dst: &mut BytesMut) {
    match framing {
        ResponseFraming::Length(n) => {
            let mut buf = itoa::Buffer::new();
            dst.put_slice(b"Content-Length: ");
            dst.put_slice(buf.format(n).as_bytes());
            dst.put_slice(b"\r\n");
        }
        ResponseFraming::Chunked => dst.put_slice(b"Transfer-Encoding: chunked\r\n"),
        ResponseFraming::None | ResponseFraming::Close => {}
    }
}

fn write_field(name: &[u8], value: &[u8], dst: &mut BytesMut) {
    dst.put_slice(name);
    dst.put_slice(b": ");
    dst.put_slice(value);
    dst.put_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::http_date;

    fn encode(
        status: u16,
        headers: &HeaderMap,
        framing: ResponseFraming,
        keep_alive: bool,
        version: Version,
    ) -> String {
        let server = HeaderValue::from_static("hiver");
        let head = ResponseHead {
            status: StatusCode::from_u16(status).unwrap(),
            request_version: version,
            headers,
            framing,
            keep_alive,
            server: &server,
        };
        let mut dst = BytesMut::new();
        encode_response_head(&head, &mut dst);
        String::from_utf8(dst.to_vec()).unwrap()
    }

    #[test]
    fn writes_status_date_server_and_length() {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("text/plain"));
        let text = encode(
            200,
            &headers,
            ResponseFraming::Length(5),
            true,
            Version::HTTP_11,
        );
        assert!(
            text.starts_with("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nDate: "),
            "{text}"
        );
        assert!(
            text.ends_with(" GMT\r\nServer: hiver\r\nContent-Length: 5\r\n\r\n"),
            "{text}"
        );
        assert!(!text.contains("Connection"));
    }

    #[test]
    fn strips_handler_framing_and_persistence() {
        let mut headers = HeaderMap::new();
        headers.insert("content-length", HeaderValue::from_static("99"));
        headers.insert("transfer-encoding", HeaderValue::from_static("gzip"));
        headers.insert("connection", HeaderValue::from_static("upgrade"));
        headers.insert("server", HeaderValue::from_static("custom"));
        let text = encode(
            200,
            &headers,
            ResponseFraming::Chunked,
            false,
            Version::HTTP_11,
        );
        assert!(
            !text.contains("99") && !text.contains("gzip") && !text.contains("upgrade"),
            "{text}"
        );
        assert!(text.contains("Transfer-Encoding: chunked\r\n"));
        assert!(text.contains("Connection: close\r\n"));
        assert_eq!(text.matches("erver: ").count(), 1);
        assert!(text.contains("server: custom\r\n"));
    }

    #[test]
    fn http10_keep_alive_is_explicit() {
        let text = encode(
            204,
            &HeaderMap::new(),
            ResponseFraming::None,
            true,
            Version::HTTP_10,
        );
        assert!(text.starts_with("HTTP/1.1 204 No Content\r\n"));
        assert!(text.contains("Connection: keep-alive\r\n"));
        assert!(!text.contains("Content-Length"));
    }

    #[test]
    fn unknown_status_has_empty_reason() {
        let text = encode(
            599,
            &HeaderMap::new(),
            ResponseFraming::Length(0),
            true,
            Version::HTTP_11,
        );
        assert!(text.starts_with("HTTP/1.1 599 \r\n"));
    }

    #[test]
    fn chunk_sizes_are_lowercase_hex() {
        for (len, hex) in [
            (1usize, "1\r\n"),
            (255, "ff\r\n"),
            (4096, "1000\r\n"),
            (usize::MAX, "ffffffffffffffff\r\n"),
        ] {
            let mut dst = BytesMut::new();
            encode_chunk_size(len, &mut dst);
            assert_eq!(&dst[..], hex.as_bytes());
        }
    }

    #[test]
    fn date_is_imf_fixdate() {
        let date = http_date();
        let text = std::str::from_utf8(&date).unwrap();
        assert!(httpdate::parse_http_date(text).is_ok(), "{text}");
        assert_eq!(
            http_date(),
            date,
            "cached within the same second (may rarely straddle one)"
        );
    }
}
