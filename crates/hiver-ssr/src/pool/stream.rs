//! Streamed renders through the pool: the render thread hands each piece of a streamed page
//! to the requester as JavaScript produces it, through a bounded channel.
//!
//! The channel holds at most [`STREAM_BUFFER`] pieces. When the consumer is slow the render
//! thread waits (the [`RenderSink`] blocks), so a stream never buffers without bound; it
//! waits no longer than the render's time limit, which covers the whole stream. A consumer
//! that drops its [`PendingStream`] or [`RenderStream`] cancels the render: the thread
//! notices at its next chunk or while it waits on JavaScript, cancels the bundle's stream,
//! drops its timers and takes the next job.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use futures_core::Stream;

use super::Rendered;
use crate::engine::{RenderError, RenderSink};

/// How many pieces of a streamed page may wait in the channel between the render thread and
/// its consumer; the render thread blocks on the next one.
pub const STREAM_BUFFER: usize = 8;

/// What the render thread sends to the requester of a streamed render, in order: `Whole`
/// alone, or `Start`, then `Chunk`s, then `End` or `Failed`.
#[derive(Debug)]
pub(super) enum Event {
    Whole(Result<Rendered, RenderError>),
    Start {
        head: String,
        status: u16,
        generation: u64,
    },
    Chunk(Bytes),
    End,
    Failed(RenderError),
}

/// A queued render that may stream: resolves when its page starts, to a
/// [`Started::Whole`] page or a [`Started::Stream`]. Dropping it cancels the render.
#[derive(Debug)]
#[must_use = "a render is only useful if its result is awaited"]
pub struct PendingStream {
    events: flume::Receiver<Event>,
    /// Created on first poll; it holds its own handle on `events`.
    future: Option<flume::r#async::RecvFut<'static, Event>>,
}

/// How a render that may stream started.
#[derive(Debug)]
pub enum Started {
    /// The bundle returned a whole page (a string, an object, a promise of either).
    Whole(Rendered),
    /// The bundle returned a stream: its head and status are known, its HTML follows.
    Stream(RenderStream),
}

impl PendingStream {
    pub(super) fn new(events: flume::Receiver<Event>) -> Self {
        PendingStream {
            events,
            future: None,
        }
    }

    /// Blocks the calling thread until the page starts.
    ///
    /// # Errors
    ///
    /// The render's [`RenderError`] when it failed before its stream started;
    /// [`RenderError::is_shut_down`] if the pool went away.
    pub fn wait(self) -> Result<Started, RenderError> {
        let first = self.events.recv().ok();
        started(first, &self.events)
    }
}

impl Future for PendingStream {
    type Output = Result<Started, RenderError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let events = &this.events;
        let future = this
            .future
            .get_or_insert_with(|| events.clone().into_recv_async());
        match Pin::new(future).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(first) => Poll::Ready(started(first.ok(), &this.events)),
        }
    }
}

/// What the first event says about how the render started.
fn started(first: Option<Event>, events: &flume::Receiver<Event>) -> Result<Started, RenderError> {
    match first {
        Some(Event::Whole(result)) => result.map(Started::Whole),
        Some(Event::Start {
            head,
            status,
            generation,
        }) => Ok(Started::Stream(RenderStream::new(
            head,
            status,
            generation,
            events.clone(),
        ))),
        Some(Event::Failed(error)) => Err(error),
        Some(Event::Chunk(_) | Event::End) => Err(out_of_order()),
        None => Err(RenderError::shut_down()),
    }
}

fn out_of_order() -> RenderError {
    RenderError::crash("the render thread sent a stream out of order".to_owned())
}

/// The HTML of a streamed page, piece by piece as the render thread produces it: a
/// [`Stream`] of `Bytes` (UTF-8), ending after the last piece or after one error.
///
/// An error means the page stopped early: the bundle's stream failed, or the render ran past
/// its time or memory budget. Dropping it cancels the render.
#[derive(Debug)]
pub struct RenderStream {
    head: String,
    status: u16,
    generation: u64,
    events: flume::Receiver<Event>,
    /// Polled by the `Stream` impl; holds its own handle on `events`.
    stream: flume::r#async::RecvStream<'static, Event>,
    /// Set after the end or an error: nothing more is read.
    done: bool,
}

impl RenderStream {
    fn new(head: String, status: u16, generation: u64, events: flume::Receiver<Event>) -> Self {
        let stream = events.clone().into_stream();
        RenderStream {
            head,
            status,
            generation,
            events,
            stream,
            done: false,
        }
    }

    /// Markup for `<head>`, as `render` returned it with the stream (empty for a bare stream).
    pub fn head(&self) -> &str {
        &self.head
    }

    /// The HTTP status the page asks for; 200 unless `render` returned one with the stream.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The bundle generation that renders this page.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Blocks until the next piece: `None` after the last one (or after an error).
    pub fn next_blocking(&mut self) -> Option<Result<Bytes, RenderError>> {
        if self.done {
            return None;
        }
        let event = self.events.recv().ok();
        self.piece(event)
    }

    fn piece(&mut self, event: Option<Event>) -> Option<Result<Bytes, RenderError>> {
        let piece = match event {
            Some(Event::Chunk(bytes)) => return Some(Ok(bytes)),
            Some(Event::End) => None,
            Some(Event::Failed(error)) => Some(Err(error)),
            Some(Event::Whole(_) | Event::Start { .. }) => Some(Err(out_of_order())),
            None => Some(Err(RenderError::timeout(
                "the render thread ended the stream before its end (time limit)",
            ))),
        };
        self.done = true;
        piece
    }
}

impl Stream for RenderStream {
    type Item = Result<Bytes, RenderError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.stream).poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(event) => Poll::Ready(self.piece(event)),
        }
    }
}

/// The render thread's end of a streamed render: sends the head and each chunk into the
/// bounded channel, waiting while it is full, never past the render's deadline.
pub(super) struct ChannelSink<'a> {
    events: &'a flume::Sender<Event>,
    deadline: Instant,
    generation: u64,
    /// Whether `Start` was sent: an error afterwards ends the stream instead of the render.
    pub(super) started: bool,
}

impl<'a> ChannelSink<'a> {
    pub(super) fn new(
        events: &'a flume::Sender<Event>,
        deadline: Instant,
        generation: u64,
    ) -> Self {
        ChannelSink {
            events,
            deadline,
            generation,
            started: false,
        }
    }

    fn send(&self, event: Event) -> Result<(), RenderError> {
        self.events
            .send_deadline(event, self.deadline)
            .map_err(|e| match e {
                flume::SendTimeoutError::Timeout(_) => RenderError::timeout(
                    "the consumer of the stream took no chunk before the time limit",
                ),
                flume::SendTimeoutError::Disconnected(_) => RenderError::cancelled(),
            })
    }
}

impl RenderSink for ChannelSink<'_> {
    fn start(&mut self, head: String, status: u16) -> Result<(), RenderError> {
        let generation = self.generation;
        self.send(Event::Start {
            head,
            status,
            generation,
        })?;
        self.started = true;
        Ok(())
    }

    fn chunk(&mut self, html: String) -> Result<(), RenderError> {
        self.send(Event::Chunk(Bytes::from(html)))
    }

    fn is_cancelled(&self) -> bool {
        self.events.is_disconnected()
    }
}
