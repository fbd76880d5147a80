//! The connection loop: read, parse every buffered request, answer them in
//! order, write the batch, repeat.

use std::rc::Rc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use hiver_runtime::time::{Sleep, sleep};
use hiver_runtime::{Connection, Shutdown};
use http::HeaderMap;

use super::io::Fill;
use super::request::build_request;
use super::response::Exchange;
use crate::codec::{self, ParseError};
use crate::{ConnectionInfo, Http1Config, Service};

/// The initial size of the read buffer.
const READ_BUF: usize = 8 * 1024;
/// A batch is written once it holds this many pieces, far below the
/// kernel's iovec limit (1024).
pub(super) const MAX_PIECES: usize = 512;

/// One HTTP/1.1 connection. Lives on one worker, in one task; nothing in it
/// is shared.
pub(crate) struct Conn<S> {
    /// The socket; dropping it closes the socket and frees the worker's slot.
    pub(super) conn: Connection,
    /// Answers the requests; shared with the worker's other connections.
    pub(super) service: Rc<S>,
    /// Limits and timeouts; shared with the worker's other connections.
    pub(super) config: Rc<Http1Config>,
    /// Inserted into every request.
    pub(super) info: ConnectionInfo,
    /// The worker's shutdown signal, watched between requests.
    pub(super) shutdown: Shutdown,
    /// Bytes read and not yet consumed; request heads and Content-Length
    /// bodies are split off it without copying.
    pub(super) buf: BytesMut,
    /// Encoded response heads and chunk-size lines; each is split off as a
    /// piece of `out`, and the space is reclaimed once the batch is written.
    pub(super) heads: BytesMut,
    /// The pieces of the next vectored write, in wire order.
    pub(super) out: Vec<Bytes>,
    /// The connection's only timer, reset for each phase (idle, head, body,
    /// handler, write).
    pub(super) sleep: Sleep,
    /// When the first byte of the head being read arrived.
    pub(super) head_started: Option<Instant>,
    /// The last response's header map, emptied: the next request's fields
    /// go into its allocation instead of a fresh one.
    pub(super) spare_headers: HeaderMap,
}

/// What to do after answering a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// Go on with the next request.
    Continue,
    /// Write what is queued, then close gracefully.
    Close,
    /// The connection is broken: drop it.
    Abort,
}

impl<S: Service> Conn<S> {
    pub(crate) fn new(conn: Connection, service: Rc<S>, config: Rc<Http1Config>) -> Self {
        let info = ConnectionInfo {
            peer_addr: conn.peer_addr(),
            local_addr: conn.local_addr(),
        };
        let shutdown = conn.shutdown().clone();
        let sleep = sleep(config.keep_alive_timeout());
        Conn {
            conn,
            service,
            config,
            info,
            shutdown,
            buf: BytesMut::with_capacity(READ_BUF),
            heads: BytesMut::with_capacity(1024),
            out: Vec::with_capacity(16),
            sleep,
            head_started: None,
            spare_headers: HeaderMap::new(),
        }
    }

    pub(crate) async fn run(mut self) {
        if self.serve().await == Step::Close && self.flush().await {
            self.linger().await;
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
            match self.fill().await {
                Ok(()) => {}
                Err(step) => return step,
            }
        }
    }

    /// Parses and answers every complete request in the buffer, queueing
    /// the responses; returns `Continue` when the buffer holds no complete
    /// head any more.
    async fn answer_buffered(&mut self) -> Step {
        loop {
            let head = match codec::decode_head_reusing(
                &mut self.buf,
                self.config.limits(),
                &mut self.spare_headers,
            ) {
                Ok(Some(head)) => head,
                Ok(None) => return Step::Continue,
                Err(e) => return self.refuse(e),
            };
            self.head_started = None;
            let body = match self.read_body(&head).await {
                Ok(body) => body,
                Err(step) => return step,
            };
            let exchange = Exchange::of(&head);
            // A clone, so the handler's future may borrow the service while
            // `respond` borrows the connection.
            let service = Rc::clone(&self.service);
            let call = service.call(build_request(head, body, self.info));
            let step = self.respond(call, exchange).await;
            if step != Step::Continue {
                return step;
            }
            if self.out.len() >= MAX_PIECES && !self.flush().await {
                return Step::Abort;
            }
        }
    }

    /// Waits for more input between or inside request heads.
    async fn fill(&mut self) -> Result<(), Step> {
        // Empty lines between requests (RFC 9112 §2.2) do not start a head.
        let idle = is_blank(&self.buf);
        if idle {
            self.head_started = None;
        }
        if idle && self.shutdown.is_triggered() {
            return Err(Step::Abort);
        }
        let now = Instant::now();
        let deadline = if idle {
            now + self.config.keep_alive_timeout()
        } else {
            *self.head_started.get_or_insert(now) + self.config.header_read_timeout()
        };
        match self.read_more(deadline, idle).await {
            Fill::Data => {
                if !is_blank(&self.buf) {
                    self.head_started.get_or_insert_with(Instant::now);
                }
                Ok(())
            }
            // Idle timeout, shutdown while idle, EOF (also mid-head): close
            // without a word; everything complete was already answered.
            Fill::TimedOut if !idle => {
                tracing::debug!(peer = %self.info.peer_addr, "request head timed out");
                self.queue_error(
                    http::StatusCode::REQUEST_TIMEOUT,
                    "request head not received in time",
                );
                Err(Step::Close)
            }
            Fill::TimedOut | Fill::Closed | Fill::Shutdown => Err(Step::Abort),
        }
    }

    /// Answers a request the codec refused, and closes: after a framing
    /// error nothing that follows can be trusted to be a request.
    pub(super) fn refuse(&mut self, e: ParseError) -> Step {
        tracing::debug!(peer = %self.info.peer_addr, error = %e, "refusing request");
        self.queue_error(e.status(), e.reason());
        Step::Close
    }
}

/// Whether `buf` holds nothing but line breaks.
fn is_blank(buf: &[u8]) -> bool {
    buf.iter().all(|&b| b == b'\r' || b == b'\n')
}
