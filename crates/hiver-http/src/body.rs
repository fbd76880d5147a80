//! The one body type, used for requests and responses.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;

/// The error a streaming body may yield.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A stream of body chunks. It is not `Send`: it lives on one worker.
pub type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + 'static>>;

/// An HTTP message body: empty, one contiguous [`Bytes`], or a stream of chunks.
///
/// Request bodies are always `Full` (the connection loop reads and de-chunks them,
/// within the body limit, before the handler runs). A `Full` response body reaches
/// the socket without being copied; a `Stream` response body is sent chunked.
pub struct Body {
    kind: Kind,
}

enum Kind {
    Empty,
    Full(Bytes),
    Stream(BodyStream),
}

impl Body {
    /// An empty body.
    pub const fn empty() -> Self {
        Body { kind: Kind::Empty }
    }

    /// A body made of one buffer, shared without copying.
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        if bytes.is_empty() {
            return Body::empty();
        }
        Body {
            kind: Kind::Full(bytes),
        }
    }

    /// A body streamed chunk by chunk; it is sent with `Transfer-Encoding: chunked`
    /// (or closes the connection for HTTP/1.0 clients).
    pub fn stream<S>(stream: S) -> Self
    where
        S: Stream<Item = Result<Bytes, BoxError>> + 'static,
    {
        Body {
            kind: Kind::Stream(Box::pin(stream)),
        }
    }

    /// The exact length when it is known without polling (empty or full bodies).
    pub fn size_hint(&self) -> Option<u64> {
        match &self.kind {
            Kind::Empty => Some(0),
            Kind::Full(b) => Some(b.len() as u64),
            Kind::Stream(_) => None,
        }
    }

    /// Whether the body is known to be empty.
    pub fn is_empty(&self) -> bool {
        self.size_hint() == Some(0)
    }

    /// The buffer of a full body, or `None` for a stream. Cheap: no copy.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match &self.kind {
            Kind::Empty => None,
            Kind::Full(b) => Some(b),
            Kind::Stream(_) => None,
        }
    }

    /// Turns the body into its parts for the connection loop.
    pub fn into_inner(self) -> BodyInner {
        match self.kind {
            Kind::Empty => BodyInner::Full(Bytes::new()),
            Kind::Full(b) => BodyInner::Full(b),
            Kind::Stream(s) => BodyInner::Stream(s),
        }
    }

    /// Collects the whole body into one buffer. Full bodies are returned without a copy.
    ///
    /// # Errors
    ///
    /// Returns the first error the stream yields.
    pub async fn collect(self) -> Result<Bytes, BoxError> {
        match self.kind {
            Kind::Empty => Ok(Bytes::new()),
            Kind::Full(b) => Ok(b),
            Kind::Stream(mut s) => {
                let mut buf = BytesMut::new();
                while let Some(chunk) = std::future::poll_fn(|cx| s.as_mut().poll_next(cx)).await {
                    buf.extend_from_slice(&chunk?);
                }
                Ok(buf.freeze())
            }
        }
    }
}

/// A body taken apart: what the connection loop writes.
pub enum BodyInner {
    /// One buffer (possibly empty).
    Full(Bytes),
    /// Chunks to be sent as they come.
    Stream(BodyStream),
}

impl Stream for Body {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match &mut self.kind {
            Kind::Empty => Poll::Ready(None),
            Kind::Full(_) => match std::mem::replace(&mut self.kind, Kind::Empty) {
                Kind::Full(b) => Poll::Ready(Some(Ok(b))),
                _ => unreachable!("matched Full above"),
            },
            Kind::Stream(s) => s.as_mut().poll_next(cx),
        }
    }
}

impl Default for Body {
    fn default() -> Self {
        Body::empty()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Empty => f.write_str("Body::Empty"),
            Kind::Full(b) => f.debug_tuple("Body::Full").field(&b.len()).finish(),
            Kind::Stream(_) => f.write_str("Body::Stream"),
        }
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body::full(b)
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Self {
        Body::full(v)
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Body::full(s)
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Body::full(Bytes::from_static(s.as_bytes()))
    }
}

impl From<&'static [u8]> for Body {
    fn from(s: &'static [u8]) -> Self {
        Body::full(Bytes::from_static(s))
    }
}

impl From<()> for Body {
    fn from(_: ()) -> Self {
        Body::empty()
    }
}
