//! The responses queued for the next write: encoded heads and the bodies'
//! `Bytes`, in wire order. Deciding each response's framing lives here too.

use bytes::{Bytes, BytesMut};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderValue, StatusCode, Version};

use crate::codec::semantics::parse_content_length;
use crate::codec::{
    CONTINUE, LAST_CHUNK, ResponseFraming, ResponseHead, encode_chunk_size, encode_response_head,
};
use crate::{BodyInner, BodyStream, FileRegion, Response};

/// A batch is written once it holds this many pieces, far below the
/// kernel's iovec limit (1024).
pub(super) const MAX_PIECES: usize = 512;

/// Bodies of up to this many bytes are copied behind their head rather than queued as
/// pieces of their own, so that a batch of small responses (a pipelined burst, or one
/// response to one request) leaves as one buffer: one `send` of one slice, where
/// `sendmsg` of two slices per response cost the kernel more than the copy costs here.
const COPY_MAX: usize = 1024;

/// A batch is written once this many bytes were copied into it (heads and small bodies),
/// so that a client pipelining thousands of small requests cannot make it grow without
/// bound.
const COPIED_MAX: usize = 64 * 1024;

/// What the connection keeps of a request head while the handler runs: a
/// few flags, so that the request itself moves into the handler whole.
#[derive(Debug, Clone, Copy)]
pub(super) struct Exchange {
    pub(super) is_head: bool,
    pub(super) version: Version,
    /// Whether the client allows the connection to persist.
    pub(super) keep_alive: bool,
}

/// A queued response's body still to come, streamed.
pub(super) struct Streamed {
    pub(super) stream: BodyStream,
    /// In chunks (HTTP/1.1), or raw and delimited by closing (HTTP/1.0).
    pub(super) chunked: bool,
}

/// What of a queued response is still to be written after the queued pieces: a body
/// that does not fit in a vectored write.
pub(super) enum Tail {
    /// Streamed as it yields.
    Stream(Streamed),
    /// Read from its file (through the ring on io_uring) or sent with `sendfile(2)` (epoll,
    /// over 128 KiB).
    File(FileRegion),
}

/// What follows a response head on the wire.
enum Payload {
    Nothing,
    Full(Bytes),
    Later(Tail),
}

/// The pieces of the next vectored write.
pub(super) struct Outbox {
    /// What is queued after the last piece of `out`: encoded response heads, chunk-size
    /// lines and small bodies, back to back. It is split off as one piece when a body that
    /// is not copied follows or the batch is taken, and its space is reclaimed once the
    /// batch is written.
    heads: BytesMut,
    /// The pieces of the next vectored write, in wire order (then `heads`).
    out: Vec<Bytes>,
}

impl Outbox {
    pub(super) fn new() -> Self {
        Outbox {
            heads: BytesMut::with_capacity(1024),
            out: Vec::with_capacity(16),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.out.is_empty() && self.heads.is_empty()
    }

    /// Whether the batch is large enough to be written before more is queued.
    pub(super) fn is_full(&self) -> bool {
        self.out.len() >= MAX_PIECES || self.heads.len() >= COPIED_MAX
    }

    /// Hands the queued pieces over for writing.
    pub(super) fn take(&mut self) -> Vec<Bytes> {
        self.seal();
        std::mem::take(&mut self.out)
    }

    /// Ends the piece being copied into `heads`, if any.
    fn seal(&mut self) {
        if !self.heads.is_empty() {
            self.out.push(self.heads.split().freeze());
        }
    }

    /// Queues `bytes` after what is queued: copied when small, else as a piece of its own.
    fn push(&mut self, bytes: Bytes) {
        if bytes.len() <= COPY_MAX {
            self.heads.extend_from_slice(&bytes);
        } else {
            self.seal();
            self.out.push(bytes);
        }
    }

    /// Takes back the emptied vector of a finished write, for its capacity.
    pub(super) fn restore(&mut self, emptied: Vec<Bytes>) {
        debug_assert!(emptied.is_empty());
        if self.out.is_empty() {
            self.out = emptied;
        }
    }

    /// Queues the response head, and the body when it is full. Returns
    /// whether the connection persists after this response, and the body
    /// still to write after the queued pieces (a stream or a file), if any.
    /// The body is taken out of `res`; the rest (its header map, for reuse)
    /// stays with the caller. Borrowed rather than moved in: a move is one
    /// more copy of the whole response.
    pub(super) fn queue_response(
        &mut self,
        res: &mut Response,
        exchange: Exchange,
        keep_alive: bool,
        server: &HeaderValue,
    ) -> (bool, Option<Tail>) {
        let status = res.status();
        let body = std::mem::take(res.body_mut());
        let (framing, payload) = plan(
            status,
            res.headers(),
            body.into_inner(),
            exchange.is_head,
            exchange.version,
        );
        let keep_alive = keep_alive && framing != ResponseFraming::Close;
        let head = ResponseHead {
            status,
            request_version: exchange.version,
            headers: res.headers(),
            framing,
            keep_alive,
            server,
        };
        encode_response_head(&head, &mut self.heads);
        let tail = match payload {
            Payload::Nothing => None,
            Payload::Full(bytes) => {
                self.push(bytes);
                None
            }
            Payload::Later(tail) => Some(tail),
        };
        (keep_alive, tail)
    }

    /// Queues a plain-text error response that closes the connection.
    pub(super) fn queue_error(
        &mut self,
        status: StatusCode,
        reason: &'static str,
        server: &HeaderValue,
    ) {
        let mut headers = HeaderMap::with_capacity(1);
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        let head = ResponseHead {
            status,
            request_version: Version::HTTP_11,
            headers: &headers,
            framing: ResponseFraming::Length(reason.len() as u64),
            keep_alive: false,
            server,
        };
        encode_response_head(&head, &mut self.heads);
        self.heads.extend_from_slice(reason.as_bytes());
    }

    /// Queues `100 Continue`, after the responses already queued.
    pub(super) fn queue_continue(&mut self) {
        self.heads.extend_from_slice(CONTINUE);
    }

    /// Queues one piece of a streamed body, framed as a chunk or raw.
    pub(super) fn queue_body_piece(&mut self, chunk: Bytes, chunked: bool) {
        if chunked {
            encode_chunk_size(chunk.len(), &mut self.heads);
            self.push(chunk);
            self.heads.extend_from_slice(b"\r\n");
        } else {
            self.push(chunk);
        }
    }

    /// Queues the end of a chunked body.
    pub(super) fn queue_last_chunk(&mut self) {
        self.heads.extend_from_slice(LAST_CHUNK);
    }
}

/// Decides the framing header and what follows the head (RFC 9110 §6.4.1,
/// §8.6, RFC 9112 §6.3). The handler's own framing headers are only used
/// where the body cannot tell: a HEAD or 304 response without a body.
fn plan(
    status: StatusCode,
    headers: &HeaderMap,
    body: BodyInner,
    is_head: bool,
    version: Version,
) -> (ResponseFraming, Payload) {
    if status == StatusCode::NO_CONTENT || status.is_informational() {
        return (ResponseFraming::None, Payload::Nothing);
    }
    let bodiless = is_head || status == StatusCode::NOT_MODIFIED;
    match body {
        BodyInner::Full(bytes) if bodiless => (
            declared_framing(Some(bytes.len()), headers, is_head, version),
            Payload::Nothing,
        ),
        BodyInner::Full(bytes) if bytes.is_empty() => {
            (ResponseFraming::Length(0), Payload::Nothing)
        }
        BodyInner::Full(bytes) => (
            ResponseFraming::Length(bytes.len() as u64),
            Payload::Full(bytes),
        ),
        BodyInner::File(region) if bodiless => (
            declared_framing(
                usize::try_from(region.len()).ok(),
                headers,
                is_head,
                version,
            ),
            Payload::Nothing,
        ),
        BodyInner::File(region) => (
            ResponseFraming::Length(region.len()),
            Payload::Later(Tail::File(region)),
        ),
        BodyInner::Stream(_) if bodiless => (
            declared_framing(None, headers, is_head, version),
            Payload::Nothing,
        ),
        BodyInner::Stream(stream) if version == Version::HTTP_11 => (
            ResponseFraming::Chunked,
            Payload::Later(Tail::Stream(Streamed {
                stream,
                chunked: true,
            })),
        ),
        BodyInner::Stream(stream) => (
            ResponseFraming::Close,
            Payload::Later(Tail::Stream(Streamed {
                stream,
                chunked: false,
            })),
        ),
    }
}

/// For a response without a body: the framing the full response would
/// have had, as far as it is known. `full_len` is `None` for a stream.
fn declared_framing(
    full_len: Option<usize>,
    headers: &HeaderMap,
    is_head: bool,
    version: Version,
) -> ResponseFraming {
    if let Some(len) = full_len.filter(|&len| len > 0) {
        return ResponseFraming::Length(len as u64);
    }
    if let Some(n) = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| parse_content_length(v.as_bytes()).ok())
    {
        return ResponseFraming::Length(n);
    }
    let chunked = full_len.is_none() || headers.contains_key(TRANSFER_ENCODING);
    if chunked && version == Version::HTTP_11 {
        ResponseFraming::Chunked
    } else if is_head && full_len.is_some() {
        ResponseFraming::Length(0)
    } else {
        ResponseFraming::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Body;

    fn queue(outbox: &mut Outbox, body: Bytes) {
        let exchange = Exchange {
            is_head: false,
            version: Version::HTTP_11,
            keep_alive: true,
        };
        let server = HeaderValue::from_static("t");
        let mut res = Response::new(Body::from(body));
        let (keep_alive, tail) = outbox.queue_response(&mut res, exchange, true, &server);
        assert!(keep_alive && tail.is_none());
    }

    #[test]
    fn small_responses_leave_as_one_piece() {
        let mut outbox = Outbox::new();
        for _ in 0..16 {
            queue(&mut outbox, Bytes::from_static(b"Hello, World!"));
        }
        assert!(!outbox.is_empty());
        let pieces = outbox.take();
        assert_eq!(pieces.len(), 1);
        let text = std::str::from_utf8(&pieces[0]).unwrap();
        assert_eq!(text.matches("HTTP/1.1 200 OK\r\n").count(), 16, "{text}");
        assert_eq!(text.matches("\r\n\r\nHello, World!").count(), 16, "{text}");
        assert!(text.ends_with("Hello, World!"));
        assert!(outbox.is_empty());
    }

    #[test]
    fn a_large_body_is_a_piece_of_its_own_not_a_copy() {
        let mut outbox = Outbox::new();
        let large = Bytes::from(vec![b'x'; COPY_MAX + 1]);
        queue(&mut outbox, Bytes::from_static(b"one"));
        queue(&mut outbox, large.clone());
        queue(&mut outbox, Bytes::from_static(b"three"));
        let pieces = outbox.take();
        assert_eq!(pieces.len(), 3);
        let first = std::str::from_utf8(&pieces[0]).unwrap();
        assert!(
            first.contains("\r\n\r\none") && first.ends_with("\r\n\r\n"),
            "{first}"
        );
        assert_eq!(pieces[1].as_ptr(), large.as_ptr());
        assert_eq!(pieces[1].len(), large.len());
        assert!(
            std::str::from_utf8(&pieces[2])
                .unwrap()
                .ends_with("\r\n\r\nthree")
        );
    }

    #[test]
    fn copied_bytes_fill_a_batch() {
        let mut outbox = Outbox::new();
        let body = Bytes::from(vec![b'y'; COPY_MAX]);
        let mut queued = 0;
        while !outbox.is_full() {
            queue(&mut outbox, body.clone());
            queued += 1;
        }
        let pieces = outbox.take();
        assert_eq!(pieces.len(), 1);
        // Full once the copies reach `COPIED_MAX`, and not a response before.
        let each = pieces[0].len() / queued;
        assert_eq!(pieces[0].len(), each * queued);
        assert!(each > COPY_MAX);
        assert!(pieces[0].len() >= COPIED_MAX);
        assert!(pieces[0].len() - each < COPIED_MAX);
    }

    #[test]
    fn chunks_and_their_framing_are_copied_together() {
        let mut outbox = Outbox::new();
        outbox.queue_body_piece(Bytes::from_static(b"hello"), true);
        outbox.queue_body_piece(Bytes::from_static(b"world!"), true);
        outbox.queue_last_chunk();
        let pieces = outbox.take();
        assert_eq!(pieces.len(), 1);
        assert_eq!(&pieces[0][..], b"5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n");
    }
}
