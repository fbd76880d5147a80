//! The handle to a running server.

use std::{
    fmt, io,
    net::SocketAddr,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicUsize, Ordering},
    },
    thread::JoinHandle,
};

use crate::{Driver, channel::Sender, worker::Control};

/// A handle to a running server: `Send + Sync + Clone`.
///
/// Dropping every handle does **not** stop the server: the workers keep serving until the
/// process exits (or a signal arrives, with
/// [`Builder::handle_signals`](crate::Builder::handle_signals)). Call
/// [`shutdown`](Self::shutdown) and then [`wait`](Self::wait) to stop it.
#[derive(Clone)]
pub struct ServerHandle {
    inner: Arc<Inner>,
}

struct Inner {
    /// Address every worker's listener is bound to (with the real port when 0 was asked).
    local_addr: SocketAddr,
    /// Driver of worker 0 (all workers are configured alike).
    driver: Driver,
    /// One control sender per worker; `shutdown` writes, workers read.
    controls: Vec<Sender<Control>>,
    /// Worker threads until the first `wait` joins them, then the outcome for later callers.
    state: Mutex<State>,
    /// Stops the signal thread once the server is gone, so later signals act normally.
    signals: Option<signal_hook::iterator::Handle>,
    /// Each worker's open-connection count, by index: written by that worker on accept and
    /// close, read by `open_connections` from any thread.
    open: Vec<Arc<AtomicUsize>>,
}

enum State {
    Running(Vec<JoinHandle<io::Result<()>>>),
    /// The first worker error, kept as kind + message because `io::Error` is not `Clone`.
    Finished(Option<(io::ErrorKind, String)>),
}

impl ServerHandle {
    pub(crate) fn new(
        local_addr: SocketAddr,
        driver: Driver,
        controls: Vec<Sender<Control>>,
        threads: Vec<JoinHandle<io::Result<()>>>,
        signals: Option<signal_hook::iterator::Handle>,
        open: Vec<Arc<AtomicUsize>>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                local_addr,
                driver,
                controls,
                state: Mutex::new(State::Running(threads)),
                signals,
                open,
            }),
        }
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr
    }

    /// The I/O driver the workers run on.
    pub fn driver(&self) -> Driver {
        self.inner.driver
    }

    /// The number of workers.
    pub fn workers(&self) -> usize {
        self.inner.controls.len()
    }

    /// Each worker's open connections (accepted, not yet closed), indexed by worker.
    ///
    /// Read now, from any thread, without stopping the workers: each count is exact for its
    /// worker at some recent instant, but the counts are not one atomic snapshot. A connection
    /// counts until the handler's future ends and drops it, so a client's close shows up only
    /// once the worker has seen it. After the server has stopped, every count is 0.
    pub fn open_connections(&self) -> Vec<usize> {
        let load = |n: &Arc<AtomicUsize>| n.load(Ordering::Relaxed);
        self.inner.open.iter().map(load).collect()
    }

    /// Starts a graceful shutdown and returns at once: every worker stops accepting,
    /// triggers its [`Shutdown`](crate::Shutdown), waits for its connections to close (at
    /// most the drain timeout) and exits. Calling it again does nothing more.
    pub fn shutdown(&self) {
        send_shutdown(&self.inner.controls);
    }

    /// True once every worker thread has exited.
    /// Never blocks: while another caller is inside [`wait`](Self::wait), this says false.
    pub fn is_finished(&self) -> bool {
        let state = match self.inner.state.try_lock() {
            Ok(s) => s,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return false,
        };
        match &*state {
            State::Running(threads) => threads.iter().all(JoinHandle::is_finished),
            State::Finished(_) => true,
        }
    }

    /// Blocks until every worker has exited (after [`shutdown`](Self::shutdown), a signal, or
    /// a fatal error).
    ///
    /// # Errors
    ///
    /// The first error a worker ended with (e.g. its listener failed), or an error naming a
    /// worker that panicked. Every caller, on any clone, sees the same outcome.
    pub fn wait(&self) -> io::Result<()> {
        let mut state = self.lock();
        if let State::Running(threads) = &mut *state {
            let first_err = join_all(std::mem::take(threads));
            if let Some(h) = &self.inner.signals {
                h.close();
            }
            *state = State::Finished(first_err.map(|e| (e.kind(), e.to_string())));
        }
        match &*state {
            State::Finished(Some((kind, msg))) => Err(io::Error::new(*kind, msg.clone())),
            _ => Ok(()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is replaced in one assignment; a panic elsewhere cannot leave it torn.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

pub(crate) fn send_shutdown(controls: &[Sender<Control>]) {
    for c in controls {
        // A worker that already exited has dropped its receiver; nothing to stop.
        let _ = c.send(Control::Shutdown);
    }
}

/// Joins every thread and returns the first failure.
pub(crate) fn join_all(threads: Vec<JoinHandle<io::Result<()>>>) -> Option<io::Error> {
    let mut first = None;
    for (i, t) in threads.into_iter().enumerate() {
        let err = match t.join() {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e),
            Err(_) => Some(io::Error::other(format!("worker {i} panicked"))),
        };
        if first.is_none() {
            first = err;
        }
    }
    first
}

impl fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerHandle")
            .field("local_addr", &self.inner.local_addr)
            .field("driver", &self.inner.driver)
            .field("workers", &self.workers())
            .finish()
    }
}
