//! The state every worker shares: L2, the purge log, the flights in progress, counters.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use moka::notification::RemovalCause;
use moka::policy::EvictionPolicy;

use super::bypass::BypassRules;
use super::entry::Entry;
use super::flight::Flights;
use super::key::CacheKey;
use super::metrics::{Counters, bump};
use super::page::Page;
use super::policy::CachePolicy;
use super::purge::PurgeLog;

/// Where "now" comes from: the system clock, or one the caller supplies (tests, simulations).
#[derive(Clone)]
pub(crate) enum Clock {
    System,
    Custom(Arc<dyn Fn() -> Instant + Send + Sync>),
}

impl Clock {
    pub(crate) fn now(&self) -> Instant {
        match self {
            Self::System => Instant::now(),
            Self::Custom(f) => f(),
        }
    }
}

pub(crate) type L2 = moka::sync::Cache<CacheKey, Arc<Entry>>;

/// Shared by every worker through an `Arc`; every field is thread-safe on its own.
pub(crate) struct Shared {
    /// Pages of every worker, bounded by bytes; touched by lookups, stores and purges.
    pub(crate) l2: L2,
    /// Purges by epoch; appended by purges, read by every lookup.
    pub(crate) purges: PurgeLog,
    /// Renders in progress; touched on misses only.
    pub(crate) flights: Arc<Flights>,
    /// Pages from an older bundle generation are invalid; raised on bundle reload.
    pub(crate) min_generation: AtomicU64,
    /// Statistics; also updated by the L2 eviction listener.
    pub(crate) counters: Arc<Counters>,
    pub(crate) clock: Clock,
    pub(crate) bypass: BypassRules,
    /// L1 size for each worker cache made from this one.
    pub(crate) l1_entries: usize,
}

impl Shared {
    pub(crate) fn new(
        l2_bytes: u64,
        l1_entries: usize,
        purge_log: usize,
        bypass: BypassRules,
        clock: Clock,
    ) -> Self {
        let counters = Arc::new(Counters::default());
        Self {
            l2: build_l2(l2_bytes, counters.clone()),
            purges: PurgeLog::new(purge_log),
            flights: Arc::default(),
            min_generation: AtomicU64::new(0),
            counters,
            clock,
            bypass,
            l1_entries,
        }
    }

    /// Whether `entry` has survived every purge and bundle reload so far.
    pub(crate) fn is_live(&self, entry: &Entry) -> bool {
        entry.page.bundle_generation() >= self.min_generation.load(Ordering::Acquire)
            && self.purges.survives(entry)
    }

    /// Wraps a fresh render into an entry and stores it in L2 unless a purge or bundle reload
    /// already made it invalid (it is still served to the requests that waited for it).
    pub(crate) fn store(
        &self,
        key: &CacheKey,
        page: Page,
        policy: &CachePolicy,
        epoch: u64,
    ) -> Arc<Entry> {
        let entry = Arc::new(Entry::new(
            key.clone(),
            page,
            self.clock.now(),
            *policy,
            epoch,
        ));
        if self.is_live(&entry) {
            self.counters
                .bytes
                .fetch_add(u64::from(entry.weight), Ordering::Relaxed);
            bump(&self.counters.entries);
            self.l2.insert(key.clone(), entry.clone());
        }
        entry
    }

    /// Removes from L2 every entry `doomed` selects (memory only: lookups already refuse
    /// them through the purge log or the generation). Returns how many were removed.
    pub(crate) fn sweep(&self, doomed: impl Fn(&Entry) -> bool) -> usize {
        let mut removed = 0;
        for (key, entry) in self.l2.iter() {
            if doomed(&entry) {
                self.l2.invalidate(&*key);
                removed += 1;
            }
        }
        removed
    }
}

fn build_l2(max_bytes: u64, counters: Arc<Counters>) -> L2 {
    moka::sync::Cache::builder()
        .max_capacity(max_bytes)
        .weigher(|_key: &CacheKey, entry: &Arc<Entry>| entry.weight)
        .expire_after(Retention)
        // Plain LRU: TinyLFU may refuse to admit a page that just cost a render.
        .eviction_policy(EvictionPolicy::lru())
        .eviction_listener(move |_key, entry: Arc<Entry>, cause| {
            counters
                .bytes
                .fetch_sub(u64::from(entry.weight), Ordering::Relaxed);
            counters.entries.fetch_sub(1, Ordering::Relaxed);
            match cause {
                RemovalCause::Size => bump(&counters.evictions),
                RemovalCause::Expired => bump(&counters.expirations),
                RemovalCause::Explicit | RemovalCause::Replaced => {}
            }
        })
        .build()
}

/// Drops L2 entries once their policy's last window (fresh, SWR or stale-if-error) is over.
struct Retention;

impl moka::Expiry<CacheKey, Arc<Entry>> for Retention {
    fn expire_after_create(
        &self,
        _: &CacheKey,
        entry: &Arc<Entry>,
        _: Instant,
    ) -> Option<Duration> {
        Some(entry.policy.retention())
    }

    fn expire_after_update(
        &self,
        _: &CacheKey,
        entry: &Arc<Entry>,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.policy.retention())
    }
}
