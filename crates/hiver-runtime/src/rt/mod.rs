//! Hiver's own single-threaded async runtime: one per worker thread, on an io_uring or an
//! epoll driver (see `crate::sys`), with the thread's timer wheel built into its loop.
//!
//! The loop: poll every task that was woken, fire due timers, then ask the driver for I/O,
//! blocking (until the next timer) only when nothing is runnable. On io_uring that is one
//! `io_uring_enter` per turn that both submits everything queued during the turn and waits;
//! on epoll one `epoll_wait`. Wakes from other threads (the cross-core channel, render
//! threads) go through a lock-protected queue and an eventfd that the driver watches.

mod task;

use std::{
    cell::{Cell, RefCell},
    collections::VecDeque,
    fmt,
    future::Future,
    io, mem,
    pin::pin,
    rc::Rc,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll, Waker},
    time::Instant,
};

pub use task::JoinHandle;
use task::{MAIN, TaskId, Tasks};

use crate::{
    Driver,
    driver::DriverConfig,
    sys::{self, Notifier},
};

/// How many tasks one turn polls before the driver is asked for I/O again, so a task that
/// keeps waking itself cannot starve the sockets.
const BUDGET: usize = 1024;

/// The half of a runtime that other threads reach through wakers.
pub(crate) struct Remote {
    /// Tasks woken from other threads, moved to the ready queue by the owner's loop.
    queue: Mutex<Vec<TaskId>>,
    /// `queue` is non-empty: checked without the lock on every turn.
    pending: AtomicBool,
    /// The owner is (about to be) blocked in the driver and must be woken via `notifier`.
    sleeping: AtomicBool,
    notifier: Notifier,
}

impl Remote {
    pub(crate) fn push(&self, id: TaskId) {
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(id);
        self.pending.store(true, Ordering::SeqCst);
        // Pairs with the owner's `sleeping` store then `pending` load (both SeqCst): either
        // the owner sees `pending`, or this sees `sleeping` and writes the eventfd.
        if self.sleeping.swap(false, Ordering::SeqCst) {
            self.notifier.notify();
        }
    }
}

/// The thread-local part of a runtime; I/O objects keep an `Rc` to reach their driver.
pub(crate) struct Core {
    tasks: RefCell<Tasks>,
    ready: RefCell<VecDeque<TaskId>>,
    remote: Arc<Remote>,
    pub(crate) driver: sys::Driver,
    /// Wakes seen for `block_on`'s future (it has no slab slot).
    main_woken: Cell<bool>,
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };
}

/// The runtime running on this thread.
///
/// # Panics
///
/// When none is: I/O objects, `spawn` and timers only work inside [`Runtime::block_on`].
pub(crate) fn current() -> Rc<Core> {
    try_current().expect("no Hiver runtime runs on this thread (use Runtime::block_on)")
}

/// The runtime running on this thread, if any.
pub(crate) fn try_current() -> Option<Rc<Core>> {
    CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()
}

/// Queues `id` on this thread's ready queue if this thread runs the runtime `remote` belongs
/// to; false otherwise (the caller then goes through the remote queue).
fn schedule_local(remote: &Arc<Remote>, id: TaskId) -> bool {
    CURRENT
        .try_with(|c| match &*c.borrow() {
            Some(core) if Arc::ptr_eq(&core.remote, remote) => {
                if id.index == MAIN {
                    core.main_woken.set(true);
                } else {
                    core.ready.borrow_mut().push_back(id);
                }
                true
            }
            _ => false,
        })
        .unwrap_or(false)
}

/// Spawns `future` on this thread's runtime. The returned handle cancels the task when
/// dropped; call [`JoinHandle::detach`] to let it run on its own.
///
/// # Panics
///
/// When no Hiver runtime runs on this thread.
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
{
    let core = current();
    let (wrapped, handle) = task::joinable(future, Rc::downgrade(&core));
    let id = core.tasks.borrow_mut().insert(wrapped, &core.remote);
    core.ready.borrow_mut().push_back(id);
    handle(id)
}

/// A single-threaded runtime: an executor for `!Send` futures on one I/O driver.
///
/// Hiver's workers each run one; build your own for tests, clients or tools with
/// [`Runtime::new`]. I/O objects ([`TcpStream`](crate::net::TcpStream)), [`spawn`] and the
/// [`time`](crate::time) functions work inside [`block_on`](Self::block_on).
///
/// # Examples
///
/// ```
/// let rt = hiver_runtime::Runtime::new().unwrap();
/// let n = rt.block_on(async {
///     let task = hiver_runtime::spawn(async { 20 + 1 });
///     task.await * 2
/// });
/// assert_eq!(n, 42);
/// ```
pub struct Runtime {
    core: Rc<Core>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("driver", &self.driver())
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// A runtime on io_uring where the kernel allows it, else epoll; `HIVER_DRIVER` is not
    /// read here (that is [`Builder`](crate::Builder)'s job).
    ///
    /// # Errors
    ///
    /// When neither driver can be set up (no eventfd, no epoll).
    pub fn new() -> io::Result<Runtime> {
        Runtime::with_config(&DriverConfig::default())
    }

    /// A runtime on the given driver.
    ///
    /// # Errors
    ///
    /// When that driver cannot be set up (io_uring refused by the kernel or a seccomp
    /// filter, for instance).
    pub fn with_driver(driver: Driver) -> io::Result<Runtime> {
        Runtime::with_config(&DriverConfig {
            forced: Some(driver),
            ..DriverConfig::default()
        })
    }

    pub(crate) fn with_config(cfg: &DriverConfig) -> io::Result<Runtime> {
        let notifier = Notifier::new()?;
        let driver = sys::Driver::new(cfg, &notifier)?;
        let remote = Arc::new(Remote {
            queue: Mutex::new(Vec::new()),
            pending: AtomicBool::new(false),
            sleeping: AtomicBool::new(false),
            notifier,
        });
        Ok(Runtime {
            core: Rc::new(Core {
                tasks: RefCell::new(Tasks::default()),
                ready: RefCell::new(VecDeque::with_capacity(64)),
                remote,
                driver,
                main_woken: Cell::new(true),
            }),
        })
    }

    /// The driver this runtime runs on.
    pub fn driver(&self) -> Driver {
        self.core.driver.kind()
    }

    /// Runs `future` to completion on this thread, together with every task spawned
    /// meanwhile. Tasks still pending when it returns stay, and run again in the next
    /// `block_on` of this runtime (or are dropped with it).
    ///
    /// # Panics
    ///
    /// When called inside another `block_on` on the same thread.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _enter = Enter::new(&self.core);
        let core = &self.core;
        let main = task::main_waker(&core.remote);
        let waker = Waker::from(main.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        core.main_woken.set(true);
        crate::time::set_now(Some(Instant::now()));
        loop {
            if core.main_woken.replace(false) {
                main.scheduled.store(false, Ordering::Release);
                if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
                    return v;
                }
            }
            core.run_ready();
            core.take_remote();
            let now = Instant::now();
            let next_timer = crate::time::fire_due(now);
            if core.main_woken.get() || !core.ready.borrow().is_empty() {
                core.driver.poll_now();
                crate::time::set_now(Some(Instant::now()));
                continue;
            }
            let timeout = next_timer.map(|t| t.saturating_duration_since(now));
            core.remote.sleeping.store(true, Ordering::SeqCst);
            if core.remote.pending.load(Ordering::SeqCst) {
                core.remote.sleeping.store(false, Ordering::SeqCst);
                continue;
            }
            core.driver.wait(timeout);
            core.remote.sleeping.store(false, Ordering::SeqCst);
            crate::time::set_now(Some(Instant::now()));
        }
    }
}

impl Core {
    /// Drops a task whose handle was dropped.
    fn cancel(&self, id: TaskId) {
        let future = self.tasks.borrow_mut().free(id);
        drop(future);
    }

    /// Forgets an I/O source that is about to be closed.
    pub(crate) fn driver_deregister(&self, key: crate::slab::Key) {
        match &self.driver {
            sys::Driver::Uring(u) => u.deregister(key),
            sys::Driver::Epoll(e) => e.deregister(key),
        }
    }

    /// Polls woken tasks, at most `BUDGET` of them.
    fn run_ready(&self) {
        for _ in 0..BUDGET {
            let Some(id) = self.ready.borrow_mut().pop_front() else {
                return;
            };
            let Some((mut future, waker)) = self.tasks.borrow_mut().take(id) else {
                continue;
            };
            let mut cx = Context::from_waker(&waker);
            match future.as_mut().poll(&mut cx) {
                Poll::Ready(()) => {
                    self.tasks.borrow_mut().complete(id);
                    drop(future);
                }
                Poll::Pending => {
                    let cancelled = self.tasks.borrow_mut().put_back(id, future);
                    drop(cancelled);
                }
            }
        }
    }

    /// Moves tasks woken from other threads into the ready queue.
    fn take_remote(&self) {
        if !self.remote.pending.swap(false, Ordering::SeqCst) {
            return;
        }
        let woken = mem::take(&mut *self.remote.queue.lock().unwrap_or_else(|e| e.into_inner()));
        let mut ready = self.ready.borrow_mut();
        for id in woken {
            if id.index == MAIN {
                self.main_woken.set(true);
            } else {
                ready.push_back(id);
            }
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // Futures may own I/O objects whose drop reaches the driver through `current()`.
        let _enter = CURRENT
            .try_with(|c| c.borrow().is_none())
            .unwrap_or(false)
            .then(|| Enter::new(&self.core));
        let futures = self.core.tasks.borrow_mut().drain();
        drop(futures);
        self.core.ready.borrow_mut().clear();
    }
}

/// Makes a runtime this thread's current one for a scope.
struct Enter;

impl Enter {
    fn new(core: &Rc<Core>) -> Enter {
        CURRENT.with(|c| {
            let mut c = c.borrow_mut();
            assert!(
                c.is_none(),
                "Runtime::block_on called inside a running Hiver runtime"
            );
            *c = Some(core.clone());
        });
        Enter
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        crate::time::set_now(None);
        let _ = CURRENT.try_with(|c| c.borrow_mut().take());
    }
}

#[cfg(test)]
mod tests;
