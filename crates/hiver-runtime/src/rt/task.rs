//! Tasks: the slab that owns the futures, the wakers that find them again, and the
//! handles that await or cancel them.

use std::{
    cell::Cell,
    fmt,
    future::Future,
    pin::Pin,
    rc::{Rc, Weak},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll, Wake, Waker},
};

use super::Remote;

/// A spawned future; its output already went into its `JoinHandle`'s state.
pub(crate) type LocalFuture = Pin<Box<dyn Future<Output = ()>>>;

/// Where a task sits in the slab, and which occupant of that slot it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TaskId {
    pub index: u32,
    pub generation: u32,
}

/// `block_on`'s future is not in the slab; its wakes carry this index.
pub(crate) const MAIN: u32 = u32::MAX;

/// A task's waker. `Send + Sync` as `Waker` requires: it holds only the task's id and the
/// runtime's thread-safe half, never the future (which is `!Send` and stays in the slab of
/// the thread that spawned it).
pub(crate) struct TaskWaker {
    pub id: TaskId,
    /// Set by a wake, cleared just before the task is polled: a task is queued once however
    /// often it is woken in between.
    pub scheduled: AtomicBool,
    pub remote: Arc<Remote>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        if !super::schedule_local(&self.remote, self.id) {
            self.remote.push(self.id);
        }
    }
}

/// One slab entry.
struct Slot {
    generation: u32,
    /// `None` while the task is being polled (taken out so it may spawn) or when free.
    future: Option<LocalFuture>,
    waker: Option<Arc<TaskWaker>>,
    /// Cancelled by its handle while it was being polled: dropped when the poll returns.
    cancelled: bool,
    live: bool,
}

/// The futures of one runtime, by index; freed slots are reused with a new generation so a
/// stale waker never polls a newer task.
#[derive(Default)]
pub(crate) struct Tasks {
    slots: Vec<Slot>,
    free: Vec<u32>,
}

impl Tasks {
    pub fn insert(&mut self, future: LocalFuture, remote: &Arc<Remote>) -> TaskId {
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    future: None,
                    waker: None,
                    cancelled: false,
                    live: false,
                });
                // More than u32::MAX - 1 live tasks cannot fit in memory anyway.
                u32::try_from(self.slots.len() - 1).expect("task slab index fits in u32")
            }
        };
        let slot = &mut self.slots[index as usize];
        slot.generation = slot.generation.wrapping_add(1);
        let id = TaskId {
            index,
            generation: slot.generation,
        };
        slot.future = Some(future);
        slot.waker = Some(Arc::new(TaskWaker {
            id,
            // Queued by the caller right after insertion.
            scheduled: AtomicBool::new(true),
            remote: remote.clone(),
        }));
        slot.cancelled = false;
        slot.live = true;
        id
    }

    fn slot(&mut self, id: TaskId) -> Option<&mut Slot> {
        self.slots
            .get_mut(id.index as usize)
            .filter(|s| s.live && s.generation == id.generation)
    }

    /// Takes the future out for polling, with its waker; `None` for a stale id.
    pub fn take(&mut self, id: TaskId) -> Option<(LocalFuture, Waker)> {
        let slot = self.slot(id)?;
        let future = slot.future.take()?;
        let waker = slot.waker.clone()?;
        waker.scheduled.store(false, Ordering::Release);
        Some((future, Waker::from(waker)))
    }

    /// Puts a pending future back; gives it back to be dropped if it was cancelled meanwhile.
    pub fn put_back(&mut self, id: TaskId, future: LocalFuture) -> Option<LocalFuture> {
        let Some(slot) = self.slot(id) else {
            return Some(future);
        };
        if slot.cancelled {
            self.free(id);
            return Some(future);
        }
        slot.future = Some(future);
        None
    }

    /// Frees the slot of a task whose poll returned `Ready` (its future is with the caller).
    pub fn complete(&mut self, id: TaskId) {
        if let Some(slot) = self.slot(id) {
            slot.live = false;
            slot.waker = None;
            slot.future = None;
            self.free.push(id.index);
        }
    }

    /// Frees a cancelled task's slot; returns its future if it still had one, for
    /// the caller to drop outside any borrow (its drop may touch the runtime).
    pub fn free(&mut self, id: TaskId) -> Option<LocalFuture> {
        let slot = self.slot(id)?;
        let future = slot.future.take();
        if future.is_none() && !slot.cancelled {
            // Being polled right now: dropped when the poll returns.
            slot.cancelled = true;
            return None;
        }
        slot.live = false;
        slot.waker = None;
        self.free.push(id.index);
        future
    }

    /// Takes every future out, for the runtime's drop.
    pub fn drain(&mut self) -> Vec<LocalFuture> {
        self.free.clear();
        let futures = self
            .slots
            .iter_mut()
            .filter_map(|s| s.future.take())
            .collect();
        self.slots.clear();
        futures
    }
}

/// What a task's `JoinHandle` and the task itself share.
struct JoinState<T> {
    output: Cell<Option<T>>,
    done: Cell<bool>,
    waiter: Cell<Option<Waker>>,
}

/// An owned handle to a spawned task: await it for the output. Dropping it cancels the task
/// (drops its future) unless [`detach`](Self::detach) was called.
#[must_use = "dropping a JoinHandle cancels the task; call .detach() to let it run"]
pub struct JoinHandle<T> {
    id: TaskId,
    state: Rc<JoinState<T>>,
    /// The runtime that owns the task, so a drop outside `block_on` still cancels it.
    core: Weak<super::Core>,
    detached: bool,
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("done", &self.state.done.get())
            .finish()
    }
}

impl<T> JoinHandle<T> {
    /// Lets the task run to completion on its own; its output is dropped.
    pub fn detach(mut self) {
        self.detached = true;
    }

    /// Whether the task has finished.
    pub fn is_finished(&self) -> bool {
        self.state.done.get()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        if let Some(v) = self.state.output.take() {
            return Poll::Ready(v);
        }
        assert!(
            !self.state.done.get(),
            "JoinHandle polled after it returned its output"
        );
        self.state.waiter.set(Some(cx.waker().clone()));
        Poll::Pending
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if !self.detached
            && !self.state.done.get()
            && let Some(core) = self.core.upgrade()
        {
            core.cancel(self.id);
        }
    }
}

/// Wraps `future` so its output lands in the handle's state.
pub(crate) fn joinable<F>(
    future: F,
    core: Weak<super::Core>,
) -> (LocalFuture, impl FnOnce(TaskId) -> JoinHandle<F::Output>)
where
    F: Future + 'static,
{
    let state = Rc::new(JoinState {
        output: Cell::new(None),
        done: Cell::new(false),
        waiter: Cell::new(None),
    });
    let inner = state.clone();
    let wrapped = Box::pin(async move {
        let v = future.await;
        inner.output.set(Some(v));
        inner.done.set(true);
        if let Some(w) = inner.waiter.take() {
            w.wake();
        }
    });
    let handle = move |id| JoinHandle {
        id,
        state,
        core,
        detached: false,
    };
    (wrapped, handle)
}

/// Shared state of `block_on`'s waker, so its wakes need no slab entry.
pub(crate) fn main_waker(remote: &Arc<Remote>) -> Arc<TaskWaker> {
    Arc::new(TaskWaker {
        id: TaskId {
            index: MAIN,
            generation: 0,
        },
        scheduled: AtomicBool::new(true),
        remote: remote.clone(),
    })
}
