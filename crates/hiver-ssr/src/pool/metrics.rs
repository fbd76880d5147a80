//! Counters the render threads bump and [`RenderPool::metrics`](super::RenderPool::metrics)
//! reads. Plain relaxed atomics: each number is exact, a snapshot is not one instant.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::engine::RenderError;

/// Upper bounds of the latency histogram buckets; a last, unbounded bucket follows.
pub const LATENCY_BUCKETS: [Duration; 12] = [
    Duration::from_micros(500),
    Duration::from_millis(1),
    Duration::from_millis(2),
    Duration::from_millis(5),
    Duration::from_millis(10),
    Duration::from_millis(25),
    Duration::from_millis(50),
    Duration::from_millis(100),
    Duration::from_millis(250),
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
];

/// Shared by the pool handle (queue-full rejections, reloads) and every render thread.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    renders: AtomicU64,
    js_errors: AtomicU64,
    timeouts: AtomicU64,
    memory_limit_hits: AtomicU64,
    stack_overflows: AtomicU64,
    crashes: AtomicU64,
    cancelled: AtomicU64,
    queue_full: AtomicU64,
    context_replacements: AtomicU64,
    reloads: AtomicU64,
    /// Renders running right now (a gauge: up when a thread starts one, down when it ends).
    in_flight: AtomicU64,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    latency_sum_us: AtomicU64,
}

impl Metrics {
    pub(crate) fn started(&self) {
        self.in_flight.fetch_add(1, Relaxed);
    }

    pub(crate) fn record<T>(&self, result: &Result<T, RenderError>, took: Duration) {
        self.in_flight.fetch_sub(1, Relaxed);
        self.renders.fetch_add(1, Relaxed);
        let bucket = LATENCY_BUCKETS.partition_point(|bound| *bound < took);
        self.latency_buckets[bucket].fetch_add(1, Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.latency_sum_us.fetch_add(micros, Relaxed);
        let Err(error) = result else { return };
        let counter = if error.is_js() {
            &self.js_errors
        } else if error.is_timeout() {
            &self.timeouts
        } else if error.is_memory() {
            &self.memory_limit_hits
        } else if error.is_stack_overflow() {
            &self.stack_overflows
        } else if error.is_cancelled() {
            &self.cancelled
        } else {
            &self.crashes
        };
        counter.fetch_add(1, Relaxed);
    }

    pub(crate) fn queue_full(&self) {
        self.queue_full.fetch_add(1, Relaxed);
    }

    pub(crate) fn context_replaced(&self) {
        self.context_replacements.fetch_add(1, Relaxed);
    }

    pub(crate) fn reloaded(&self) {
        self.reloads.fetch_add(1, Relaxed);
    }

    pub(crate) fn snapshot(&self, queue_depth: usize) -> MetricsSnapshot {
        let counts = self
            .latency_buckets
            .iter()
            .map(|c| c.load(Relaxed))
            .collect();
        MetricsSnapshot {
            renders: self.renders.load(Relaxed),
            js_errors: self.js_errors.load(Relaxed),
            timeouts: self.timeouts.load(Relaxed),
            memory_limit_hits: self.memory_limit_hits.load(Relaxed),
            stack_overflows: self.stack_overflows.load(Relaxed),
            crashes: self.crashes.load(Relaxed),
            cancelled: self.cancelled.load(Relaxed),
            queue_full_rejections: self.queue_full.load(Relaxed),
            context_replacements: self.context_replacements.load(Relaxed),
            reloads: self.reloads.load(Relaxed),
            in_flight: self.in_flight.load(Relaxed),
            queue_depth,
            latency: LatencyHistogram {
                counts,
                sum: Duration::from_micros(self.latency_sum_us.load(Relaxed)),
            },
        }
    }
}

/// The render pool's counters at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetricsSnapshot {
    /// Renders that ran to an outcome, successful or not (queue-full rejections excluded).
    pub renders: u64,
    /// Renders that failed with a JS error ([`RenderError::is_js`]).
    pub js_errors: u64,
    /// Renders that ran past the time limit.
    pub timeouts: u64,
    /// Renders that ran past the memory limit.
    pub memory_limit_hits: u64,
    /// Renders that ran past the stack limit.
    pub stack_overflows: u64,
    /// Renders that failed otherwise: engine panics, or no context could be built.
    pub crashes: u64,
    /// Streamed renders stopped because their consumer went away
    /// ([`RenderError::is_cancelled`]).
    pub cancelled: u64,
    /// Submissions refused because the queue was full.
    pub queue_full_rejections: u64,
    /// Contexts thrown away and rebuilt after a failure (bundle switches not included).
    pub context_replacements: u64,
    /// Successful reloads.
    pub reloads: u64,
    /// Renders running right now.
    pub in_flight: u64,
    /// Jobs waiting in the queue.
    pub queue_depth: usize,
    /// Time from a render thread taking a job to the render's outcome.
    pub latency: LatencyHistogram,
}

/// A render latency histogram over [`LATENCY_BUCKETS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencyHistogram {
    /// Renders per bucket (not cumulative): `counts[i]` took at most `LATENCY_BUCKETS[i]` and
    /// more than the bound before it; the last entry counts renders over the last bound.
    pub counts: Vec<u64>,
    /// Total time of all renders counted.
    pub sum: Duration,
}

impl LatencyHistogram {
    /// Renders counted.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Mean render latency, zero when nothing was counted.
    pub fn mean(&self) -> Duration {
        let count = u32::try_from(self.count()).unwrap_or(u32::MAX);
        self.sum.checked_div(count).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_and_kinds() {
        let m = Metrics::default();
        m.started();
        m.started();
        m.started();
        m.record::<()>(&Ok(()), Duration::from_micros(300));
        m.record::<()>(&Ok(()), Duration::from_millis(1));
        m.record::<()>(&Err(RenderError::timeout("t")), Duration::from_secs(3));
        let s = m.snapshot(4);
        assert_eq!(s.renders, 3);
        assert_eq!((s.timeouts, s.in_flight), (1, 0));
        assert_eq!(s.queue_depth, 4);
        assert_eq!(s.latency.counts[0], 1);
        assert_eq!(s.latency.counts[1], 1);
        assert_eq!(s.latency.counts[LATENCY_BUCKETS.len()], 1);
        assert_eq!(s.latency.count(), 3);
    }
}
