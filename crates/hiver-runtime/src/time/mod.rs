//! Sleeps and timeouts on the current thread's timer wheel.
//!
//! Each thread that uses these gets its own [`Wheel`](crate::timer::Wheel) (millisecond
//! ticks), fired by the thread's [`Runtime`](crate::Runtime) loop: every turn it wakes the
//! due sleeps, and when nothing is runnable it blocks in its I/O driver only until the
//! wheel's next expiry. Nothing is shared between threads, so arming, resetting and
//! cancelling a timer is a few pointer writes. Works on Hiver workers and in any plain
//! [`Runtime::block_on`](crate::Runtime::block_on).
//!
//! A timer fires at the first millisecond tick at or after its deadline, never before it.
//!
//! # Panics
//!
//! Polling a [`Sleep`] or [`Timeout`] on a thread without a running Hiver runtime panics.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use hiver_runtime::time;
//!
//! hiver_runtime::Runtime::new().unwrap().block_on(async {
//!     time::sleep(Duration::from_millis(5)).await;
//!     let slow = time::sleep(Duration::from_secs(60));
//!     assert!(time::timeout(Duration::from_millis(5), slow).await.is_err());
//! });
//! ```

mod wheel_driver;

use std::{
    fmt,
    future::Future,
    pin::Pin,
    rc::Rc,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use pin_project_lite::pin_project;

use crate::timer::TimerKey;
use wheel_driver::Timers;
pub(crate) use wheel_driver::fire_due;

thread_local! {
    /// The instant the runtime loop on this thread last took from the clock.
    static NOW: std::cell::Cell<Option<Instant>> = const { std::cell::Cell::new(None) };
}

/// The time the current loop turn started: a clock read shared by everything that runs in
/// the turn (at most a turn's work old, never in the future). Outside a Hiver runtime, the
/// clock itself.
///
/// For deadlines that need millisecond, not nanosecond, precision, e.g. a connection's
/// timeouts: it saves a clock read per use, which on some virtual machines is a system
/// call.
pub fn now() -> Instant {
    NOW.try_with(|n| n.get())
        .ok()
        .flatten()
        .unwrap_or_else(Instant::now)
}

/// Records the start of a loop turn (the runtime calls this); `None` when it stops.
pub(crate) fn set_now(now: Option<Instant>) {
    let _ = NOW.try_with(|n| n.set(now));
}

/// Waits for `duration`.
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(
        Instant::now()
            .checked_add(duration)
            .unwrap_or_else(far_future),
    )
}

/// Waits until `deadline`.
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        entry: None,
    }
}

/// Runs `future` for at most `duration`.
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep(duration),
    }
}

/// Runs `future` until at most `deadline`.
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep_until(deadline),
    }
}

fn far_future() -> Instant {
    // About 30 years: beyond any timeout a server cares about, within Instant's range.
    Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}

/// A future that completes at a deadline; see [`sleep`]. Dropping it cancels the timer.
pub struct Sleep {
    deadline: Instant,
    /// The wheel entry, registered on first poll; the `Rc` keeps this thread's wheel alive.
    entry: Option<Entry>,
}

/// A registered timer. It may be set earlier than the sleep's deadline (see
/// [`Sleep::reset`]), never later.
struct Entry {
    timers: Rc<Timers>,
    key: TimerKey,
    /// The deadline the wheel entry is placed for.
    armed: Instant,
}

impl Sleep {
    /// The instant this sleep completes at.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// True once the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Moves the deadline, reusing the registered timer: no allocation, O(1). Connection
    /// loops call this once per request instead of creating a new `Sleep`.
    ///
    /// A later deadline leaves the timer where it is: when it fires early, the poll it
    /// causes finds the deadline not reached and re-registers. Connection loops mostly push
    /// their deadline later, and moving the wheel entry on every request cost more than
    /// that one spurious wakeup per timeout period.
    pub fn reset(&mut self, deadline: Instant) {
        self.deadline = deadline;
        let Some(entry) = &mut self.entry else {
            return;
        };
        if deadline >= entry.armed {
            return;
        }
        if entry.timers.reset(entry.key, deadline) {
            entry.armed = deadline;
        } else {
            // It already fired: the next poll registers a fresh timer.
            self.entry = None;
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // The turn's time is never later than the clock, so this never fires early; a sleep
        // it finds not yet due stays in the wheel, which fires it on the clock.
        if now() >= self.deadline {
            if let Some(entry) = self.entry.take() {
                entry.timers.cancel(entry.key);
            }
            return Poll::Ready(());
        }
        let registered = match &self.entry {
            Some(entry) => entry.timers.update_waker(entry.key, cx.waker()),
            None => false,
        };
        if !registered {
            let timers = Timers::current();
            let key = timers.insert(self.deadline, cx.waker().clone());
            self.entry = Some(Entry {
                timers,
                key,
                armed: self.deadline,
            });
        }
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(entry) = self.entry.take() {
            entry.timers.cancel(entry.key);
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish()
    }
}

pin_project! {
    /// A future bounded by a deadline; see [`timeout`].
    #[derive(Debug)]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        sleep: Sleep,
    }
}

impl<F> Timeout<F> {
    /// The deadline, movable like [`Sleep::reset`].
    pub fn sleep_mut(&mut self) -> &mut Sleep {
        &mut self.sleep
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(v) = this.future.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        Pin::new(this.sleep).poll(cx).map(|()| Err(Elapsed(())))
    }
}

/// The error of a [`Timeout`] whose deadline passed first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(e: Elapsed) -> Self {
        std::io::Error::new(std::io::ErrorKind::TimedOut, e)
    }
}

#[cfg(test)]
mod tests;
