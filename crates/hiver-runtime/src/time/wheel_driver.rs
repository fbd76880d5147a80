//! The thread's timer wheel, fired by the runtime's loop.

use std::{
    cell::RefCell,
    rc::Rc,
    task::Waker,
    time::{Duration, Instant},
};

use crate::timer::{TimerKey, Wheel};

thread_local! {
    /// Created on the first timer use on this thread, dropped with the thread.
    static TIMERS: Rc<Timers> = Rc::new(Timers::new());
}

/// One thread's timers. Touched only by that thread: by `Sleep`s and by the runtime loop,
/// which fires the due ones each turn and sleeps in its driver until the next.
pub(crate) struct Timers {
    /// Pending sleeps' wakers, by millisecond tick since `base`.
    wheel: RefCell<Wheel<Waker>>,
    /// Tick 0 of the wheel.
    base: Instant,
    /// Reused buffer so wakers run after the wheel borrow ends (a waker may re-enter).
    due: RefCell<Vec<Waker>>,
}

/// Fires this thread's due timers; returns when the next one is due, if any is pending.
pub(crate) fn fire_due(now: Instant) -> Option<Instant> {
    TIMERS.try_with(|t| t.fire(now)).ok().flatten()
}

impl Timers {
    fn new() -> Self {
        Self {
            wheel: RefCell::new(Wheel::with_capacity(64)),
            base: Instant::now(),
            due: RefCell::new(Vec::new()),
        }
    }

    /// This thread's timers.
    ///
    /// # Panics
    ///
    /// When no Hiver runtime runs on this thread: nothing would ever fire the timer.
    pub fn current() -> Rc<Timers> {
        assert!(
            crate::rt::try_current().is_some(),
            "Hiver timers need a Hiver runtime on this thread (Runtime::block_on)"
        );
        TIMERS.with(Rc::clone)
    }

    /// The first tick at or after `t` (rounded up so a timer never fires early).
    fn tick_at(&self, t: Instant) -> u64 {
        let d = t.saturating_duration_since(self.base);
        let ms = d.as_millis() + u128::from(d.subsec_nanos() % 1_000_000 != 0);
        u64::try_from(ms).unwrap_or(u64::MAX)
    }

    /// The last tick that has fully started by `now` (rounded down).
    fn tick_now(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.base).as_millis()).unwrap_or(u64::MAX)
    }

    pub fn insert(&self, deadline: Instant, waker: Waker) -> TimerKey {
        let tick = self.tick_at(deadline);
        self.wheel.borrow_mut().insert(tick, waker)
    }

    /// Re-targets a pending timer; false if it already fired (then insert anew).
    pub fn reset(&self, key: TimerKey, deadline: Instant) -> bool {
        let tick = self.tick_at(deadline);
        self.wheel.borrow_mut().reset(key, tick)
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

    fn fire(&self, now: Instant) -> Option<Instant> {
        if self.wheel.borrow().is_empty() {
            return None;
        }
        let now = self.tick_now(now);
        let mut due = std::mem::take(&mut *self.due.borrow_mut());
        let next = {
            let mut wheel = self.wheel.borrow_mut();
            while let Some(w) = wheel.poll(now) {
                due.push(w);
            }
            wheel.next_expiry()
        };
        due.drain(..).for_each(Waker::wake);
        *self.due.borrow_mut() = due;
        next.map(|tick| self.base + Duration::from_millis(tick))
    }
}
