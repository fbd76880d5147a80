//! The labels of the request metrics, and a per-worker cache of their series.
//!
//! Looking a series up in a prometheus-client `Family` takes the family's read lock and
//! SipHashes the labels: measured here at ~73 ns per lookup on one thread, two lookups
//! per request, and the lock word is written by every core. The cache keeps this
//! thread's handles to the series it has used (shared atomics, cloned from the families),
//! so a request costs one unlocked map lookup with a cheap hash instead.
//!
//! Series of the built-in families are never removed, so a cached handle never goes
//! stale. Keys are bounded: route patterns, nine methods plus `OTHER`, status codes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::encoding::{EncodeLabel, EncodeLabelSet, LabelSetEncoder};
use prometheus_client::metrics::counter::Counter;

use super::histogram::Histogram;
use super::layer::UNMATCHED_ROUTE;
use crate::extract::MatchedPath;

/// A route pattern, never a raw path: one series per registered route at most.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum RouteLabel {
    Pattern(Arc<str>),
    Unmatched,
}

impl RouteLabel {
    pub(super) fn of(matched: Option<&MatchedPath>) -> Self {
        match matched {
            Some(path) => RouteLabel::Pattern(path.0.clone()),
            None => RouteLabel::Unmatched,
        }
    }

    fn as_str(&self) -> &str {
        match self {
            RouteLabel::Pattern(p) => p,
            RouteLabel::Unmatched => UNMATCHED_ROUTE,
        }
    }
}

/// The labels of the latency histogram.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct RouteLabels {
    pub(super) method: &'static str,
    pub(super) route: RouteLabel,
}

impl EncodeLabelSet for RouteLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder<'_>) -> fmt::Result {
        ("method", self.method).encode(encoder.encode_label())?;
        ("route", self.route.as_str()).encode(encoder.encode_label())
    }
}

/// The labels of the request counter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct RequestLabels {
    pub(super) route: RouteLabels,
    pub(super) status: u16,
}

impl EncodeLabelSet for RequestLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder<'_>) -> fmt::Result {
        self.route.encode(encoder)?;
        ("status", self.status).encode(encoder.encode_label())
    }
}

/// Tells registries apart in the thread-local cache; never reused (unlike addresses).
pub(super) fn next_registry_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The handles one request records into.
pub(super) struct Series {
    pub(super) requests: Counter,
    pub(super) duration: Histogram,
}

type Cache = HashMap<(u64, RequestLabels), Series, BuildHasherDefault<FxHasher>>;

thread_local! {
    /// This worker's handles, by registry id and labels; only this thread touches it.
    static CACHE: RefCell<Cache> = RefCell::default();
}

/// Runs `record` on this thread's series for `labels` in registry `registry`, asking
/// `create` for it (a family lookup) the first time.
pub(super) fn with_series(
    registry: u64,
    labels: RequestLabels,
    create: impl FnOnce(&RequestLabels) -> Series,
    record: impl FnOnce(&Series),
) {
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let key = (registry, labels);
        if let Some(series) = cache.get(&key) {
            return record(series);
        }
        let series = create(&key.1);
        record(&series);
        cache.insert(key, series);
    });
}

/// The Fx hash (rustc's): a rotate, xor and multiply per word. Keys here are short and
/// cannot be chosen by clients (see the module docs), so no keyed hash is needed.
#[derive(Default)]
pub(super) struct FxHasher(u64);

const SEED: u64 = 0x517c_c1b7_2722_0a95;

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let mut tail = [0u8; 8];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.add(u64::from_le_bytes(tail));
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u16(&mut self, n: u16) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(route: &str, status: u16) -> RequestLabels {
        let route = RouteLabel::Pattern(Arc::from(route));
        RequestLabels {
            route: RouteLabels {
                method: "GET",
                route,
            },
            status,
        }
    }

    #[test]
    fn entries_are_per_registry_and_labels() {
        let created = std::cell::Cell::new(0);
        let make = |_: &RequestLabels| {
            created.set(created.get() + 1);
            Series {
                requests: Counter::default(),
                duration: Histogram::new([1.0]),
            }
        };
        let (a, b) = (next_registry_id(), next_registry_id());
        let hits = [
            (a, "/x", 200),
            (a, "/x", 200),
            (a, "/x", 404),
            (a, "/y", 200),
            (b, "/x", 200),
        ];
        for (registry, route, status) in hits {
            with_series(registry, labels(route, status), make, |s| {
                s.requests.inc();
            });
        }
        assert_eq!(created.get(), 4);
        let mut n = 0;
        with_series(a, labels("/x", 200), make, |s| n = s.requests.get());
        assert_eq!(n, 2);
    }

    #[test]
    fn fx_hash_tells_near_keys_apart() {
        let hash = |bytes: &[u8]| {
            let mut h = FxHasher::default();
            h.write(bytes);
            h.finish()
        };
        assert_ne!(hash(b"/users/{id}"), hash(b"/users/{ix}"));
        assert_ne!(hash(b"12345678"), hash(b"123456781"));
    }
}
