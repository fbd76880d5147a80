//! Reading a request body in full, then building the request.

use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};
use http::StatusCode;

use super::conn::{Conn, Step};
use super::io::Fill;
use crate::codec::{BodyFraming, CONTINUE, ChunkedDecoder, ParseError, RequestHead};
use crate::{Body, ConnectionInfo, Request, Service};

impl<S: Service> Conn<S> {
    /// Reads the body `head` announces, within the body limit. On error the
    /// answer (if any) is queued and the step says how to end.
    pub(super) async fn read_body(&mut self, head: &RequestHead) -> Result<Body, Step> {
        match head.framing {
            BodyFraming::None => Ok(Body::empty()),
            BodyFraming::Length(n) => self.read_length(n, head.expect_continue).await,
            BodyFraming::Chunked => self.read_chunked(head.expect_continue).await,
        }
    }

    async fn read_length(&mut self, len: u64, expect_continue: bool) -> Result<Body, Step> {
        // Refused before anything is read, and before 100 Continue: the
        // client that asked for permission gets 413 instead.
        if len > self.config.max_body_bytes() {
            return Err(self.refuse(ParseError::BodyTooLarge));
        }
        // Within max_body_bytes, which the caller chose to hold in memory.
        let len = usize::try_from(len).map_err(|_| self.refuse(ParseError::BodyTooLarge))?;
        if self.buf.len() < len {
            if expect_continue {
                self.send_continue().await?;
            }
            self.buf.reserve(len - self.buf.len());
            while self.buf.len() < len {
                self.read_body_bytes().await?;
            }
        }
        Ok(Body::full(self.buf.split_to(len).freeze()))
    }

    async fn read_chunked(&mut self, expect_continue: bool) -> Result<Body, Step> {
        let mut decoder = ChunkedDecoder::new(self.config.max_body_bytes());
        let mut data = BytesMut::new();
        let mut continued = !expect_continue;
        loop {
            let used = decoder
                .decode(&self.buf, &mut data)
                .map_err(|e| self.refuse(e))?;
            self.buf.advance(used);
            if decoder.is_done() {
                return Ok(Body::full(data.freeze()));
            }
            if !continued {
                continued = true;
                self.send_continue().await?;
            }
            self.read_body_bytes().await?;
        }
    }

    /// `100 Continue` goes after the responses already queued, which must
    /// reach the client first.
    async fn send_continue(&mut self) -> Result<(), Step> {
        self.out.push(Bytes::from_static(CONTINUE));
        if self.flush().await {
            Ok(())
        } else {
            Err(Step::Abort)
        }
    }

    /// One read of body bytes; each must arrive within the header read
    /// timeout. EOF mid-body ends the connection without an answer.
    async fn read_body_bytes(&mut self) -> Result<(), Step> {
        let deadline = Instant::now() + self.config.header_read_timeout();
        match self.read_more(deadline, false).await {
            Fill::Data => Ok(()),
            Fill::TimedOut => {
                self.queue_error(
                    StatusCode::REQUEST_TIMEOUT,
                    "request body not received in time",
                );
                Err(Step::Close)
            }
            Fill::Closed | Fill::Shutdown => Err(Step::Abort),
        }
    }
}

/// The request handed to the service.
pub(super) fn build_request(head: RequestHead, body: Body, info: ConnectionInfo) -> Request {
    let mut req = Request::new(body);
    *req.method_mut() = head.method;
    *req.uri_mut() = head.uri;
    *req.version_mut() = head.version;
    *req.headers_mut() = head.headers;
    req.extensions_mut().insert(info);
    req
}
