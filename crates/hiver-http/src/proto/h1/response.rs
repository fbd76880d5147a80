//! Answering a request: run the handler, frame its response, queue it.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;
use std::time::Instant;

use bytes::Bytes;
use http::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Version};

use super::conn::{Conn, Step};
use super::io::{Wake, race};
use crate::codec::semantics::{list_elements, parse_content_length};
use crate::codec::{
    LAST_CHUNK, RequestHead, ResponseFraming, ResponseHead, encode_chunk_size, encode_response_head,
};
use crate::{Body, BodyInner, BodyStream, Response, Service};

/// What follows a response head on the wire.
enum Payload {
    Nothing,
    Full(Bytes),
    /// Sent in chunks (HTTP/1.1).
    Chunked(BodyStream),
    /// Sent as is, delimited by closing the connection (HTTP/1.0).
    Raw(BodyStream),
}

/// What the connection keeps of a request head while the handler runs: a
/// few flags, so that the request itself moves into the handler whole.
#[derive(Debug, Clone, Copy)]
pub(super) struct Exchange {
    is_head: bool,
    version: Version,
    /// Whether the client allows the connection to persist.
    keep_alive: bool,
}

impl Exchange {
    pub(super) fn of(head: &RequestHead) -> Self {
        Exchange {
            is_head: head.method == Method::HEAD,
            version: head.version,
            keep_alive: head.keep_alive,
        }
    }
}

impl<S: Service> Conn<S> {
    /// Runs the handler's future under the request timeout and queues its
    /// response. The caller starts the handler, so that the request moves
    /// once, into the handler, rather than through this state machine too.
    pub(super) async fn respond(
        &mut self,
        call: impl Future<Output = Response>,
        exchange: Exchange,
    ) -> Step {
        let mut call = pin!(call);
        // Most handlers answer on their first poll: the request timer is only
        // armed (a clock read and a timer-wheel move) for one that waits.
        // Polled here rather than in a helper `async fn`, which would move
        // the response out through one more state machine.
        let first = poll_fn(|cx| Poll::Ready(call.as_mut().poll(cx))).await;
        let res = match first {
            Poll::Ready(res) => Some(res),
            Poll::Pending => self.wait_for(call).await,
        };
        let Some(mut res) = res else {
            tracing::warn!(peer = %self.info.peer_addr, "handler exceeded the request timeout");
            self.queue_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the request took too long to process",
            );
            return Step::Close;
        };
        reject_informational(&mut res);
        // A request in flight when shutdown began is still answered, but
        // the connection closes after it.
        let keep_alive =
            exchange.keep_alive && !self.shutdown.is_triggered() && !wants_close(res.headers());
        let (keep_alive, stream) = self.queue_head(res, exchange, keep_alive);
        let step = match stream {
            None => Step::Continue,
            Some((stream, chunked)) => self.write_stream(stream, chunked).await,
        };
        match step {
            Step::Continue if !keep_alive => Step::Close,
            step => step,
        }
    }

    /// Waits for a handler that did not answer at once; `None` if it
    /// outlived the request timeout.
    async fn wait_for(&mut self, call: impl Future<Output = Response>) -> Option<Response> {
        self.sleep
            .reset(Instant::now() + self.config.request_timeout());
        match race(call, &mut self.sleep, None).await {
            Wake::Done(res) => Some(res),
            Wake::TimedOut | Wake::Shutdown => None,
        }
    }

    /// Queues the response head, and the body when it is full. Returns
    /// whether the connection persists after this response, and the body
    /// stream still to write (with whether it goes in chunks), if any.
    /// Synchronous: the common response never enters another state machine.
    fn queue_head(
        &mut self,
        res: Response,
        exchange: Exchange,
        keep_alive: bool,
    ) -> (bool, Option<(BodyStream, bool)>) {
        let (parts, body) = res.into_parts();
        let (framing, payload) = plan(
            parts.status,
            &parts.headers,
            body,
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
            server: self.config.server(),
        };
        encode_response_head(&head, &mut self.heads);
        self.out.push(self.heads.split().freeze());
        self.recycle(parts.headers);
        let stream = match payload {
            Payload::Nothing => None,
            Payload::Full(bytes) => {
                self.out.push(bytes);
                None
            }
            Payload::Chunked(stream) => Some((stream, true)),
            Payload::Raw(stream) => Some((stream, false)),
        };
        (keep_alive, stream)
    }

    /// Writes a streamed body chunk by chunk as the stream yields. A failing
    /// or stalled stream cannot be reported any more: the connection is
    /// dropped, which a chunked client sees as a truncated body.
    async fn write_stream(&mut self, mut stream: BodyStream, chunked: bool) -> Step {
        if !self.flush().await {
            return Step::Abort;
        }
        loop {
            self.sleep
                .reset(Instant::now() + self.config.request_timeout());
            let next = poll_fn(|cx| stream.as_mut().poll_next(cx));
            let chunk = match race(next, &mut self.sleep, None).await {
                Wake::Done(None) => break,
                Wake::Done(Some(Ok(chunk))) => chunk,
                Wake::Done(Some(Err(e))) => {
                    tracing::debug!(error = %e, "response body stream failed");
                    return Step::Abort;
                }
                Wake::TimedOut | Wake::Shutdown => {
                    tracing::debug!("response body stream stalled");
                    return Step::Abort;
                }
            };
            if chunk.is_empty() {
                continue;
            }
            if chunked {
                encode_chunk_size(chunk.len(), &mut self.heads);
                self.out.push(self.heads.split().freeze());
                self.out.push(chunk);
                self.out.push(Bytes::from_static(b"\r\n"));
            } else {
                self.out.push(chunk);
            }
            if !self.flush().await {
                return Step::Abort;
            }
        }
        if chunked {
            // Left queued: it leaves with the next batch.
            self.out.push(Bytes::from_static(LAST_CHUNK));
            Step::Continue
        } else {
            Step::Close
        }
    }

    /// Keeps a response's header map for the next request head, unless it
    /// grew past what a request may carry.
    fn recycle(&mut self, mut headers: HeaderMap) {
        if headers.capacity() <= self.config.limits().max_headers {
            headers.clear();
            self.spare_headers = headers;
        }
    }

    /// Queues a plain-text error response that closes the connection.
    pub(super) fn queue_error(&mut self, status: StatusCode, reason: &'static str) {
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
            server: self.config.server(),
        };
        encode_response_head(&head, &mut self.heads);
        self.out.push(self.heads.split().freeze());
        self.out.push(Bytes::from_static(reason.as_bytes()));
    }
}

/// Decides the framing header and what follows the head (RFC 9110 §6.4.1,
/// §8.6, RFC 9112 §6.3). The handler's own framing headers are only used
/// where the body cannot tell: a HEAD or 304 response without a body.
fn plan(
    status: StatusCode,
    headers: &HeaderMap,
    body: Body,
    is_head: bool,
    version: Version,
) -> (ResponseFraming, Payload) {
    if status == StatusCode::NO_CONTENT || status.is_informational() {
        return (ResponseFraming::None, Payload::Nothing);
    }
    let bodiless = is_head || status == StatusCode::NOT_MODIFIED;
    match body.into_inner() {
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
        BodyInner::Stream(_) if bodiless => (
            declared_framing(None, headers, is_head, version),
            Payload::Nothing,
        ),
        BodyInner::Stream(s) if version == Version::HTTP_11 => {
            (ResponseFraming::Chunked, Payload::Chunked(s))
        }
        BodyInner::Stream(s) => (ResponseFraming::Close, Payload::Raw(s)),
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

fn wants_close(headers: &HeaderMap) -> bool {
    // A scan of the response's few fields is cheaper than hashing for a lookup.
    let values = headers
        .iter()
        .filter_map(|(name, value)| (name == CONNECTION).then_some(value));
    list_elements(values).any(|t| t.eq_ignore_ascii_case(b"close"))
}

/// A handler cannot end an exchange with a 1xx (there is no protocol
/// upgrade here): the client would wait forever for the final response.
fn reject_informational(res: &mut Response) {
    if !res.status().is_informational() {
        return;
    }
    tracing::error!(status = %res.status(), "handler returned an informational status as its response");
    *res = Response::new(Body::from("handler returned an informational status"));
    *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
}
