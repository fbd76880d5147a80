//! `Body` as an [`http_body::Body`] (feature `http-body`), so middleware written for the
//! `http-body` ecosystem (tower-http's layers, say) can read and wrap it.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use http_body::{Frame, SizeHint};

use crate::{Body, BoxError};

/// Data frames only (Hiver bodies have no trailers). A file body is read when it is
/// polled, in one read on the calling thread, as [`Body::collect`] does.
impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.poll_next(cx)
            .map(|item| item.map(|r| r.map(Frame::data)))
    }

    fn is_end_stream(&self) -> bool {
        self.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        match Body::size_hint(self) {
            Some(n) => SizeHint::with_exact(n),
            None => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::future::poll_fn;

    fn frames(mut body: Body) -> Vec<Bytes> {
        futures_executor_lite(async move {
            let mut out = Vec::new();
            while let Some(frame) =
                poll_fn(|cx| http_body::Body::poll_frame(Pin::new(&mut body), cx)).await
            {
                out.push(frame.unwrap().into_data().unwrap());
            }
            out
        })
    }

    /// Runs a future that never waits (the bodies here are ready at once).
    fn futures_executor_lite<F: std::future::Future>(fut: F) -> F::Output {
        let mut fut = std::pin::pin!(fut);
        let waker = std::task::Waker::noop();
        match fut.as_mut().poll(&mut Context::from_waker(waker)) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("the body waited"),
        }
    }

    #[test]
    fn full_and_empty_bodies() {
        let body = Body::full("abc");
        assert_eq!(http_body::Body::size_hint(&body).exact(), Some(3));
        assert!(!http_body::Body::is_end_stream(&body));
        assert_eq!(frames(body), [Bytes::from_static(b"abc")]);
        let empty = Body::empty();
        assert!(http_body::Body::is_end_stream(&empty));
        assert!(frames(empty).is_empty());
    }

    #[test]
    fn streams_pass_chunk_by_chunk() {
        let chunks: Vec<Result<Bytes, BoxError>> = vec![Ok("a".into()), Ok("bc".into())];
        let body = Body::stream(futures_util::stream::iter(chunks));
        assert_eq!(http_body::Body::size_hint(&body).exact(), None);
        assert_eq!(
            frames(body),
            [Bytes::from_static(b"a"), Bytes::from_static(b"bc")]
        );
    }
}
