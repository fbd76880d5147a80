//! The socket side of a connection: the read buffer, timed reads and writes, and the
//! graceful close. Knows nothing of HTTP.
//!
//! With the `tls` feature a transport may carry a TLS session: ciphertext is
//! read from the socket and decrypted into the same read buffer, plaintext is
//! encrypted on its way out. The plain path is untouched by it (one branch on
//! an `Option`).

use std::fs::File;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use crate::FileRegion;
use bytes::{Bytes, BytesMut};
use hiver_runtime::net::advance;
use hiver_runtime::time::{self, Sleep, sleep};
use hiver_runtime::{Connection, Shutdown};

/// The initial size of the read buffer.
const READ_BUF: usize = 8 * 1024;
/// Below this much free space the read buffer grows before a read.
const MIN_READ_SPACE: usize = 2 * 1024;
/// How much the read buffer grows by.
const READ_CHUNK: usize = 8 * 1024;
/// How long a closing connection keeps draining what the client still
/// sends, so that closing with unread data does not reset the connection
/// and destroy the response in flight.
const LINGER: Duration = Duration::from_secs(1);
/// The most bytes drained while lingering.
const LINGER_BYTES: usize = 256 * 1024;
/// The most one file read takes: a file up to this size is read whole (the storefront's
/// largest page is 88 KB); a larger one goes out a buffer of this size at a time.
const FILE_READ_MAX: usize = 128 * 1024;
/// File bodies up to this size are read and sent with their head (see `reads_files`).
const FILE_READ_SMALL: u64 = 8 * 1024;

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

/// A connection's socket, its read buffer and its one timer.
pub(crate) struct Transport {
    /// The socket; dropping it closes the socket and frees the worker's slot.
    conn: Connection,
    /// Bytes read and not yet consumed; request heads and Content-Length
    /// bodies are split off it without copying.
    pub(super) buf: BytesMut,
    /// The connection's only timer, reset for each phase (idle, head, body,
    /// handler, write).
    sleep: Sleep,
    /// The worker's shutdown signal, watched while idle.
    shutdown: Shutdown,
    /// How long one write may go without progress.
    write_timeout: Duration,
    /// The TLS session, if the connection is HTTPS.
    #[cfg(feature = "tls")]
    tls: Option<Box<tls::Session>>,
}

impl Transport {
    pub(crate) fn new(conn: Connection, write_timeout: Duration) -> Self {
        let shutdown = conn.shutdown().clone();
        Transport {
            conn,
            buf: BytesMut::with_capacity(READ_BUF),
            sleep: sleep(write_timeout),
            shutdown,
            write_timeout,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// Whether a file body is read and sent as bytes, queued with its head, rather than
    /// sent with `sendfile(2)` after the head.
    /// - Up to `FILE_READ_SMALL`, on both drivers: one read and the head and body in one
    ///   send cost less than the head's send and a `sendfile` (8 KiB: level on io_uring,
    ///   1.07x on epoll; measured with `bench/pair.sh`, 2 pairs per size).
    /// - Larger, on epoll: `sendfile`, whose pages go to the socket without the copy
    ///   through user memory (16 KiB: 1.02-1.10x the requests per CPU-second of a read
    ///   and a send; 32 KiB: 1.19-1.28x; 88 KiB: 1.26-1.27x).
    /// - Larger, on io_uring: `sendfile` when the range is in memory (a
    ///   `FileRegion::memory`, or every page of it in the page cache by `cachestat(2)`),
    ///   so it cannot wait for a disk (88 KiB: 1.48-1.63x a ring read and a send);
    ///   otherwise read through the ring, which never blocks the worker on a disk, as
    ///   `sendfile` would. A kernel without `cachestat` (before 6.5) reads disk files
    ///   through the ring.
    /// - A TLS session encrypts from memory in its own way.
    pub(super) fn reads_files(&self, region: &FileRegion) -> bool {
        #[cfg(feature = "tls")]
        if self.tls.is_some() {
            return false;
        }
        if region.len() <= FILE_READ_SMALL {
            return true;
        }
        if self.conn.stream().driver() != hiver_runtime::Driver::IoUring || region.is_in_memory() {
            return false;
        }
        let cached = hiver_runtime::fs::in_page_cache(region.file(), region.offset(), region.len());
        cached != Some(true)
    }

    /// Reads up to `len` bytes (at most `FILE_READ_MAX`) of `file` at `offset`, within
    /// the write timeout: the bytes (empty at the end of the file), or `None` if the read
    /// failed or stalled.
    ///
    /// Each read gets a buffer of its own from the worker's pool (`pool::read_buffer`),
    /// which goes back there once its bytes are sent: a buffer kept per connection would
    /// hold its memory while the connection idles.
    pub(super) async fn read_file(
        &mut self,
        file: &Arc<File>,
        offset: u64,
        len: u64,
    ) -> Option<Bytes> {
        let len = usize::try_from(len).map_or(FILE_READ_MAX, |len| len.min(FILE_READ_MAX));
        self.sleep.reset(time::now() + self.write_timeout);
        let buf = crate::pool::read_buffer(len);
        let read = hiver_runtime::fs::read_at(Arc::clone(file), buf, offset, len);
        match race(read, &mut self.sleep, None).await {
            Wake::Done((Ok(_), buf)) => Some(crate::pool::read_bytes(buf)),
            Wake::Done((Err(e), _)) => {
                tracing::debug!(error = %e, "file body read failed");
                None
            }
            Wake::TimedOut | Wake::Shutdown => {
                tracing::debug!("file body read stalled");
                None
            }
        }
    }

    /// The socket's two ends.
    pub(crate) fn addrs(&self) -> (std::net::SocketAddr, std::net::SocketAddr) {
        (self.conn.peer_addr(), self.conn.local_addr())
    }

    pub(super) fn shutdown(&self) -> &Shutdown {
        &self.shutdown
    }

    /// Runs `fut` until it completes, `deadline` passes, or (with
    /// `watch_shutdown`) shutdown begins.
    pub(super) async fn race<F: Future>(
        &mut self,
        fut: F,
        deadline: Instant,
        watch_shutdown: bool,
    ) -> Wake<F::Output> {
        self.sleep.reset(deadline);
        race(
            fut,
            &mut self.sleep,
            watch_shutdown.then_some(&self.shutdown),
        )
        .await
    }

    /// Reads more bytes into the read buffer, until `deadline`; while `idle`
    /// also until shutdown begins.
    pub(super) async fn read_more(&mut self, deadline: Instant, idle: bool) -> Fill {
        if self.buf.capacity() - self.buf.len() < MIN_READ_SPACE {
            self.buf.reserve(READ_CHUNK);
        }
        #[cfg(feature = "tls")]
        if self.tls.is_some() {
            return self.read_tls(deadline, idle).await;
        }
        self.sleep.reset(deadline);
        let shutdown = idle.then_some(&self.shutdown);
        read_socket(&mut self.conn, &mut self.buf, &mut self.sleep, shutdown).await
    }

    /// Writes all of `pieces` in as few vectored writes as the socket
    /// allows, each of which must make progress within the write timeout.
    /// Gives the emptied vector back, or `None` if the connection is broken
    /// or stalled.
    pub(super) fn write(
        &mut self,
        pieces: Vec<Bytes>,
    ) -> impl Future<Output = Option<Vec<Bytes>>> + '_ {
        // Not an `async fn`: it would nest one more state machine on the hot path.
        self.write_with(pieces, false)
    }

    /// As [`write`](Self::write); with `more` (the head of a body that `send_file` sends
    /// next), `MSG_MORE` on a plain socket, so the head shares its segment with the start
    /// of the body instead of leaving alone (nginx's `tcp_nopush` does the same).
    pub(super) async fn write_with(
        &mut self,
        pieces: Vec<Bytes>,
        more: bool,
    ) -> Option<Vec<Bytes>> {
        #[cfg(feature = "tls")]
        if self.tls.is_some() {
            return self.write_tls(pieces).await;
        }
        write_socket(
            &mut self.conn,
            &mut self.sleep,
            self.write_timeout,
            pieces,
            more,
        )
        .await
    }

    /// Sends `region` (with `sendfile(2)` on a plain socket), each send
    /// making progress within the write timeout; `false` if the connection is
    /// broken or stalled, or the file ended early.
    pub(super) async fn send_file(&mut self, region: &FileRegion) -> bool {
        #[cfg(feature = "tls")]
        if self.tls.is_some() {
            return self.send_file_tls(region).await;
        }
        use std::os::fd::AsFd;
        let (mut offset, mut left) = (region.offset(), region.len());
        while left > 0 {
            self.sleep.reset(time::now() + self.write_timeout);
            let send = self
                .conn
                .stream_mut()
                .send_file(region.file().as_fd(), offset, left);
            match race(send, &mut self.sleep, None).await {
                Wake::Done(Ok(n)) => {
                    offset += n as u64;
                    left -= n as u64;
                }
                Wake::Done(Err(e)) => {
                    tracing::debug!(error = %e, "file body failed");
                    return false;
                }
                Wake::TimedOut | Wake::Shutdown => {
                    tracing::trace!("file body stalled");
                    return false;
                }
            }
        }
        true
    }

    /// Says goodbye on a connection closed while idle: a TLS `close_notify`
    /// (nothing on a plain socket, which the drop closes).
    pub(super) async fn close_idle(&mut self) {
        #[cfg(feature = "tls")]
        if self.tls.is_some() {
            self.close_notify().await;
        }
    }

    /// Closes the write side (after a TLS `close_notify`), then drains the
    /// read side for a moment: a close with unread input makes the kernel
    /// send a reset, which can destroy the response (an error status,
    /// typically) before the client reads it.
    pub(super) async fn linger(&mut self) {
        #[cfg(feature = "tls")]
        if self.tls.is_some() {
            if !self.close_notify().await {
                return;
            }
            // What the client still sends is drained as it comes, undecrypted.
            self.tls = None;
        }
        if self.conn.stream().shutdown_write().is_err() {
            return;
        }
        let deadline = time::now() + LINGER;
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

/// Reads what the socket has into `buf`, until `sleep` fires or (when given)
/// shutdown begins. Cancel-safe: a read cut short loses nothing.
async fn read_socket(
    conn: &mut Connection,
    buf: &mut BytesMut,
    sleep: &mut Sleep,
    shutdown: Option<&Shutdown>,
) -> Fill {
    let read = conn.stream_mut().read(buf);
    match race(read, sleep, shutdown).await {
        Wake::Done(Ok(0)) => Fill::Closed,
        Wake::Done(Ok(_)) => Fill::Data,
        Wake::Done(Err(e)) => {
            tracing::trace!(error = %e, "read failed");
            Fill::Closed
        }
        Wake::TimedOut => Fill::TimedOut,
        Wake::Shutdown => Fill::Shutdown,
    }
}

/// Writes all of `pieces` in as few vectored writes as the socket allows,
/// each of which must make progress within `timeout`. Gives the emptied
/// vector back, or `None` if the connection is broken or stalled.
async fn write_socket(
    conn: &mut Connection,
    sleep: &mut Sleep,
    timeout: Duration,
    mut pieces: Vec<Bytes>,
    more: bool,
) -> Option<Vec<Bytes>> {
    let mut left: usize = pieces.iter().map(Bytes::len).sum();
    while left > 0 {
        sleep.reset(time::now() + timeout);
        let stream = conn.stream_mut();
        let write = async move {
            if more {
                stream.write_vectored_more(pieces).await
            } else {
                stream.write_vectored(pieces).await
            }
        };
        match race(write, sleep, None).await {
            Wake::Done((Ok(n), back)) if n > 0 => {
                pieces = back;
                advance(&mut pieces, n);
                left -= n;
            }
            Wake::Done((res, _)) => {
                tracing::trace!(result = ?res, "write failed");
                return None;
            }
            Wake::TimedOut | Wake::Shutdown => {
                tracing::trace!("write stalled");
                return None;
            }
        }
    }
    pieces.clear();
    Some(pieces)
}

/// Runs `fut` until it completes, `sleep` fires, or (when given) shutdown
/// begins.
async fn race<F: Future>(
    fut: F,
    sleep: &mut Sleep,
    shutdown: Option<&Shutdown>,
) -> Wake<F::Output> {
    let mut fut = pin!(fut);
    let mut stop = shutdown.map(Shutdown::wait);
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

#[cfg(feature = "tls")]
mod tls;
