//! Reading a request body in full, within the body limit.

use hiver_runtime::time;

use bytes::{Buf, BytesMut};

use super::outbox::Outbox;
use super::transport::{Fill, Transport};
use crate::codec::{BodyFraming, ChunkedDecoder, ParseError, RequestHead};
use crate::{Body, Http1Config};

/// Why no body was read.
pub(super) enum BodyError {
    /// Malformed or too large: answer with the error's status and close.
    Refuse(ParseError),
    /// A piece of it did not arrive within the header read timeout.
    TimedOut,
    /// The connection broke (end of stream mid-body, a failed write of
    /// `100 Continue`): drop it.
    Closed,
}

/// Reads the body `head` announces. `100 Continue` is sent (after the
/// responses already queued in `outbox`) before the first body read when
/// the client asked for it.
pub(super) async fn read_body(
    transport: &mut Transport,
    outbox: &mut Outbox,
    head: &RequestHead,
    config: &Http1Config,
) -> Result<Body, BodyError> {
    let mut reader = BodyReader {
        transport,
        outbox,
        config,
        continued: !head.expect_continue,
    };
    match head.framing {
        BodyFraming::None => Ok(Body::empty()),
        BodyFraming::Length(n) => reader.read_length(n).await,
        BodyFraming::Chunked => reader.read_chunked().await,
    }
}

struct BodyReader<'a> {
    transport: &'a mut Transport,
    outbox: &'a mut Outbox,
    config: &'a Http1Config,
    /// `100 Continue` was sent, or not asked for.
    continued: bool,
}

impl BodyReader<'_> {
    async fn read_length(&mut self, len: u64) -> Result<Body, BodyError> {
        // Refused before anything is read, and before 100 Continue: the
        // client that asked for permission gets 413 instead.
        if len > self.config.max_body_bytes() {
            return Err(BodyError::Refuse(ParseError::BodyTooLarge));
        }
        // Within max_body_bytes, which the caller chose to hold in memory.
        let len = usize::try_from(len).map_err(|_| BodyError::Refuse(ParseError::BodyTooLarge))?;
        let buf = &mut self.transport.buf;
        if buf.len() < len {
            buf.reserve(len - buf.len());
            while self.transport.buf.len() < len {
                self.read_more().await?;
            }
        }
        Ok(Body::full(self.transport.buf.split_to(len).freeze()))
    }

    async fn read_chunked(&mut self) -> Result<Body, BodyError> {
        let mut decoder = ChunkedDecoder::new(self.config.max_body_bytes());
        let mut data = BytesMut::new();
        loop {
            let used = decoder
                .decode(&self.transport.buf, &mut data)
                .map_err(BodyError::Refuse)?;
            self.transport.buf.advance(used);
            if decoder.is_done() {
                return Ok(Body::full(data.freeze()));
            }
            self.read_more().await?;
        }
    }

    /// One read of body bytes (after `100 Continue`, if still owed); each
    /// must arrive within the header read timeout.
    async fn read_more(&mut self) -> Result<(), BodyError> {
        if !self.continued {
            self.continued = true;
            self.outbox.queue_continue();
            let written = self.transport.write(self.outbox.take()).await;
            self.outbox.restore(written.ok_or(BodyError::Closed)?);
        }
        let deadline = time::now() + self.config.header_read_timeout();
        match self.transport.read_more(deadline, false).await {
            Fill::Data => Ok(()),
            Fill::TimedOut => Err(BodyError::TimedOut),
            Fill::Closed | Fill::Shutdown => Err(BodyError::Closed),
        }
    }
}
