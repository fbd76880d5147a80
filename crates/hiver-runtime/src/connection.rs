//! An accepted TCP connection and the worker's count of open ones.

use std::{
    cell::Cell,
    fmt,
    future::poll_fn,
    net::SocketAddr,
    rc::Rc,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    task::{Poll, Waker},
};

use crate::{Shutdown, net::TcpStream};

/// A connection accepted by a worker, handed to the handler built by `make_handler`.
///
/// It stays on the worker that accepted it. Dropping it closes the socket and releases the
/// worker's connection slot (see
/// [`Builder::max_connections_per_worker`](crate::Builder::max_connections_per_worker)).
pub struct Connection {
    stream: TcpStream,
    peer_addr: SocketAddr,
    local_addr: SocketAddr,
    shutdown: Shutdown,
    /// Released on drop so the accept loop and the shutdown drain see the count fall.
    _slot: Slot,
}

impl Connection {
    pub(crate) fn new(
        stream: TcpStream,
        peer_addr: SocketAddr,
        local_addr: SocketAddr,
        shutdown: Shutdown,
        slot: Slot,
    ) -> Self {
        Self {
            stream,
            peer_addr,
            local_addr,
            shutdown,
            _slot: slot,
        }
    }

    /// The socket, for reading and writing.
    pub fn stream_mut(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    /// The socket, shared (for its addresses and options).
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// The client's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer_addr
    }

    /// The local address the client connected to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The worker's graceful-shutdown signal.
    pub fn shutdown(&self) -> &Shutdown {
        &self.shutdown
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("peer_addr", &self.peer_addr)
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

/// Counts a worker's open connections. The counter itself lives on the worker thread; the
/// count is also readable from other threads (see [`ServerHandle::open_connections`](
/// crate::ServerHandle::open_connections)).
pub(crate) struct Counter {
    /// Number of live `Connection`s (their `Slot`s). Shared so the server handle can read it;
    /// written only by this worker (`Slot` is `!Send`), so a plain load + store updates it
    /// without a locked read-modify-write, once per accept and once per close.
    open: Arc<AtomicUsize>,
    /// The accept loop, parked at the limit, or the drain, parked until zero. One task at a
    /// time waits on the counter: the accept loop before shutdown, the drain after.
    waiter: Cell<Option<Waker>>,
}

impl Counter {
    /// A counter that publishes its count in `open` (which should start at zero).
    pub fn new(open: Arc<AtomicUsize>) -> Self {
        Self {
            open,
            waiter: Cell::new(None),
        }
    }

    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Single writer (this worker), so load + store cannot lose an update.
    fn add(&self, delta: isize) {
        let n = self.open().wrapping_add_signed(delta);
        self.open.store(n, Ordering::Relaxed);
    }

    pub fn acquire(self: &Rc<Self>) -> Slot {
        self.add(1);
        Slot(self.clone())
    }

    /// Waits until fewer than `limit` connections are open.
    pub async fn below(&self, limit: usize) {
        poll_fn(|cx| {
            if self.open() < limit {
                Poll::Ready(())
            } else {
                self.waiter.set(Some(cx.waker().clone()));
                Poll::Pending
            }
        })
        .await
    }
}

/// One open connection's share of the [`Counter`].
pub(crate) struct Slot(Rc<Counter>);

impl Drop for Slot {
    fn drop(&mut self) {
        let c = &self.0;
        c.add(-1);
        if let Some(w) = c.waiter.take() {
            w.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_publish_the_count_to_the_shared_gauge() {
        let gauge = Arc::new(AtomicUsize::new(0));
        let counter = Rc::new(Counter::new(gauge.clone()));
        let a = counter.acquire();
        let b = counter.acquire();
        assert_eq!(gauge.load(Ordering::Relaxed), 2);
        drop(a);
        assert_eq!((counter.open(), gauge.load(Ordering::Relaxed)), (1, 1));
        drop(b);
        assert_eq!(gauge.load(Ordering::Relaxed), 0);
    }
}
