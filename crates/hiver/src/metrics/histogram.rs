//! A lock-free histogram with fixed buckets.
//!
//! prometheus-client's own `Histogram` takes a mutex on every `observe`; the request
//! latency histogram is observed by every worker on every request, so that mutex would be
//! a lock shared by all cores on the hot path. This one is a handful of relaxed atomics.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::family::MetricConstructor;
use prometheus_client::metrics::{MetricType, TypedMetric};

/// Request latency buckets, in seconds: 50 µs to 10 s, roughly ×2–2.5 apart.
pub const DEFAULT_LATENCY_BUCKETS: [f64; 18] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0, 7.5, 10.0,
];

/// A histogram with fixed upper bounds (plus the implicit `+Inf`), observed without locks.
///
/// Cloning is cheap and clones share their counts (one `Arc`), like prometheus-client's
/// metrics. Register it with [`Metrics::register`](super::Metrics::register) or make one
/// per label set with [`Metrics::histogram_family`](super::Metrics::histogram_family).
///
/// # Examples
///
/// ```
/// use hiver::metrics::Histogram;
///
/// let h = Histogram::new([0.1, 1.0, 10.0]);
/// h.observe(0.5);
/// assert_eq!(h.count(), 1);
/// ```
#[derive(Clone)]
pub struct Histogram {
    inner: Arc<Inner>,
}

struct Inner {
    /// Sorted, finite, deduplicated upper bounds; written once at construction.
    bounds: Box<[f64]>,
    /// One counter per bound plus a last one for `+Inf`; non-cumulative, incremented by
    /// every observer, read by the exposition.
    counts: Box<[AtomicU64]>,
    /// The sum of observations as `f64` bits, updated with a compare-and-swap loop.
    sum: AtomicU64,
}

impl Histogram {
    /// A histogram with these upper bounds. Non-finite bounds are dropped (`+Inf` is
    /// always there), the rest are sorted and deduplicated.
    pub fn new(bounds: impl IntoIterator<Item = f64>) -> Self {
        let mut bounds: Vec<f64> = bounds.into_iter().filter(|b| b.is_finite()).collect();
        bounds.sort_by(f64::total_cmp);
        bounds.dedup();
        let counts = (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect();
        Histogram {
            inner: Arc::new(Inner {
                bounds: bounds.into_boxed_slice(),
                counts,
                sum: AtomicU64::new(0f64.to_bits()),
            }),
        }
    }

    /// Records one observation. `NaN` goes to the `+Inf` bucket.
    pub fn observe(&self, value: f64) {
        let inner = &*self.inner;
        // The first bucket whose bound is >= value; none for NaN or above every bound,
        // which is the `+Inf` slot. A linear scan: most observations land in the first
        // few buckets, where it beats a binary search's dependent compares.
        let index = inner.bounds.iter().position(|b| value <= *b);
        let index = index.unwrap_or(inner.bounds.len());
        inner.counts[index].fetch_add(1, Ordering::Relaxed);
        let mut current = inner.sum.load(Ordering::Relaxed);
        loop {
            let next = (f64::from_bits(current) + value).to_bits();
            match inner.sum.compare_exchange_weak(
                current,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(seen) => current = seen,
            }
        }
    }

    /// The number of observations so far.
    pub fn count(&self) -> u64 {
        let counts = self.inner.counts.iter();
        counts.map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// The sum of observations so far.
    pub fn sum(&self) -> f64 {
        f64::from_bits(self.inner.sum.load(Ordering::Relaxed))
    }

    /// The finite upper bounds, sorted.
    pub fn bounds(&self) -> &[f64] {
        &self.inner.bounds
    }

    /// `(upper bound, non-cumulative count)` pairs, ending with `+Inf`.
    fn snapshot(&self) -> Vec<(f64, u64)> {
        let bounds = self.inner.bounds.iter().copied().chain([f64::INFINITY]);
        let counts = self.inner.counts.iter().map(|c| c.load(Ordering::Relaxed));
        bounds.zip(counts).collect()
    }
}

impl fmt::Debug for Histogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Histogram")
            .field("bounds", &self.bounds())
            .field("count", &self.count())
            .field("sum", &self.sum())
            .finish()
    }
}

impl TypedMetric for Histogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for Histogram {
    fn encode(&self, mut encoder: MetricEncoder<'_>) -> Result<(), fmt::Error> {
        let buckets = self.snapshot();
        // Count from the same snapshot, so `_count` always equals the `+Inf` bucket even
        // while other workers observe.
        let count = buckets.iter().map(|(_, c)| c).sum();
        encoder.encode_histogram::<NoLabelSet>(self.sum(), count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

/// Makes a [`Histogram`] with the same bounds for each new label set of a
/// [`Family`](super::Family).
#[derive(Debug, Clone)]
pub struct Buckets(Arc<[f64]>);

impl Buckets {
    /// These upper bounds (see [`Histogram::new`] for how they are cleaned).
    pub fn new(bounds: impl IntoIterator<Item = f64>) -> Self {
        Buckets(bounds.into_iter().collect())
    }
}

impl MetricConstructor<Histogram> for Buckets {
    fn new_metric(&self) -> Histogram {
        Histogram::new(self.0.iter().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_the_first_bucket_at_or_above() {
        let h = Histogram::new([1.0, f64::INFINITY, 0.5, 1.0, f64::NAN]);
        assert_eq!(h.bounds(), [0.5, 1.0]);
        for v in [0.1, 0.5, 0.7, 1.0, 3.0, f64::NAN] {
            h.observe(v);
        }
        let counts: Vec<u64> = h.snapshot().iter().map(|(_, c)| *c).collect();
        assert_eq!(counts, [2, 2, 2]);
        assert_eq!(h.count(), 6);
        assert!(h.sum().is_nan());
    }

    #[test]
    fn concurrent_observers_lose_nothing() {
        let h = Histogram::new([0.5]);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| (0..10_000).for_each(|_| h.observe(0.25)));
            }
        });
        assert_eq!(h.count(), 40_000);
        assert_eq!(h.sum(), 10_000.0);
    }

    #[test]
    fn clones_share_counts() {
        let h = Histogram::new([1.0]);
        h.clone().observe(2.0);
        assert_eq!(h.count(), 1);
        assert_eq!(h.sum(), 2.0);
    }
}
