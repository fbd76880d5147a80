//! A hierarchical timer wheel: the data structure under [`time`](crate::time).
//!
//! Time is counted in ticks (the [`time`](crate::time) module uses one millisecond per tick)
//! from the wheel's creation. Seven levels of 64 slots cover 2⁴² ticks (≈ 139 years of
//! milliseconds); level `l` slot `s` holds timers due within `64^l` ticks of each other.
//! Timers live in a slab and every slot is an intrusive doubly linked list, so
//! [`insert`](Wheel::insert), [`cancel`](Wheel::cancel) and [`reset`](Wheel::reset) are O(1)
//! and reuse memory; [`poll`](Wheel::poll) moves timers down a level when their slot comes
//! up (at most six moves in a timer's life) and hands out those that are due.
//!
//! # Examples
//!
//! ```
//! use hiver_runtime::timer::Wheel;
//!
//! let mut wheel = Wheel::new();
//! let a = wheel.insert(10, "a");
//! wheel.insert(5, "b");
//! assert_eq!(wheel.cancel(a), Some("a"));
//! assert_eq!(wheel.next_expiry(), Some(5));
//! assert_eq!(wheel.poll(4), None);
//! assert_eq!(wheel.poll(5), Some("b"));
//! assert!(wheel.is_empty());
//! ```

use std::fmt;

const SLOT_BITS: u32 = 6;
const SLOTS: usize = 1 << SLOT_BITS;
const LEVELS: usize = 7;
const NIL: u32 = u32::MAX;
/// The location of timers that are due and wait to be handed out by `poll`.
const EXPIRED: u16 = u16::MAX;

/// The last tick a wheel can represent; later deadlines are clamped to it.
pub const MAX_TICK: u64 = (1 << (SLOT_BITS as usize * LEVELS)) - 1;

/// Identifies one inserted timer; stale keys (after the timer fired or was cancelled) are
/// recognised and ignored, even when the slab slot has been reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimerKey {
    index: u32,
    generation: u32,
}

/// A hierarchical timer wheel holding values of type `T` (wakers, in [`time`](crate::time)).
pub struct Wheel<T> {
    /// Slab of timers; vacant entries form a free list through `next`.
    entries: Vec<Entry<T>>,
    free_head: u32,
    /// Per level and slot, the list of timers whose deadline falls in that slot.
    slots: [[List; SLOTS]; LEVELS],
    /// Per level, a bit per non-empty slot, so the next expiry is a `trailing_zeros` away.
    occupied: [u64; LEVELS],
    /// Timers already due, handed out one per `poll`.
    expired: List,
    /// Every timer with a deadline at or before this tick has been moved to `expired`.
    elapsed: u64,
    len: usize,
}

#[derive(Clone, Copy)]
struct List {
    head: u32,
    tail: u32,
}

const EMPTY: List = List {
    head: NIL,
    tail: NIL,
};

struct Entry<T> {
    generation: u32,
    value: Option<T>,
    deadline: u64,
    prev: u32,
    next: u32,
    /// `level * 64 + slot`, or `EXPIRED`.
    loc: u16,
}

impl<T> Default for Wheel<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Wheel<T> {
    /// An empty wheel at tick 0.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty wheel with room for `n` timers before it allocates.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            entries: Vec::with_capacity(n),
            free_head: NIL,
            slots: [[EMPTY; SLOTS]; LEVELS],
            occupied: [0; LEVELS],
            expired: EMPTY,
            elapsed: 0,
            len: 0,
        }
    }

    /// The tick up to which the wheel has been polled.
    pub fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// Number of pending timers (including due ones not yet polled).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no timer is pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a timer due at tick `deadline` (clamped to [`MAX_TICK`]). A deadline at or before
    /// [`elapsed`](Self::elapsed) is due at the next [`poll`](Self::poll).
    ///
    /// # Panics
    ///
    /// Panics if more than `u32::MAX - 1` timers are pending at once.
    pub fn insert(&mut self, deadline: u64, value: T) -> TimerKey {
        let index = self.alloc(deadline.min(MAX_TICK), value);
        self.place(index);
        self.len += 1;
        TimerKey {
            index,
            generation: self.entries[index as usize].generation,
        }
    }

    /// Removes a pending timer and returns its value; `None` if it already fired or was
    /// cancelled.
    pub fn cancel(&mut self, key: TimerKey) -> Option<T> {
        let index = self.check(key)?;
        self.unlink(index);
        self.len -= 1;
        Some(self.free(index))
    }

    /// Moves a pending timer to a new deadline, keeping its value and key. Returns false if
    /// the key is stale.
    pub fn reset(&mut self, key: TimerKey, deadline: u64) -> bool {
        let Some(index) = self.check(key) else {
            return false;
        };
        self.unlink(index);
        self.entries[index as usize].deadline = deadline.min(MAX_TICK);
        self.place(index);
        true
    }

    /// The value of a pending timer.
    pub fn get_mut(&mut self, key: TimerKey) -> Option<&mut T> {
        let index = self.check(key)?;
        self.entries[index as usize].value.as_mut()
    }

    /// The deadline of a pending timer (after clamping).
    pub fn deadline(&self, key: TimerKey) -> Option<u64> {
        self.check(key).map(|i| self.entries[i as usize].deadline)
    }

    /// True while the timer is pending.
    pub fn contains(&self, key: TimerKey) -> bool {
        self.check(key).is_some()
    }

    /// Advances the wheel to tick `now` and returns one timer whose deadline is `<= now`, or
    /// `None` when no more are due. Call it in a loop to drain everything due.
    pub fn poll(&mut self, now: u64) -> Option<T> {
        let now = now.min(MAX_TICK);
        loop {
            if self.expired.head != NIL {
                let index = self.expired.head;
                self.unlink(index);
                self.len -= 1;
                return Some(self.free(index));
            }
            match self.next_slot() {
                Some((level, slot, start)) if start <= now => self.cascade(level, slot, start, now),
                _ => {
                    self.elapsed = self.elapsed.max(now);
                    return None;
                }
            }
        }
    }

    /// The earliest tick at which [`poll`](Self::poll) may return a timer: exact for timers
    /// on the lowest level, the start of their slot (never later than the real deadline) for
    /// far ones.
    pub fn next_expiry(&self) -> Option<u64> {
        if self.expired.head != NIL {
            return Some(self.elapsed);
        }
        self.next_slot().map(|(_, _, start)| start)
    }

    /// The lowest non-empty slot: `(level, slot, first tick it covers)`.
    ///
    /// Timers on level `l` differ from `elapsed` in no bit above that level, and their slot is
    /// ahead of `elapsed`'s, so lower levels always expire first and no slot wraps around.
    fn next_slot(&self) -> Option<(usize, usize, u64)> {
        let level = self.occupied.iter().position(|&o| o != 0)?;
        let slot = self.occupied[level].trailing_zeros() as usize;
        let shift = SLOT_BITS as usize * level;
        let level_start = self.elapsed & !((1u64 << (shift + SLOT_BITS as usize)) - 1);
        Some((level, slot, level_start + ((slot as u64) << shift)))
    }

    /// Empties one slot whose start has been reached: due timers go to `expired`, the rest
    /// are placed again, lower down, relative to the slot's start.
    fn cascade(&mut self, level: usize, slot: usize, start: u64, now: u64) {
        self.elapsed = start;
        let mut cur = self.slots[level][slot].head;
        self.slots[level][slot] = EMPTY;
        self.occupied[level] &= !(1 << slot);
        while cur != NIL {
            let next = self.entries[cur as usize].next;
            if self.entries[cur as usize].deadline <= now {
                self.push(cur, EXPIRED);
            } else {
                self.place(cur);
            }
            cur = next;
        }
    }

    fn place(&mut self, index: u32) {
        let deadline = self.entries[index as usize].deadline;
        if deadline <= self.elapsed {
            self.push(index, EXPIRED);
            return;
        }
        let masked = (self.elapsed ^ deadline) | (SLOTS as u64 - 1);
        let level = ((63 - masked.leading_zeros()) / SLOT_BITS) as usize;
        let slot = ((deadline >> (SLOT_BITS as usize * level)) as usize) & (SLOTS - 1);
        self.occupied[level] |= 1 << slot;
        self.push(index, (level * SLOTS + slot) as u16);
    }

    fn list_mut(&mut self, loc: u16) -> &mut List {
        if loc == EXPIRED {
            &mut self.expired
        } else {
            &mut self.slots[loc as usize / SLOTS][loc as usize % SLOTS]
        }
    }

    fn push(&mut self, index: u32, loc: u16) {
        let tail = self.list_mut(loc).tail;
        let e = &mut self.entries[index as usize];
        e.loc = loc;
        e.prev = tail;
        e.next = NIL;
        if tail == NIL {
            self.list_mut(loc).head = index;
        } else {
            self.entries[tail as usize].next = index;
        }
        self.list_mut(loc).tail = index;
    }

    fn unlink(&mut self, index: u32) {
        let Entry {
            prev, next, loc, ..
        } = self.entries[index as usize];
        match prev {
            NIL => self.list_mut(loc).head = next,
            p => self.entries[p as usize].next = next,
        }
        match next {
            NIL => self.list_mut(loc).tail = prev,
            n => self.entries[n as usize].prev = prev,
        }
        if loc != EXPIRED && self.list_mut(loc).head == NIL {
            self.occupied[loc as usize / SLOTS] &= !(1 << (loc as usize % SLOTS));
        }
    }

    fn check(&self, key: TimerKey) -> Option<u32> {
        let e = self.entries.get(key.index as usize)?;
        (e.generation == key.generation && e.value.is_some()).then_some(key.index)
    }

    fn alloc(&mut self, deadline: u64, value: T) -> u32 {
        if self.free_head != NIL {
            let index = self.free_head;
            let e = &mut self.entries[index as usize];
            self.free_head = e.next;
            e.value = Some(value);
            e.deadline = deadline;
            return index;
        }
        let index = u32::try_from(self.entries.len())
            .ok()
            .filter(|&i| i != NIL)
            .expect("timer wheel: more than u32::MAX - 1 pending timers");
        self.entries.push(Entry {
            generation: 0,
            value: Some(value),
            deadline,
            prev: NIL,
            next: NIL,
            loc: EXPIRED,
        });
        index
    }

    fn free(&mut self, index: u32) -> T {
        let e = &mut self.entries[index as usize];
        e.generation = e.generation.wrapping_add(1);
        e.next = self.free_head;
        self.free_head = index;
        // Invariant: `free` is only called on entries that `check` or a list found occupied.
        e.value.take().expect("freeing a vacant timer entry")
    }
}

impl<T> fmt::Debug for Wheel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wheel")
            .field("elapsed", &self.elapsed)
            .field("len", &self.len)
            .field("next_expiry", &self.next_expiry())
            .finish()
    }
}

#[cfg(test)]
mod tests;
