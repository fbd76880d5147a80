//! The thread's timer wheel and the one task per thread that fires it.

use std::{
    cell::{Cell, RefCell},
    future::Future,
    pin::Pin,
    rc::Rc,
    task::{Context, Poll, Waker},
    time::{Duration, Instant},
};

use crate::timer::{TimerKey, Wheel};

thread_local! {
    /// Created on the first timer use on this thread, dropped with the thread.
    static TIMERS: Rc<Timers> = Rc::new(Timers::new());
}

/// One thread's timers. Touched only by that thread: by `Sleep`s and by the driver task.
pub(crate) struct Timers {
    /// Pending sleeps' wakers, by millisecond tick since `base`.
    wheel: RefCell<Wheel<Waker>>,
    /// Tick 0 of the wheel.
    base: Instant,
    /// The driver task's waker, so a sleep due earlier than the armed tick can re-arm it.
    driver: RefCell<Option<Waker>>,
    /// The tick the driver's runtime sleep is set for; `None` when it sleeps indefinitely.
    armed: Cell<Option<u64>>,
    /// Whether a driver task is alive on this thread's runtime (cleared when it is dropped,
    /// e.g. with its runtime, so the next sleep spawns a fresh one).
    running: Cell<bool>,
}

impl Timers {
    fn new() -> Self {
        Self {
            wheel: RefCell::new(Wheel::with_capacity(64)),
            base: Instant::now(),
            driver: RefCell::new(None),
            armed: Cell::new(None),
            running: Cell::new(false),
        }
    }

    /// This thread's timers, with a driver task running on the current compio runtime.
    ///
    /// # Panics
    ///
    /// Panics when no compio runtime runs on this thread.
    pub fn current() -> Rc<Timers> {
        let timers = TIMERS.with(Rc::clone);
        if !timers.running.replace(true) {
            compio::runtime::spawn(DriverTask {
                timers: timers.clone(),
                sleep: None,
                armed: None,
                due: Vec::new(),
            })
            .detach();
        }
        timers
    }

    /// The first tick at or after `t` (rounded up so a timer never fires early).
    fn tick_at(&self, t: Instant) -> u64 {
        let d = t.saturating_duration_since(self.base);
        let ms = d.as_millis() + u128::from(d.subsec_nanos() % 1_000_000 != 0);
        u64::try_from(ms).unwrap_or(u64::MAX)
    }

    /// The last tick that has fully started by now (rounded down).
    fn tick_now(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    pub fn insert(&self, deadline: Instant, waker: Waker) -> TimerKey {
        let tick = self.tick_at(deadline);
        let key = self.wheel.borrow_mut().insert(tick, waker);
        self.rearm_if_earlier(tick);
        key
    }

    /// Re-targets a pending timer; false if it already fired (then insert anew).
    pub fn reset(&self, key: TimerKey, deadline: Instant) -> bool {
        let tick = self.tick_at(deadline);
        let moved = self.wheel.borrow_mut().reset(key, tick);
        if moved {
            self.rearm_if_earlier(tick);
        }
        moved
    }

    /// Refreshes the waker of a pending timer; false if it already fired.
    pub fn update_waker(&self, key: TimerKey, waker: &Waker) -> bool {
        match self.wheel.borrow_mut().get_mut(key) {
            Some(w) => {
                if !w.will_wake(waker) {
                    w.clone_from(waker);
                }
                true
            }
            None => false,
        }
    }

    #[cfg(test)]
    pub fn pending(&self) -> usize {
        self.wheel.borrow().len()
    }

    pub fn cancel(&self, key: TimerKey) {
        self.wheel.borrow_mut().cancel(key);
    }

    fn rearm_if_earlier(&self, tick: u64) {
        if self.armed.get().is_none_or(|armed| tick < armed) {
            let driver = self.driver.borrow_mut().take();
            if let Some(w) = driver {
                w.wake();
            }
        }
    }
}

/// Sleeps until the wheel's next expiry on the runtime's own timer, then wakes every due
/// sleep. One per thread; it never ends on its own.
struct DriverTask {
    timers: Rc<Timers>,
    /// The runtime timer for `armed`; boxed because compio's sleep future is unnameable.
    sleep: Option<Pin<Box<dyn Future<Output = ()>>>>,
    armed: Option<u64>,
    /// Reused buffer so wakers run after the wheel borrow ends (a waker may re-enter).
    due: Vec<Waker>,
}

impl Future for DriverTask {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        loop {
            let now = this.timers.tick_now();
            let next = {
                let mut wheel = this.timers.wheel.borrow_mut();
                while let Some(w) = wheel.poll(now) {
                    this.due.push(w);
                }
                wheel.next_expiry()
            };
            this.due.drain(..).for_each(Waker::wake);
            *this.timers.driver.borrow_mut() = Some(cx.waker().clone());
            let Some(tick) = next else {
                this.sleep = None;
                this.armed = None;
                this.timers.armed.set(None);
                return Poll::Pending;
            };
            // An armed timer earlier than needed only costs a spurious wakeup; re-arm (and
            // allocate) only when something is due sooner.
            if this.sleep.is_none() || this.armed.is_some_and(|a| tick < a) {
                let at = this.timers.base + Duration::from_millis(tick);
                this.sleep = Some(Box::pin(compio::time::sleep_until(at)));
                this.armed = Some(tick);
                this.timers.armed.set(Some(tick));
            }
            match this.sleep.as_mut().map(|s| s.as_mut().poll(cx)) {
                Some(Poll::Pending) => return Poll::Pending,
                _ => {
                    this.sleep = None;
                    this.armed = None;
                }
            }
        }
    }
}

impl Drop for DriverTask {
    fn drop(&mut self) {
        self.timers.running.set(false);
        self.timers.armed.set(None);
        self.timers.driver.borrow_mut().take();
    }
}
