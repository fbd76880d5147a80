//! Cache counters, readable from Rust at any time (atomics, relaxed: they are statistics).

use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters shared by every worker and the L2 eviction listener.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) hits_l1: AtomicU64,
    pub(crate) hits_l2: AtomicU64,
    pub(crate) misses: AtomicU64,
    pub(crate) coalesced: AtomicU64,
    pub(crate) renders: AtomicU64,
    pub(crate) stale_served: AtomicU64,
    pub(crate) stale_on_error: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) bypasses: AtomicU64,
    pub(crate) evictions: AtomicU64,
    pub(crate) expirations: AtomicU64,
    pub(crate) bytes: AtomicU64,
    pub(crate) entries: AtomicU64,
}

pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    pub(crate) fn snapshot(&self) -> CacheMetrics {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CacheMetrics {
            hits_l1: get(&self.hits_l1),
            hits_l2: get(&self.hits_l2),
            misses: get(&self.misses),
            coalesced: get(&self.coalesced),
            renders: get(&self.renders),
            stale_served: get(&self.stale_served),
            stale_on_error: get(&self.stale_on_error),
            errors_not_cached: get(&self.errors),
            bypasses: get(&self.bypasses),
            evictions: get(&self.evictions),
            expirations: get(&self.expirations),
            bytes: get(&self.bytes),
            entries: get(&self.entries),
        }
    }
}

/// A snapshot of the cache's counters. Counts are totals since the cache was built; `bytes`
/// and `entries` describe L2 now (L2 updates them during its maintenance, so they can lag a
/// few operations behind; [`PageCache::run_maintenance`](super::PageCache::run_maintenance)
/// settles them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheMetrics {
    /// Lookups answered from a worker's L1.
    pub hits_l1: u64,
    /// Lookups answered from the shared L2.
    pub hits_l2: u64,
    /// Lookups that found no usable page and rendered or waited for a render.
    pub misses: u64,
    /// Misses that waited for another request's render instead of rendering.
    pub coalesced: u64,
    /// Render calls (foreground, background refresh and bypass).
    pub renders: u64,
    /// Stale pages served while a background refresh ran.
    pub stale_served: u64,
    /// Stale pages served because the render failed.
    pub stale_on_error: u64,
    /// Failed renders (never cached).
    pub errors_not_cached: u64,
    /// Requests that bypassed the cache (credentials or a no-store route).
    pub bypasses: u64,
    /// L2 entries evicted to stay within the byte bound.
    pub evictions: u64,
    /// L2 entries dropped because their policy's windows were over.
    pub expirations: u64,
    /// Bytes held by L2 (pages with their compressed variants, keys and overhead).
    pub bytes: u64,
    /// Entries held by L2.
    pub entries: u64,
}

impl CacheMetrics {
    /// Share of cacheable lookups answered without waiting for a render (L1, L2 or stale),
    /// between 0 and 1; 0 before the first lookup.
    pub fn hit_rate(&self) -> f64 {
        let hits = self.hits_l1 + self.hits_l2 + self.stale_served;
        let total = hits + self.misses;
        if total == 0 {
            0.0
        } else {
            hits as f64 / total as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_rate() {
        assert_eq!(CacheMetrics::default().hit_rate(), 0.0);
        let m = CacheMetrics {
            hits_l1: 2,
            hits_l2: 1,
            stale_served: 1,
            misses: 4,
            ..Default::default()
        };
        assert_eq!(m.hit_rate(), 0.5);
    }
}
