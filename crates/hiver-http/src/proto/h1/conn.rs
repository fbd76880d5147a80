//! The connection loop: read, parse every buffered request, answer them in
//! order, write the batch, repeat. It sequences the `Transport` (socket,
//! read buffer, timer) and the `Outbox` (queued responses).

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::Instant;

use hiver_runtime::time;
use http::header::CONNECTION;
use http::{HeaderMap, Method, StatusCode};

use super::body::{BodyError, read_body};
use super::outbox::{Exchange, Outbox, Streamed, Tail};
use super::transport::{Fill, Transport, Wake};
use crate::codec::semantics::list_elements;
use crate::codec::{self, ParseError, RequestHead};
use crate::{Body, ConnectionInfo, FileRegion, Http1Config, Request, Response, Service, pool};

/// Bytes of a streamed body queued while its stream has more ready, before they are sent
/// anyway (the stream may have megabytes ready).
const STREAM_BATCH: usize = 64 * 1024;

/// One HTTP/1.1 connection. Lives on one worker, in one task; nothing in it
/// is shared but the service and the configuration.
pub(crate) struct Conn<S> {
    transport: Transport,
    outbox: Outbox,
    /// Answers the requests; shared with the worker's other connections.
    service: Rc<S>,
    /// Limits and timeouts; shared with the worker's other connections.
    config: Rc<Http1Config>,
    /// Inserted into every request.
    info: ConnectionInfo,
    /// When the first byte of the head being read arrived.
    head_started: Option<Instant>,
}

/// What to do after answering a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Go on with the next request.
    Continue,
    /// Write what is queued, then close gracefully.
    Close,
    /// Close a connection that owes nothing (idle timeout, shutdown while
    /// idle), with whatever goodbye the transport has.
    Idle,
    /// The connection is broken: drop it.
    Abort,
}

impl<S: Service> Conn<S> {
    pub(crate) fn new(transport: Transport, service: Rc<S>, config: Rc<Http1Config>) -> Self {
        let (peer_addr, local_addr) = transport.addrs();
        let info = ConnectionInfo {
            peer_addr,
            local_addr,
        };
        Conn {
            transport,
            outbox: Outbox::new(),
            service,
            config,
            info,
            head_started: None,
        }
    }

    pub(crate) async fn run(mut self) {
        match self.serve().await {
            Step::Close if self.flush().await => self.transport.linger().await,
            Step::Idle => self.transport.close_idle().await,
            _ => {}
        }
    }

    async fn serve(&mut self) -> Step {
        loop {
            let step = self.answer_buffered().await;
            if step != Step::Continue {
                return step;
            }
            if !self.flush().await {
                return Step::Abort;
            }
            if let Err(step) = self.fill().await {
                return step;
            }
        }
    }

    /// Writes what is queued; false if the connection broke or stalled.
    fn flush(&mut self) -> impl Future<Output = bool> + '_ {
        // Not an `async fn`: it would nest one more state machine on the hot path.
        self.flush_with(false)
    }

    /// `flush`; with `before_file` (what precedes a file body that `sendfile` sends next),
    /// the queued bytes go with `MSG_MORE` (see `Transport::write_with`).
    async fn flush_with(&mut self, before_file: bool) -> bool {
        if self.outbox.is_empty() {
            return true;
        }
        match self
            .transport
            .write_with(self.outbox.take(), before_file)
            .await
        {
            Some(emptied) => {
                self.outbox.restore(emptied);
                true
            }
            None => false,
        }
    }

    /// Parses and answers every complete request in the buffer, queueing
    /// the responses; returns `Continue` when the buffer holds no complete
    /// head any more.
    async fn answer_buffered(&mut self) -> Step {
        loop {
            let head = match codec::decode_head(&mut self.transport.buf, self.config.limits()) {
                Ok(Some(head)) => head,
                Ok(None) => return Step::Continue,
                Err(e) => return self.refuse(e),
            };
            self.head_started = None;
            let body =
                match read_body(&mut self.transport, &mut self.outbox, &head, &self.config).await {
                    Ok(body) => body,
                    Err(e) => return self.body_failed(e),
                };
            let exchange = exchange_of(&head);
            // A clone, so the handler's future may borrow the service while
            // `respond` borrows the connection.
            let service = Rc::clone(&self.service);
            let call = service.call(build_request(head, body, self.info));
            let step = self.respond(call, exchange).await;
            if step != Step::Continue {
                return step;
            }
            if self.outbox.is_full() && !self.flush().await {
                return Step::Abort;
            }
        }
    }

    /// Waits for more input between or inside request heads.
    async fn fill(&mut self) -> Result<(), Step> {
        // Empty lines between requests (RFC 9112 §2.2) do not start a head.
        let idle = is_blank(&self.transport.buf);
        if idle {
            self.head_started = None;
        }
        if idle && self.transport.shutdown().is_triggered() {
            return Err(Step::Idle);
        }
        let now = time::now();
        let deadline = if idle {
            now + self.config.keep_alive_timeout()
        } else {
            *self.head_started.get_or_insert(now) + self.config.header_read_timeout()
        };
        match self.transport.read_more(deadline, idle).await {
            Fill::Data => {
                if !is_blank(&self.transport.buf) {
                    self.head_started.get_or_insert_with(time::now);
                }
                Ok(())
            }
            // Idle timeout, shutdown while idle, EOF (also mid-head): close
            // without a word; everything complete was already answered.
            Fill::TimedOut if !idle => {
                tracing::debug!(peer = %self.info.peer_addr, "request head timed out");
                self.queue_error(
                    StatusCode::REQUEST_TIMEOUT,
                    "request head not received in time",
                );
                Err(Step::Close)
            }
            Fill::TimedOut | Fill::Shutdown if idle => Err(Step::Idle),
            Fill::TimedOut | Fill::Closed | Fill::Shutdown => Err(Step::Abort),
        }
    }

    /// Answers a request the codec refused, and closes: after a framing
    /// error nothing that follows can be trusted to be a request.
    fn refuse(&mut self, e: ParseError) -> Step {
        tracing::debug!(peer = %self.info.peer_addr, error = %e, "refusing request");
        self.queue_error(e.status(), e.reason());
        Step::Close
    }

    fn body_failed(&mut self, e: BodyError) -> Step {
        match e {
            BodyError::Refuse(e) => self.refuse(e),
            BodyError::TimedOut => {
                self.queue_error(
                    StatusCode::REQUEST_TIMEOUT,
                    "request body not received in time",
                );
                Step::Close
            }
            BodyError::Closed => Step::Abort,
        }
    }

    fn queue_error(&mut self, status: StatusCode, reason: &'static str) {
        self.outbox
            .queue_error(status, reason, self.config.server());
    }

    /// Runs the handler's future under the request timeout and queues its
    /// response. The caller starts the handler, so that the request moves
    /// once, into the handler, rather than through this state machine too.
    async fn respond(&mut self, call: impl Future<Output = Response>, exchange: Exchange) -> Step {
        let mut call = pin!(call);
        // Most handlers answer on their first poll: the request timer is only
        // armed (a clock read and a timer-wheel move) for one that waits.
        // Polled here rather than in a helper `async fn`, and matched out with
        // no `Option` around it: each wrapper is one more copy of the response.
        let mut res = match poll_fn(|cx| Poll::Ready(call.as_mut().poll(cx))).await {
            Poll::Ready(res) => res,
            Poll::Pending => {
                let deadline = time::now() + self.config.request_timeout();
                match self.transport.race(call, deadline, false).await {
                    Wake::Done(res) => res,
                    Wake::TimedOut | Wake::Shutdown => return self.timed_out(),
                }
            }
        };
        reject_informational(&mut res);
        // A request in flight when shutdown began is still answered, but
        // the connection closes after it.
        let keep_alive = exchange.keep_alive
            && !self.transport.shutdown().is_triggered()
            && !wants_close(res.headers());
        let (keep_alive, tail) =
            self.outbox
                .queue_response(&mut res, exchange, keep_alive, self.config.server());
        pool::recycle_headers(std::mem::take(res.headers_mut()));
        let step = match tail {
            None => Step::Continue,
            Some(Tail::Stream(streamed)) => self.write_stream(streamed).await,
            Some(Tail::File(region)) => self.write_file(region).await,
        };
        match step {
            Step::Continue if !keep_alive => Step::Close,
            step => step,
        }
    }

    /// A handler ran past the request timeout: a 503 that closes the connection.
    fn timed_out(&mut self) -> Step {
        tracing::warn!(peer = %self.info.peer_addr, "handler exceeded the request timeout");
        self.queue_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the request took too long to process",
        );
        Step::Close
    }

    /// Sends a file body after what is queued. A file that ends early or a
    /// stalled client cannot be reported any more: the connection is dropped,
    /// which the client sees as a short body.
    async fn write_file(&mut self, region: FileRegion) -> Step {
        if self.transport.reads_files(&region) {
            return self.write_file_read(region).await;
        }
        if !self.flush_with(true).await {
            return Step::Abort;
        }
        if self.transport.send_file(&region).await {
            Step::Continue
        } else {
            Step::Abort
        }
    }

    /// Sends a file body read into memory (through the ring on io_uring), a buffer at a
    /// time. The last piece stays queued, so a small file leaves in one send with its
    /// head (and with the responses to the requests pipelined behind it). A file that ends
    /// early or cannot be read ends the connection after what is queued, as `write_file`
    /// does.
    async fn write_file_read(&mut self, region: FileRegion) -> Step {
        let (mut offset, mut left) = (region.offset(), region.len());
        while left > 0 {
            let piece = self
                .transport
                .read_file(region.shared_file(), offset, left)
                .await;
            let Some(piece) = piece.filter(|p| !p.is_empty()) else {
                self.flush().await;
                return Step::Abort;
            };
            offset += piece.len() as u64;
            left -= piece.len() as u64;
            self.outbox.queue_body_piece(piece, false);
            if left > 0 && !self.flush().await {
                return Step::Abort;
            }
        }
        Step::Continue
    }

    /// Writes a streamed body as the stream yields. Chunks the stream has ready join what
    /// is queued (the head first), and the queue goes out when the stream has to wait or
    /// holds `STREAM_BATCH` bytes: a stream that yields everything at once (a compressed
    /// file, a rendered page) leaves in one send, with its encoder already dropped, while
    /// one that waits on its data still gets each chunk out before it waits. A failing or
    /// stalled stream cannot be reported any more: the connection is dropped, which a
    /// chunked client sees as a truncated body.
    async fn write_stream(&mut self, streamed: Streamed) -> Step {
        let Streamed {
            mut stream,
            chunked,
        } = streamed;
        let mut batched = 0;
        loop {
            let now = poll_fn(|cx| Poll::Ready(stream.as_mut().poll_next(cx))).await;
            let next = match now {
                Poll::Ready(next) => next,
                Poll::Pending => {
                    if !self.flush().await {
                        return Step::Abort;
                    }
                    batched = 0;
                    let deadline = time::now() + self.config.request_timeout();
                    let next = poll_fn(|cx| stream.as_mut().poll_next(cx));
                    match self.transport.race(next, deadline, false).await {
                        Wake::Done(next) => next,
                        Wake::TimedOut | Wake::Shutdown => {
                            tracing::debug!("response body stream stalled");
                            return Step::Abort;
                        }
                    }
                }
            };
            let chunk = match next {
                None => break,
                Some(Ok(chunk)) => chunk,
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "response body stream failed");
                    return Step::Abort;
                }
            };
            if chunk.is_empty() {
                continue;
            }
            batched += chunk.len();
            self.outbox.queue_body_piece(chunk, chunked);
            if batched >= STREAM_BATCH || self.outbox.is_full() {
                if !self.flush().await {
                    return Step::Abort;
                }
                batched = 0;
            }
        }
        // The stream is done (and dropped with this frame); what is queued leaves with
        // the next batch, or before the close.
        if chunked {
            self.outbox.queue_last_chunk();
            Step::Continue
        } else {
            Step::Close
        }
    }
}

fn exchange_of(head: &RequestHead) -> Exchange {
    Exchange {
        is_head: head.method == Method::HEAD,
        version: head.version,
        keep_alive: head.keep_alive,
    }
}

/// The request handed to the service.
fn build_request(head: RequestHead, body: Body, info: ConnectionInfo) -> Request {
    let mut req = Request::new(body);
    *req.method_mut() = head.method;
    *req.uri_mut() = head.uri;
    *req.version_mut() = head.version;
    *req.headers_mut() = head.headers;
    *req.extensions_mut() = pool::request_extensions(info);
    req
}

/// Whether `buf` holds nothing but line breaks.
fn is_blank(buf: &[u8]) -> bool {
    buf.iter().all(|&b| b == b'\r' || b == b'\n')
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
