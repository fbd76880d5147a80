//! Streamed pages on the HTTP side.
//!
//! When the render of a page turns out to stream, the render future (run by the cache on
//! behalf of the request) hands the waiting request a [`Streaming`] page: the status and a
//! body that carries the document's opening (head markup, asset tags, preload hints) at once,
//! then each chunk as the render thread produces it, then the document's closing. The
//! request answers with it right away; the rest of its cache lookup (the render future, then
//! storing the page) goes on in a task of its own ([`continue_in_background`]).
//!
//! Backpressure runs from the socket to the render thread: the body channel holds one chunk,
//! the render future waits on it before it reads the next chunk from the pool, and the pool's
//! channel makes the render thread wait in turn. A client that stops reading before the end
//! drops the body, which [`Abandon`]s the page: the background task drops the render future,
//! which cancels the render (and releases the cache's single flight to a waiter).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use futures_core::Stream;
use hiver::Body;
use http::StatusCode;

use crate::cache::Outcome;

/// A page whose render streams, as handed to the request waiting for it.
pub(crate) struct Streaming {
    /// Fixed before the first byte: the status the render asked for.
    pub(crate) status: StatusCode,
    /// How the cache is getting the page: [`Outcome::Miss`], or [`Outcome::Bypass`] when it
    /// renders for this request alone (the cache's decision, see
    /// [`Destination`](crate::cache::Destination)).
    pub(crate) outcome: Outcome,
    /// The opening of the document, then the chunks, then its closing.
    pub(crate) body: Body,
    /// Set when the client went away before the end.
    pub(crate) abandon: Rc<Abandon>,
}

/// Set once the client of a streamed page went away before its end. Single-threaded: the
/// body, the render future and the background task all live on one HTTP worker.
#[derive(Debug, Default)]
pub(crate) struct Abandon {
    /// Whether the client went away.
    gone: Cell<bool>,
    /// The background task waiting for it.
    waker: RefCell<Option<Waker>>,
}

impl Abandon {
    fn abandon(&self) {
        self.gone.set(true);
        if let Some(waker) = self.waker.borrow_mut().take() {
            waker.wake();
        }
    }

    fn poll(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.gone.get() {
            return Poll::Ready(());
        }
        *self.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// The client's end of a streamed page: what the render future sends, in order.
struct PageBody {
    chunks: flume::r#async::RecvStream<'static, Bytes>,
    abandon: Rc<Abandon>,
    /// Set once the render future closed the page (after its closing tags).
    ended: bool,
}

impl Stream for PageBody {
    type Item = Result<Bytes, Box<dyn std::error::Error + Send + Sync>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match Pin::new(&mut self.chunks).poll_next(cx) {
            Poll::Ready(Some(chunk)) => Poll::Ready(Some(Ok(chunk))),
            Poll::Ready(None) => {
                self.ended = true;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for PageBody {
    fn drop(&mut self) {
        if !self.ended {
            self.abandon.abandon();
        }
    }
}

/// The render future's end of a streamed page: it feeds the body the client reads.
pub(crate) struct Feed {
    chunks: flume::Sender<Bytes>,
}

impl Feed {
    /// A page body that starts with `opening`, and the sender that feeds it.
    pub(crate) fn open(opening: Bytes, status: StatusCode, outcome: Outcome) -> (Feed, Streaming) {
        let (chunks, receiver) = flume::bounded(1);
        // The channel is new and holds one: this cannot fail.
        let _ = chunks.try_send(opening);
        let abandon = Rc::new(Abandon::default());
        let body = PageBody {
            chunks: receiver.into_stream(),
            abandon: abandon.clone(),
            ended: false,
        };
        let streaming = Streaming {
            status,
            outcome,
            body: Body::stream(body),
            abandon,
        };
        (Feed { chunks }, streaming)
    }

    /// Sends one chunk, waiting while the client has not taken the previous one. When the
    /// client is gone this never returns: the background task drops the render future.
    pub(crate) async fn send(&self, chunk: Bytes) {
        if self.chunks.send_async(chunk).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Sends the document's closing and ends the body cleanly.
    pub(crate) async fn close(self, closing: Bytes) {
        self.send(closing).await;
    }
}

/// Runs the rest of a request's cache lookup (the streaming render, then storing the page)
/// on this worker after the request was answered, inside the request's span (so its log
/// lines keep the request id); drops it, cancelling the render, if the client goes away
/// first.
pub(crate) fn continue_in_background<F>(lookup: Pin<Box<F>>, abandon: Rc<Abandon>)
where
    F: Future + ?Sized + 'static,
{
    let mut lookup = lookup;
    let span = tracing::Span::current();
    let rest = std::future::poll_fn(move |cx| {
        let _entered = span.enter();
        if lookup.as_mut().poll(cx).is_ready() {
            return Poll::Ready(());
        }
        abandon.poll(cx)
    });
    hiver_runtime::spawn(rest).detach();
}

/// Where the render future hands a streamed page to the request waiting for it. Lives in the
/// request's render job (no allocation of its own); single-threaded like the rest.
#[derive(Default)]
pub(crate) struct Handoff {
    /// The page, from [`offer`](Self::offer) until the request takes it.
    page: RefCell<Option<Streaming>>,
    /// The request's task, parked in [`race`].
    waiter: RefCell<Option<Waker>>,
    /// Set once the request stopped waiting (answered, or took a page): later renders of the
    /// same job (a background refresh) have nobody to stream to.
    closed: Cell<bool>,
}

impl Handoff {
    /// Whether a request still waits for a page (and an offer can succeed).
    pub(crate) fn is_open(&self) -> bool {
        !self.closed.get()
    }

    /// Hands `page` over; gives it back when nobody waits any more.
    pub(crate) fn offer(&self, page: Streaming) -> Result<(), Streaming> {
        if self.closed.get() {
            return Err(page);
        }
        self.closed.set(true);
        *self.page.borrow_mut() = Some(page);
        if let Some(waiter) = self.waiter.borrow_mut().take() {
            waiter.wake();
        }
        Ok(())
    }

    fn poll_take(&self, cx: &mut Context<'_>) -> Poll<Streaming> {
        if let Some(page) = self.page.borrow_mut().take() {
            return Poll::Ready(page);
        }
        *self.waiter.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }

    /// The request stopped waiting, or never wanted a stream (a HEAD request, which sends
    /// no body: streaming would only cancel the render): renders of this job join their
    /// stream into the page instead.
    pub(crate) fn close(&self) {
        self.closed.set(true);
        self.waiter.borrow_mut().take();
    }
}

/// The first of two things to happen: the cache lookup finishes, or a streamed page is
/// handed over (which leaves the lookup running, returned for [`continue_in_background`]).
pub(crate) enum Raced<L: Future + ?Sized> {
    Looked(L::Output),
    Streaming(Streaming, Pin<Box<L>>),
}

/// Awaits `lookup` or a page handed over through `handoff`, whichever comes first; then
/// closes `handoff`.
pub(crate) async fn race<L: Future + ?Sized>(lookup: Pin<Box<L>>, handoff: &Handoff) -> Raced<L> {
    let mut lookup = Some(lookup);
    let raced = std::future::poll_fn(move |cx| {
        let Some(mut running) = lookup.take() else {
            return Poll::Pending; // not polled again after Ready
        };
        if let Poll::Ready(output) = running.as_mut().poll(cx) {
            return Poll::Ready(Raced::Looked(output));
        }
        if let Poll::Ready(streaming) = handoff.poll_take(cx) {
            return Poll::Ready(Raced::Streaming(streaming, running));
        }
        lookup = Some(running);
        Poll::Pending
    })
    .await;
    handoff.close();
    raced
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_executor::block_on;

    fn page() -> (Feed, Streaming) {
        Feed::open(Bytes::from_static(b"<head>"), StatusCode::OK, Outcome::Miss)
    }

    #[test]
    fn a_lookup_that_finishes_first_wins_and_closes_the_handoff() {
        let handoff = Handoff::default();
        let raced = block_on(race(Box::pin(async { 7 }), &handoff));
        assert!(matches!(raced, Raced::Looked(7)));
        assert!(handoff.offer(page().1).is_err(), "nobody waits any more");
    }

    #[test]
    fn an_offered_page_wins_and_the_lookup_is_handed_back_unfinished() {
        let handoff = Handoff::default();
        let (_feed, streaming) = page();
        let lookup = async {
            assert!(handoff.offer(streaming).is_ok());
            std::future::pending::<()>().await;
        };
        let Raced::Streaming(got, _rest) = block_on(race(Box::pin(lookup), &handoff)) else {
            panic!("the page was offered while the lookup ran")
        };
        assert_eq!(got.status, StatusCode::OK);
    }

    #[test]
    fn the_body_carries_the_opening_then_the_chunks_and_ends_without_abandoning() {
        let (feed, streaming) = page();
        let abandon = streaming.abandon.clone();
        let mut body = streaming.body;
        block_on(async {
            let send = async {
                feed.send(Bytes::from_static(b"<p>")).await;
                feed.close(Bytes::from_static(b"</html>")).await;
            };
            let read = async {
                let mut got = Vec::new();
                while let Some(chunk) =
                    std::future::poll_fn(|cx| Pin::new(&mut body).poll_next(cx)).await
                {
                    got.extend_from_slice(&chunk.expect("no error"));
                }
                got
            };
            let (_, got) = futures_util::future::join(send, read).await;
            assert_eq!(got, b"<head><p></html>");
        });
        drop(body);
        assert!(!abandon.gone.get());
    }

    #[test]
    fn a_body_dropped_before_its_end_abandons_the_page() {
        let (_feed, streaming) = page();
        let abandon = streaming.abandon.clone();
        drop(streaming.body);
        assert!(abandon.gone.get());
    }
}
