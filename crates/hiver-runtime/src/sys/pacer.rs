//! When a worker with a batch wait uses it: only while completions trickle in.
//!
//! The batch wait pays where a worker would otherwise be woken once per completion (a
//! handler's database answers arriving one by one: on `/queries?queries=20` about 1.1
//! completions per wake-up without it, 9 to 12 wake-ups per request). Where wake-ups already
//! find several completions (`/db`, `/fortunes` at 64 connections: 4 to 6), waiting longer
//! folds nothing more in and only delays the answers; measured, it cost 3–12 % of the
//! requests per CPU-second there (BENCHMARKS.md, "Paced batch wait on io_uring"). So the driver keeps a moving
//! average of the completions its plain waits handle and uses the batch wait for the next
//! [`HOLD`] waits whenever that average falls below [`TRICKLE`], then looks again with one
//! plain wait.

use std::cell::Cell;

/// The moving average is kept in sixteenths of a completion.
const SCALE: u32 = 16;
/// Below this average of completions per plain wait (1.5, in sixteenths), completions are
/// trickling in.
const TRICKLE: u32 = 24;
/// Batch waits between two plain waits that look again.
const HOLD: u32 = 16;
/// A turn's completions count up to this many in the average.
const CAP: u32 = 64;

pub(crate) struct Pacer {
    /// Completions per plain wait, sixteenths, averaged with weight 1/8 for the newest.
    average: Cell<u32>,
    /// Batch waits left before the next plain one.
    left: Cell<u32>,
}

impl Pacer {
    pub fn new() -> Pacer {
        Pacer {
            // Start as if turns were full: no batch wait until a trickle is seen.
            average: Cell::new(CAP * SCALE),
            left: Cell::new(0),
        }
    }

    /// Whether the next wait that may batch should.
    pub fn batch(&self) -> bool {
        self.left.get() > 0
    }

    /// Records a wait that blocked and the completions its turn handled: `batched` if it
    /// was a batch wait.
    pub fn record(&self, batched: bool, completions: usize) {
        if batched {
            self.left.set(self.left.get().saturating_sub(1));
            return;
        }
        let n = u32::try_from(completions).unwrap_or(CAP).min(CAP);
        let average = self.average.get();
        let average = average - average / 8 + n * SCALE / 8;
        self.average.set(average);
        if average < TRICKLE {
            self.left.set(HOLD);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trickle_turns_the_batch_wait_on_for_a_while_then_looks_again() {
        let pacer = Pacer::new();
        let mut plain = 0;
        while !pacer.batch() {
            pacer.record(false, 1);
            plain += 1;
            assert!(plain < 100, "a steady trickle must turn the batch wait on");
        }
        for _ in 0..HOLD {
            assert!(pacer.batch());
            pacer.record(true, 10);
        }
        assert!(!pacer.batch(), "one plain wait looks again");
        pacer.record(false, 1);
        assert!(pacer.batch(), "still a trickle");
    }

    #[test]
    fn full_turns_keep_it_off_and_end_it() {
        let pacer = Pacer::new();
        for _ in 0..1000 {
            pacer.record(false, 4);
            assert!(!pacer.batch(), "four completions a turn are not a trickle");
        }
        // A trickle, then full turns again: the average climbs back and no new hold starts.
        while !pacer.batch() {
            pacer.record(false, 1);
        }
        while pacer.batch() {
            pacer.record(true, 1);
        }
        for _ in 0..3 {
            pacer.record(false, 8);
        }
        assert!(!pacer.batch());
        for _ in 0..20 {
            pacer.record(false, 8);
            assert!(!pacer.batch());
        }
    }

    #[test]
    fn a_huge_turn_neither_overflows_nor_blinds_it_for_long() {
        let pacer = Pacer::new();
        pacer.record(false, usize::MAX);
        let mut plain = 0;
        while !pacer.batch() {
            pacer.record(false, 0);
            plain += 1;
        }
        assert!(plain <= 40, "{plain} empty turns before the batch wait");
    }
}
