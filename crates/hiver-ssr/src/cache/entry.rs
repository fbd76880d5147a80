//! What both cache levels hold: a page plus when and under which policy it was stored.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use super::key::CacheKey;
use super::page::Page;
use super::policy::{CachePolicy, Freshness};

/// One stored page. L1 and L2 hold the same `Arc<Entry>`, so both see one expiry and one
/// purge state.
pub(crate) struct Entry {
    pub(crate) key: CacheKey,
    pub(crate) page: Page,
    /// From the cache's clock; ages are measured from here.
    pub(crate) stored_at: Instant,
    /// The route's policy when the page was stored.
    pub(crate) policy: CachePolicy,
    /// Bytes held, for the L2 weigher (computed once).
    pub(crate) weight: u32,
    /// The highest purge epoch this entry is known to survive. Starts at the epoch read
    /// before its render began (purges during the render count against it); raised by any
    /// thread that checks it against newer purges, so the check is paid once, not per worker.
    checked_epoch: AtomicU64,
}

impl Entry {
    pub(crate) fn new(
        key: CacheKey,
        page: Page,
        stored_at: Instant,
        policy: CachePolicy,
        epoch: u64,
    ) -> Self {
        let weight = u32::try_from(page.weight() + key.weight() + 64).unwrap_or(u32::MAX);
        Self {
            key,
            page,
            stored_at,
            policy,
            weight,
            checked_epoch: AtomicU64::new(epoch),
        }
    }

    pub(crate) fn freshness(&self, now: Instant) -> Freshness {
        self.policy
            .freshness(now.saturating_duration_since(self.stored_at))
    }

    pub(crate) fn checked_epoch(&self) -> u64 {
        self.checked_epoch.load(Ordering::Acquire)
    }

    pub(crate) fn mark_checked(&self, epoch: u64) {
        self.checked_epoch.fetch_max(epoch, Ordering::AcqRel);
    }
}
