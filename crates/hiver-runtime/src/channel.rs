//! A cross-core, unbounded multi-producer single-consumer channel for control messages.
//!
//! Senders live on any thread; the [`Receiver`] is moved to one worker and awaited there.
//! Messages sit in a lock-free queue ([`crossbeam_queue::SegQueue`]); the receiver's waker is
//! kept in an atomic slot ([`AtomicWaker`]), so a send from another core wakes the worker's
//! runtime without a lock.
//!
//! # Examples
//!
//! ```
//! use hiver_runtime::channel::channel;
//!
//! let (tx, mut rx) = channel::<u32>();
//! let producer = std::thread::spawn(move || tx.send(7).unwrap());
//! let got = hiver_runtime::Runtime::new().unwrap().block_on(async move { rx.recv().await });
//! producer.join().unwrap();
//! assert_eq!(got, Some(7));
//! ```

use std::{
    fmt,
    future::poll_fn,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    task::Poll,
};

use crossbeam_queue::SegQueue;
use futures_util::task::AtomicWaker;

/// Creates a channel.
pub fn channel<T: Send>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        queue: SegQueue::new(),
        waker: AtomicWaker::new(),
        senders: AtomicUsize::new(1),
        receiver_alive: AtomicBool::new(true),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared },
    )
}

struct Shared<T> {
    /// Messages in send order per sender; pushed by any thread, popped by the receiver.
    queue: SegQueue<T>,
    /// The receiver task's waker, registered by `recv` and taken by `send` / last drop.
    waker: AtomicWaker,
    /// Live `Sender`s; the receiver sees the channel closed when this hits zero.
    senders: AtomicUsize,
    /// Cleared when the `Receiver` is dropped so `send` can fail instead of leaking.
    receiver_alive: AtomicBool,
}

/// The sending half: `Clone + Send + Sync`, usable from any thread.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// The receiving half: `Send`, so it can be created on one thread and moved to its worker.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

/// A send to a channel whose receiver is gone; gives the message back.
#[derive(Clone, PartialEq, Eq)]
pub struct SendError<T>(pub T);

/// Why [`Receiver::try_recv`] returned no message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// No message now, but senders remain.
    Empty,
    /// No message and every sender is gone.
    Disconnected,
}

impl<T> Sender<T> {
    /// Queues `value` and wakes the receiver.
    ///
    /// # Errors
    ///
    /// Returns the value in a [`SendError`] when the receiver has been dropped.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if !self.shared.receiver_alive.load(Ordering::Acquire) {
            return Err(SendError(value));
        }
        self.shared.queue.push(value);
        self.shared.waker.wake();
        Ok(())
    }

    /// True when the receiver has been dropped.
    pub fn is_closed(&self) -> bool {
        !self.shared.receiver_alive.load(Ordering::Acquire)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.senders.fetch_add(1, Ordering::Relaxed);
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.shared.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shared.waker.wake();
        }
    }
}

impl<T> Receiver<T> {
    /// Waits for the next message; `None` once every sender is gone and the queue is empty.
    pub async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| match self.try_recv() {
            Ok(v) => Poll::Ready(Some(v)),
            Err(TryRecvError::Disconnected) => Poll::Ready(None),
            Err(TryRecvError::Empty) => {
                self.shared.waker.register(cx.waker());
                // A send between the first check and `register` woke nobody: check again.
                match self.try_recv() {
                    Ok(v) => Poll::Ready(Some(v)),
                    Err(TryRecvError::Disconnected) => Poll::Ready(None),
                    Err(TryRecvError::Empty) => Poll::Pending,
                }
            }
        })
        .await
    }

    /// Takes a message if one is queued.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] when nothing is queued, [`TryRecvError::Disconnected`] when
    /// nothing is queued and no sender remains.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        if let Some(v) = self.shared.queue.pop() {
            return Ok(v);
        }
        if self.shared.senders.load(Ordering::Acquire) == 0 {
            // A sender may have pushed just before dropping; the Acquire above orders it.
            return self.shared.queue.pop().ok_or(TryRecvError::Disconnected);
        }
        Err(TryRecvError::Empty)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.shared.receiver_alive.store(false, Ordering::Release);
        // Drop queued messages now rather than when the last sender goes.
        while self.shared.queue.pop().is_some() {}
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("queued", &self.shared.queue.len())
            .finish()
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a channel whose receiver is gone")
    }
}

impl<T> std::error::Error for SendError<T> {}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryRecvError::Empty => "channel is empty",
            TryRecvError::Disconnected => "channel is empty and every sender is gone",
        })
    }
}

impl std::error::Error for TryRecvError {}
