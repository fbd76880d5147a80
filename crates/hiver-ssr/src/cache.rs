//! The page cache: a lock-free L1 per worker over a shared, byte-bounded L2.
//!
//! A lookup goes L1 (the worker's own LRU, no locks) → L2 (shared by every worker, bounded by
//! bytes, moka) → single-flight render: however many requests miss one key at the same time,
//! on however many workers, the render closure runs once and the others await its result.
//! Failed renders are never cached. Each route's [`CachePolicy`] sets the TTL and the
//! stale-while-revalidate and stale-if-error windows.
//!
//! Purges (by path, prefix, tag, everything, or by bundle generation) take effect in every
//! worker's L1 before they return, without waiting on any worker: every purge gets an epoch in
//! a shared log, and a lookup checks an entry against the purges newer than it (one atomic
//! load when there are none).
//!
//! The cache knows nothing of the JS engine or sockets: it caches whatever [`Page`] the
//! caller's render future produces, and that future may complete on any thread.
//!
//! # Examples
//!
//! ```
//! use hiver_ssr::cache::{CacheKey, CachePolicy, Destination, Outcome, Page, PageCache};
//! use http::{HeaderMap, Method};
//!
//! let cache = PageCache::builder().build();
//! let worker = cache.worker();
//! let key = CacheKey::builder(&Method::GET, "/hello").build()?;
//! let policy = CachePolicy::default();
//! let render = |_: Destination<'_>| async { Ok::<_, std::io::Error>(Page::builder("<h1>hi</h1>").build()) };
//!
//! let first = futures_executor::block_on(worker.serve(&key, &policy, &HeaderMap::new(), render))?;
//! assert_eq!(first.outcome(), Outcome::Miss);
//! let second = futures_executor::block_on(worker.serve(&key, &policy, &HeaderMap::new(), render))?;
//! assert_eq!(second.outcome(), Outcome::HitL1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bypass;
mod compress;
mod conditional;
mod entry;
mod error;
mod flight;
mod key;
mod lru;
mod metrics;
mod negotiate;
mod normalize;
mod page;
mod page_cache;
mod policy;
mod purge;
mod shared;
mod worker;

pub use bypass::{BypassRules, BypassRulesBuilder};
pub use compress::Compression;
pub use error::CacheError;
pub use key::{CacheKey, CacheKeyBuilder, KeyError};
pub use metrics::CacheMetrics;
pub use negotiate::Encoding;
pub use page::{Page, PageBuilder};
pub use page_cache::{PageCache, PageCacheBuilder};
pub use policy::{CachePolicy, CachePolicyBuilder};
pub use worker::{Destination, Outcome, Refresh, Served, WorkerCache};
