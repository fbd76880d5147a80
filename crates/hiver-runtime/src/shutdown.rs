//! The per-worker graceful-shutdown signal that connection loops watch.

use std::{
    cell::{Cell, RefCell},
    fmt,
    future::Future,
    pin::Pin,
    rc::Rc,
    task::{Context, Poll, Waker},
};

/// A worker's graceful-shutdown signal.
///
/// Every [`Connection`](crate::Connection) carries a clone. When the server shuts down, the
/// worker triggers it: [`is_triggered`](Self::is_triggered) turns true and every
/// [`wait`](Self::wait) future completes. Connection loops use it to close idle keep-alive
/// connections at once and to finish in-flight requests. It belongs to one worker thread
/// (`!Send`).
#[derive(Clone, Default)]
pub struct Shutdown {
    inner: Rc<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Set once by the worker; read by connection loops.
    triggered: Cell<bool>,
    /// Wakers of pending `wait()` futures, indexed by a slot each future keeps so that
    /// re-polling replaces its waker instead of piling up copies (25k connections may wait).
    waiters: RefCell<Waiters>,
}

#[derive(Default)]
struct Waiters {
    slots: Vec<Option<Waker>>,
    free: Vec<usize>,
}

impl Shutdown {
    /// Creates an untriggered signal (workers create one each; useful on its own in tests).
    pub fn new() -> Self {
        Self::default()
    }

    /// True once shutdown has begun.
    pub fn is_triggered(&self) -> bool {
        self.inner.triggered.get()
    }

    /// Completes when shutdown begins (at once if it already has).
    ///
    /// The future is `Unpin`, so it can be polled in place (`Pin::new(&mut fut)`) without
    /// boxing; dropping it unregisters it.
    pub fn wait(&self) -> impl Future<Output = ()> + Unpin + 'static {
        Wait {
            inner: self.inner.clone(),
            slot: None,
        }
    }

    /// Begins shutdown: wakes every waiter. Idempotent.
    pub fn trigger(&self) {
        if self.inner.triggered.replace(true) {
            return;
        }
        let wakers: Vec<Waker> = {
            let mut w = self.inner.waiters.borrow_mut();
            w.free.clear();
            w.slots.drain(..).flatten().collect()
        };
        wakers.into_iter().for_each(Waker::wake);
    }
}

impl fmt::Debug for Shutdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shutdown")
            .field("triggered", &self.is_triggered())
            .finish()
    }
}

struct Wait {
    inner: Rc<Inner>,
    slot: Option<usize>,
}

impl Future for Wait {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.inner.triggered.get() {
            self.slot = None;
            return Poll::Ready(());
        }
        let mut w = self.inner.waiters.borrow_mut();
        match self.slot {
            Some(i) => w.slots[i] = Some(cx.waker().clone()),
            None => {
                let i = match w.free.pop() {
                    Some(i) => {
                        w.slots[i] = Some(cx.waker().clone());
                        i
                    }
                    None => {
                        w.slots.push(Some(cx.waker().clone()));
                        w.slots.len() - 1
                    }
                };
                drop(w);
                self.slot = Some(i);
            }
        }
        Poll::Pending
    }
}

impl Drop for Wait {
    fn drop(&mut self) {
        // After trigger the slot table was drained, so a stale index must not be touched.
        let Some(i) = self.slot else { return };
        if !self.inner.triggered.get() {
            let mut w = self.inner.waiters.borrow_mut();
            w.slots[i] = None;
            w.free.push(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_completes_after_trigger() {
        for driver in [crate::Driver::IoUring, crate::Driver::Epoll] {
            let rt = crate::Runtime::with_driver(driver).unwrap();
            rt.block_on(async {
                let s = Shutdown::new();
                assert!(!s.is_triggered());
                let waiter = crate::spawn(s.wait());
                let dropped = s.wait();
                drop(dropped);
                crate::time::sleep(std::time::Duration::from_millis(5)).await;
                s.trigger();
                s.trigger();
                assert!(s.is_triggered());
                waiter.await;
                s.wait().await;
            });
        }
    }
}
