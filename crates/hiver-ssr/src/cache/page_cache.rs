//! `PageCache`: the handle to the shared cache; purges, bundle reloads, metrics.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::bypass::BypassRules;
use super::key::KeyError;
use super::metrics::CacheMetrics;
use super::normalize;
use super::purge::Purge;
use super::shared::{Clock, Shared};
use super::worker::WorkerCache;

/// The page cache shared by every worker: the byte-bounded L2, purges, metrics. Each worker
/// takes its own [`WorkerCache`] (with its private L1) from it.
///
/// `PageCache` is `Send + Sync + Clone`; clones share one cache.
///
/// # Examples
///
/// ```
/// use hiver_ssr::cache::PageCache;
///
/// let cache = PageCache::builder().l2_max_bytes(64 << 20).l1_max_entries(512).build();
/// let worker = cache.worker(); // once per worker thread
/// cache.purge_prefix("/blog")?; // every worker's L1 stops serving /blog/** at once
/// # drop(worker);
/// # Ok::<(), hiver_ssr::cache::KeyError>(())
/// ```
#[derive(Clone)]
pub struct PageCache {
    shared: Arc<Shared>,
}

impl Default for PageCache {
    fn default() -> Self {
        Self::builder().build()
    }
}

impl fmt::Debug for PageCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageCache")
            .field("metrics", &self.metrics())
            .finish()
    }
}

impl PageCache {
    pub(crate) fn from_shared(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// Starts configuring a cache.
    pub fn builder() -> PageCacheBuilder {
        PageCacheBuilder::default()
    }

    /// A worker's view: its own L1 in front of this shared cache. Make one per worker thread
    /// and keep it there (it is not `Sync`).
    pub fn worker(&self) -> WorkerCache {
        WorkerCache::new(self.shared.clone())
    }

    /// The rules that decide which requests bypass the cache.
    pub fn bypass_rules(&self) -> &BypassRules {
        &self.shared.bypass
    }

    /// Purges every entry for `path` (normalised like a key's path; all methods, queries,
    /// props and variants). Returns the number of L2 entries removed. When it returns, no
    /// worker's L1 or the L2 serves a purged entry any more.
    ///
    /// # Errors
    ///
    /// `path` does not start with `/` or holds a malformed escape.
    pub fn purge_path(&self, path: &str) -> Result<usize, KeyError> {
        Ok(self.purge(Purge::Path(normalize::path(path)?)))
    }

    /// Purges every entry whose path is `prefix` or lies below it, segment-wise (`/blog`
    /// covers `/blog` and `/blog/a`, not `/blogs`; `/` covers everything).
    ///
    /// # Errors
    ///
    /// `prefix` does not start with `/` or holds a malformed escape.
    pub fn purge_prefix(&self, prefix: &str) -> Result<usize, KeyError> {
        Ok(self.purge(Purge::Prefix(normalize::path(prefix)?)))
    }

    /// Purges every entry whose page carries `tag`.
    pub fn purge_tag(&self, tag: &str) -> usize {
        self.purge(Purge::Tag(tag.to_owned()))
    }

    /// Purges everything.
    pub fn clear(&self) {
        self.shared.purges.record(Purge::All);
        self.shared.l2.invalidate_all();
    }

    /// Invalidates every page rendered by a bundle generation older than `generation` (call
    /// it after a bundle reload). Renders still running for an older generation are served to
    /// their waiting requests but not stored. Generations only go up.
    pub fn invalidate_bundles_before(&self, generation: u64) {
        self.shared
            .min_generation
            .fetch_max(generation, Ordering::AcqRel);
        self.shared
            .sweep(|entry| entry.page.bundle_generation() < generation);
    }

    /// A snapshot of the counters.
    pub fn metrics(&self) -> CacheMetrics {
        self.shared.counters.snapshot()
    }

    /// Runs L2's pending maintenance now (evictions, expirations, counter updates), which it
    /// otherwise does in small steps during lookups. Useful before reading `bytes`/`entries`.
    pub fn run_maintenance(&self) {
        self.shared.l2.run_pending_tasks();
    }

    fn purge(&self, purge: Purge) -> usize {
        self.shared.purges.record(purge.clone());
        self.shared
            .sweep(|entry| purge.matches(&entry.key, entry.page.tags()))
    }
}

/// Configures a [`PageCache`].
pub struct PageCacheBuilder {
    l2_bytes: u64,
    l1_entries: usize,
    purge_log: usize,
    bypass: BypassRules,
    clock: Clock,
}

impl Default for PageCacheBuilder {
    fn default() -> Self {
        Self {
            l2_bytes: 256 << 20,
            l1_entries: 1024,
            purge_log: 4096,
            bypass: BypassRules::default(),
            clock: Clock::System,
        }
    }
}

impl fmt::Debug for PageCacheBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageCacheBuilder")
            .field("l2_bytes", &self.l2_bytes)
            .field("l1_entries", &self.l1_entries)
            .field("purge_log", &self.purge_log)
            .field("bypass", &self.bypass)
            .finish_non_exhaustive()
    }
}

impl PageCacheBuilder {
    /// Upper bound of L2 in bytes, compressed variants included (default 256 MiB).
    pub fn l2_max_bytes(mut self, bytes: u64) -> Self {
        self.l2_bytes = bytes;
        self
    }

    /// Entries in each worker's L1 (default 1024; 0 disables L1).
    pub fn l1_max_entries(mut self, entries: usize) -> Self {
        self.l1_entries = entries;
        self
    }

    /// How many recent purges are remembered (default 4096). An entry filled before the
    /// oldest remembered purge is treated as purged, so a very long render that overlaps more
    /// purges than this is simply not reused.
    pub fn purge_log_len(mut self, records: usize) -> Self {
        self.purge_log = records;
        self
    }

    /// Which requests bypass the cache (default: `Authorization` or a `session` cookie).
    pub fn bypass(mut self, rules: BypassRules) -> Self {
        self.bypass = rules;
        self
    }

    /// The clock ages are measured with (default: `Instant::now`). For tests and simulations;
    /// L2's memory reclamation keeps using real time.
    pub fn clock(mut self, now: impl Fn() -> Instant + Send + Sync + 'static) -> Self {
        self.clock = Clock::Custom(Arc::new(now));
        self
    }

    /// Builds the cache.
    pub fn build(self) -> PageCache {
        PageCache {
            shared: Arc::new(Shared::new(
                self.l2_bytes,
                self.l1_entries,
                self.purge_log,
                self.bypass,
                self.clock,
            )),
        }
    }
}
