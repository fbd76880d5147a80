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
    /// Encoded response heads and chunk-size lines; each is split off as a
    /// piece of `out`, and the space is reclaimed once the batch is written.
    heads: BytesMut,
    /// The pieces of the next vectored write, in wire order.
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
        self.out.is_empty()
    }

    /// Whether the batch is large enough to be written before more is queued.
    pub(super) fn is_full(&self) -> bool {
        self.out.len() >= MAX_PIECES
    }

    /// Hands the queued pieces over for writing.
    pub(super) fn take(&mut self) -> Vec<Bytes> {
        std::mem::take(&mut self.out)
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
    /// still to write after the queued pieces (a stream or a file), if any;
    /// the response's header map comes back for reuse.
    pub(super) fn queue_response(
        &mut self,
        res: Response,
        exchange: Exchange,
        keep_alive: bool,
        server: &HeaderValue,
    ) -> (bool, Option<Tail>, HeaderMap) {
        let (parts, body) = res.into_parts();
        let (framing, payload) = plan(
            parts.status,
            &parts.headers,
            body.into_inner(),
            exchange.is_head,
            exchange.version,
        );
        let keep_alive = keep_alive && framing != ResponseFraming::Close;
        let head = ResponseHead {
            status: parts.status,
            request_version: exchange.version,
            headers: &parts.headers,
            framing,
            keep_alive,
            server,
        };
        encode_response_head(&head, &mut self.heads);
        self.out.push(self.heads.split().freeze());
        let tail = match payload {
            Payload::Nothing => None,
            Payload::Full(bytes) => {
                self.out.push(bytes);
                None
            }
            Payload::Later(tail) => Some(tail),
        };
        (keep_alive, tail, parts.headers)
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
        self.out.push(self.heads.split().freeze());
        self.out.push(Bytes::from_static(reason.as_bytes()));
    }

    /// Queues `100 Continue`, after the responses already queued.
    pub(super) fn queue_continue(&mut self) {
        self.out.push(Bytes::from_static(CONTINUE));
    }

    /// Queues one piece of a streamed body, framed as a chunk or raw.
    pub(super) fn queue_body_piece(&mut self, chunk: Bytes, chunked: bool) {
        if chunked {
            encode_chunk_size(chunk.len(), &mut self.heads);
            self.out.push(self.heads.split().freeze());
            self.out.push(chunk);
            self.out.push(Bytes::from_static(b"\r\n"));
        } else {
            self.out.push(chunk);
        }
    }

    /// Queues the end of a chunked body.
    pub(super) fn queue_last_chunk(&mut self) {
        self.out.push(Bytes::from_static(LAST_CHUNK));
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
