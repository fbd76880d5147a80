//! The time budget: a thread per engine that ends a runaway render with
//! `terminate_execution`, the only way to stop V8 from outside the running script.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the render thread and the watchdog thread share, under one lock.
#[derive(Debug, Default)]
struct State {
    /// When the current render must end; `None` between renders. Set by `arm`, cleared by
    /// `disarm` (render thread) or by the watchdog when it fires.
    deadline: Option<Instant>,
    /// The watchdog terminated the script since the last `arm`.
    fired: bool,
    /// The time the watchdog sleeps until (`None`: until notified). It wakes by itself then
    /// and re-reads `deadline`, so `arm` only wakes it for an earlier deadline: back-to-back
    /// renders do not cost a thread wake-up each.
    sleeps_until: Option<Instant>,
    /// The engine is being dropped: the watchdog thread returns.
    stop: bool,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    /// Wakes the watchdog when the deadline changes or it must stop; it sleeps otherwise.
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The lock only guards plain values; a panic elsewhere cannot leave them torn.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Terminates the isolate's script when an armed deadline passes.
#[derive(Debug)]
pub(super) struct Watchdog {
    shared: Arc<Shared>,
    /// Joined on drop, so no thread outlives the engine.
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    /// Starts the watchdog thread for the isolate behind `handle`.
    pub(super) fn spawn(handle: v8::IsolateHandle) -> std::io::Result<Self> {
        let shared = Arc::new(Shared::default());
        let theirs = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("hiver-v8-watchdog".to_owned())
            .spawn(move || watch(&theirs, &handle))?;
        Ok(Watchdog {
            shared,
            thread: Some(thread),
        })
    }

    /// Starts a budget of `time` from now.
    pub(super) fn arm(&self, time: Duration) {
        let deadline = Instant::now() + time;
        let mut state = self.shared.lock();
        state.deadline = Some(deadline);
        state.fired = false;
        let wake = state.sleeps_until.is_none_or(|until| until > deadline);
        drop(state);
        if wake {
            self.shared.wake.notify_one();
        }
    }

    /// Ends the budget; returns whether the watchdog terminated the script meanwhile. After
    /// this returns, the watchdog cannot fire for this budget any more.
    pub(super) fn disarm(&self) -> bool {
        let mut state = self.shared.lock();
        state.deadline = None;
        std::mem::take(&mut state.fired)
    }

    /// Whether the watchdog has terminated the script during the current budget.
    pub(super) fn fired(&self) -> bool {
        self.shared.lock().fired
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            // The thread only waits and terminates; a panic there has nothing to report.
            let _ = thread.join();
        }
    }
}

/// Sleeps until the deadline (or a change), then terminates. Firing happens under the lock,
/// so it never races a `disarm` into the next render.
fn watch(shared: &Shared, handle: &v8::IsolateHandle) {
    let mut state = shared.lock();
    loop {
        if state.stop {
            return;
        }
        state = match state.deadline {
            None => {
                state.sleeps_until = None;
                let woken = shared.wake.wait(state);
                woken.unwrap_or_else(PoisonError::into_inner)
            }
            Some(deadline) => {
                let now = Instant::now();
                if now >= deadline {
                    handle.terminate_execution();
                    state.fired = true;
                    state.deadline = None;
                    continue;
                }
                state.sleeps_until = Some(deadline);
                let waited = shared.wake.wait_timeout(state, deadline - now);
                waited.unwrap_or_else(PoisonError::into_inner).0
            }
        };
    }
}
