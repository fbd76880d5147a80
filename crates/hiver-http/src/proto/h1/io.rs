//! Socket reads and writes under the connection's one timer.

use std::future::{Future, poll_fn};
use std::mem;
use std::pin::{Pin, pin};
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::Bytes;
use compio::BufResult;
use compio::buf::{IntoInner, IoBufMut, IoVectoredBuf};
use compio::io::{AsyncRead, AsyncWrite};
use hiver_runtime::time::Sleep;

use super::conn::Conn;
use crate::Service;

/// Below this much free space the read buffer grows before a read: a read
/// into a full buffer would return 0 and look like end of stream.
const MIN_READ_SPACE: usize = 2 * 1024;
/// How much the read buffer grows by.
const READ_CHUNK: usize = 8 * 1024;
/// How long a closing connection keeps draining what the client still
/// sends, so that closing with unread data does not reset the connection
/// and destroy the response in flight.
const LINGER: Duration = Duration::from_secs(1);
/// The most bytes drained while lingering.
const LINGER_BYTES: usize = 256 * 1024;

/// What ended a wait.
pub(super) enum Wake<T> {
    Done(T),
    TimedOut,
    Shutdown,
}

/// What a read brought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fill {
    /// At least one byte.
    Data,
    /// End of stream or a socket error: nothing more will come.
    Closed,
    TimedOut,
    /// The worker is shutting down (only while idle).
    Shutdown,
}

/// Runs `fut` until it completes, `sleep` fires, or (when given) shutdown
/// begins. `sleep` is the connection's single timer, reset by the caller.
pub(super) async fn race<F: Future>(
    fut: F,
    sleep: &mut Sleep,
    shutdown: Option<&hiver_runtime::Shutdown>,
) -> Wake<F::Output> {
    let mut fut = pin!(fut);
    let mut stop = shutdown.map(hiver_runtime::Shutdown::wait);
    poll_fn(|cx| {
        if let Poll::Ready(v) = fut.as_mut().poll(cx) {
            return Poll::Ready(Wake::Done(v));
        }
        if Pin::new(&mut *sleep).poll(cx).is_ready() {
            return Poll::Ready(Wake::TimedOut);
        }
        if let Some(stop) = stop.as_mut()
            && Pin::new(stop).poll(cx).is_ready()
        {
            return Poll::Ready(Wake::Shutdown);
        }
        Poll::Pending
    })
    .await
}

impl<S: Service> Conn<S> {
    /// Reads more bytes into the read buffer, until `deadline`; while `idle`
    /// also until shutdown begins.
    pub(super) async fn read_more(&mut self, deadline: Instant, idle: bool) -> Fill {
        if self.buf.capacity() - self.buf.len() < MIN_READ_SPACE {
            self.buf.reserve(READ_CHUNK);
        }
        // The buffer is owned by the read while it runs (io_uring writes into
        // it); a read cut short by the timer takes it along, and the
        // connection closes anyway.
        let buf = mem::take(&mut self.buf);
        self.sleep.reset(deadline);
        let shutdown = idle.then_some(&self.shutdown);
        // `uninit()`: compio reads at the start of the buffer it is given;
        // this view starts at the end of what is already buffered.
        let read = self.conn.stream_mut().read(buf.uninit());
        match race(read, &mut self.sleep, shutdown).await {
            Wake::Done(BufResult(res, buf)) => {
                self.buf = buf.into_inner();
                match res {
                    Ok(0) => Fill::Closed,
                    Ok(_) => Fill::Data,
                    Err(e) => {
                        tracing::trace!(error = %e, "read failed");
                        Fill::Closed
                    }
                }
            }
            Wake::TimedOut => Fill::TimedOut,
            Wake::Shutdown => Fill::Shutdown,
        }
    }

    /// Writes every queued piece in as few vectored writes as the socket
    /// allows. Returns `false` if the connection is broken or stalled.
    pub(super) async fn flush(&mut self) -> bool {
        if self.out.is_empty() {
            return true;
        }
        let pieces = mem::take(&mut self.out);
        match self.write_all(pieces).await {
            Some(mut pieces) => {
                pieces.clear();
                self.out = pieces;
                true
            }
            None => false,
        }
    }

    async fn write_all(&mut self, mut pieces: Vec<Bytes>) -> Option<Vec<Bytes>> {
        let total = pieces.total_len();
        let mut written = 0;
        while written < total {
            // Progress-based: each write must move some bytes within the
            // idle timeout, however long the whole response takes.
            self.sleep
                .reset(Instant::now() + self.config.keep_alive_timeout());
            let write = self.conn.stream_mut().write_vectored(pieces.slice(written));
            match race(write, &mut self.sleep, None).await {
                Wake::Done(BufResult(Ok(n), slice)) if n > 0 => {
                    written += n;
                    pieces = slice.into_inner();
                }
                Wake::Done(BufResult(res, _)) => {
                    tracing::trace!(result = ?res, "write failed");
                    return None;
                }
                Wake::TimedOut | Wake::Shutdown => {
                    tracing::trace!("write stalled");
                    return None;
                }
            }
        }
        Some(pieces)
    }

    /// Closes the write side, then drains the read side for a moment: a
    /// close with unread input makes the kernel send a reset, which can
    /// destroy the response (an error status, typically) before the client
    /// reads it.
    pub(super) async fn linger(&mut self) {
        let stream = self.conn.stream_mut();
        if stream.shutdown().await.is_err() {
            return;
        }
        let deadline = Instant::now() + LINGER;
        let mut drained = 0;
        while drained < LINGER_BYTES {
            self.buf.clear();
            if self.read_more(deadline, false).await != Fill::Data {
                break;
            }
            drained += self.buf.len();
        }
    }
}
