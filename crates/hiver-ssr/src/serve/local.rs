//! Each HTTP worker's own [`WorkerCache`] (its lock-free L1), created on first use.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Weak};

use super::Inner;
use crate::cache::WorkerCache;

thread_local! {
    /// One entry per `Ssr` this thread has served. An `Ssr` that is gone is pruned when the
    /// next one registers, so its cache memory is not kept alive by old threads' entries.
    static CACHES: RefCell<Vec<(Weak<Inner>, Rc<WorkerCache>)>> = const { RefCell::new(Vec::new()) };
}

/// This thread's worker cache for `inner`.
pub(crate) fn worker_cache(inner: &Arc<Inner>) -> Rc<WorkerCache> {
    CACHES.with_borrow_mut(|caches| {
        let own = Arc::downgrade(inner);
        if let Some((_, cache)) = caches.iter().find(|(ssr, _)| ssr.ptr_eq(&own)) {
            return cache.clone();
        }
        caches.retain(|(ssr, _)| ssr.strong_count() > 0);
        let cache = Rc::new(inner.cache.worker());
        caches.push((own, cache.clone()));
        cache
    })
}
