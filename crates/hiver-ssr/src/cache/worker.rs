//! `WorkerCache`: one worker's L1 in front of the shared cache, and the lookup itself.

use std::cell::RefCell;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::HeaderMap;

use super::entry::Entry;
use super::error::CacheError;
use super::flight::{FlightGuard, Landing, Role, SharedError};
use super::key::CacheKey;
use super::lru::Lru;
use super::metrics::bump;
use super::page::Page;
use super::page_cache::PageCache;
use super::policy::{CachePolicy, Freshness};
use super::shared::Shared;

/// What a lookup did, for logs, metrics and response headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Served from this worker's L1.
    HitL1,
    /// Served from the shared L2.
    HitL2,
    /// Nothing usable was cached; this request rendered the page.
    Miss,
    /// Nothing usable was cached; this request waited for another request's render.
    Coalesced,
    /// The page was stale but within its stale-while-revalidate window: served at once while
    /// one background render refreshes it.
    Stale,
    /// The render failed and the stale page was served (within stale-if-error).
    StaleOnError,
    /// The request bypassed the cache (credentials, or a no-store route) and was rendered.
    Bypass,
}

/// Where the page a render produces will go. The cache decides this once per request, before
/// rendering (the bypass rules and the route's `no_store`), and hands it to the render
/// closure, so the caller never repeats the decision.
#[derive(Debug, Clone, Copy)]
pub enum Destination<'a> {
    /// Stored and served to every request for the key (a miss or a background refresh).
    Cache,
    /// Sent to this request alone, whose headers these are, and never stored.
    Bypass(&'a HeaderMap),
}

impl Destination<'_> {
    /// Whether the page answers one request and is never stored.
    pub fn is_bypass(&self) -> bool {
        matches!(self, Destination::Bypass(_))
    }
}

/// A served page, how it was obtained, and possibly a background refresh to spawn.
#[must_use = "a Served may carry a refresh future that must be spawned"]
pub struct Served {
    page: Page,
    outcome: Outcome,
    refresh: Option<Refresh>,
}

impl Served {
    fn new(page: Page, outcome: Outcome) -> Self {
        Self {
            page,
            outcome,
            refresh: None,
        }
    }

    /// The page to answer with.
    pub fn page(&self) -> &Page {
        &self.page
    }

    /// What the lookup did.
    pub fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// The background refresh to spawn on the worker (only with [`Outcome::Stale`], and only
    /// for the one request that won the refresh). Dropping it unpolled gives up the refresh;
    /// a later request starts another.
    pub fn take_refresh(&mut self) -> Option<Refresh> {
        self.refresh.take()
    }

    /// The page, dropping the outcome (and any refresh).
    pub fn into_page(self) -> Page {
        self.page
    }
}

impl fmt::Debug for Served {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Served")
            .field("outcome", &self.outcome)
            .field("page", &self.page)
            .field("refresh", &self.refresh.is_some())
            .finish()
    }
}

/// A background refresh of a stale page: renders once and stores the result. Not `Send`
/// (the render closure need not be): spawn it on the worker that got it, e.g.
/// `hiver_runtime::spawn(refresh).detach()`.
#[must_use = "a refresh does nothing unless spawned or awaited"]
pub struct Refresh(Pin<Box<dyn Future<Output = ()>>>);

impl Future for Refresh {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll(cx)
    }
}

impl fmt::Debug for Refresh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Refresh")
    }
}

/// What L2 holds for a key, judged against purges, generation and age.
enum Found {
    Fresh(Arc<Entry>),
    Revalidate(Arc<Entry>),
    ErrorOnly(Arc<Entry>),
    Missing,
}

/// One worker's cache: a private LRU (L1, no locks) over the shared [`PageCache`]. Create it
/// on the worker with [`PageCache::worker`]; share it between that worker's requests by
/// reference or `Rc`.
pub struct WorkerCache {
    shared: Arc<Shared>,
    /// Touched only by this worker's lookups; never borrowed across an await.
    l1: RefCell<Lru<Arc<Entry>>>,
}

impl fmt::Debug for WorkerCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerCache")
            .field("l1_len", &self.l1_len())
            .finish()
    }
}

impl WorkerCache {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        let l1 = RefCell::new(Lru::new(shared.l1_entries));
        Self { shared, l1 }
    }

    /// The shared cache this worker cache belongs to (for purges and metrics).
    pub fn cache(&self) -> PageCache {
        PageCache::from_shared(self.shared.clone())
    }

    /// Entries in this worker's L1, including ones purged but not yet looked up again.
    pub fn l1_len(&self) -> usize {
        self.l1.borrow().len()
    }

    /// A fresh page for `key` from L1 or L2, served at once without a future (the common
    /// case, which spares a hit the render job and the lookup's state machine). `None` when
    /// [`serve`](Self::serve) must decide: nothing fresh is cached, the request bypasses
    /// the cache, or the route does not store. (`serve` then looks in L1 and L2 again: a
    /// second lookup, on misses and stale pages only.)
    pub fn fresh_hit(
        &self,
        key: &CacheKey,
        policy: &CachePolicy,
        request: &HeaderMap,
    ) -> Option<Served> {
        if self.bypasses(policy, request) {
            return None;
        }
        if let Some(served) = self.l1_hit(key) {
            return Some(served);
        }
        match self.l2_lookup(key) {
            Found::Fresh(entry) => Some(self.l2_hit(entry)),
            _ => None,
        }
    }

    /// Answers a request for `key` from L1, L2, or by calling `render` (once per key across
    /// all workers, however many requests miss at the same time).
    ///
    /// Requests the bypass rules select (from `request` headers) and `no_store` routes are
    /// rendered directly and never stored: `render` is then called with
    /// [`Destination::Bypass`], otherwise with [`Destination::Cache`]. A stale page within the SWR window is returned at
    /// once with a [`Refresh`] for the caller to spawn. Render errors are never cached.
    ///
    /// The cache owns no timer: the render future should carry its own time budget (the render
    /// pool's), and a timeout is then just an error, never cached. Wrapping `serve` itself in a
    /// timeout is safe too: a dropped leader hands the render over to one of its waiters.
    ///
    /// # Errors
    ///
    /// The render (this request's, or the one it waited for) failed and no stale page was
    /// allowed to stand in.
    pub async fn serve<F, Fut, E>(
        &self,
        key: &CacheKey,
        policy: &CachePolicy,
        request: &HeaderMap,
        render: F,
    ) -> Result<Served, CacheError>
    where
        F: Fn(Destination<'_>) -> Fut + 'static,
        Fut: Future<Output = Result<Page, E>> + 'static,
        E: Into<Box<dyn Error + Send + Sync>>,
    {
        if self.bypasses(policy, request) {
            return self.bypass(request, &render).await;
        }
        loop {
            if let Some(served) = self.l1_hit(key) {
                return Ok(served);
            }
            let stale = match self.l2_lookup(key) {
                Found::Fresh(entry) => return Ok(self.l2_hit(entry)),
                Found::Revalidate(entry) => {
                    return Ok(self.serve_stale(key, policy, &entry, render));
                }
                Found::ErrorOnly(entry) => Some(entry),
                Found::Missing => None,
            };
            bump(&self.shared.counters.misses);
            match self.shared.flights.join_or_lead(key) {
                Role::Lead(guard) => return self.lead(key, policy, guard, &render, stale).await,
                Role::Join(wait) => match wait.await {
                    Landing::Ready(entry) => {
                        bump(&self.shared.counters.coalesced);
                        self.l1_put(&entry);
                        return Ok(Served::new(entry.page.clone(), Outcome::Coalesced));
                    }
                    Landing::Failed(err) => return self.failed(err, stale, true),
                    // The leader's request was cancelled: look again, maybe lead this time.
                    Landing::Abandoned => continue,
                },
            }
        }
    }

    async fn bypass<F, Fut, E>(&self, request: &HeaderMap, render: &F) -> Result<Served, CacheError>
    where
        F: Fn(Destination<'_>) -> Fut,
        Fut: Future<Output = Result<Page, E>>,
        E: Into<Box<dyn Error + Send + Sync>>,
    {
        bump(&self.shared.counters.bypasses);
        bump(&self.shared.counters.renders);
        match render(Destination::Bypass(request)).await {
            Ok(page) => Ok(Served::new(page, Outcome::Bypass)),
            Err(err) => {
                bump(&self.shared.counters.errors);
                Err(CacheError::bypassed(Arc::from(err.into())))
            }
        }
    }

    async fn lead<F, Fut, E>(
        &self,
        key: &CacheKey,
        policy: &CachePolicy,
        guard: FlightGuard,
        render: &F,
        stale: Option<Arc<Entry>>,
    ) -> Result<Served, CacheError>
    where
        F: Fn(Destination<'_>) -> Fut,
        Fut: Future<Output = Result<Page, E>>,
        E: Into<Box<dyn Error + Send + Sync>>,
    {
        // Read before rendering: a purge during the render must count against the result.
        let epoch = self.shared.purges.epoch();
        // Another leader may have stored the page between our L2 miss and taking the lead.
        if let Found::Fresh(entry) = self.l2_lookup(key) {
            guard.land(Landing::Ready(entry.clone()));
            return Ok(self.l2_hit(entry));
        }
        bump(&self.shared.counters.renders);
        match render(Destination::Cache).await {
            Ok(page) => {
                let entry = self.shared.store(key, page, policy, epoch);
                guard.land(Landing::Ready(entry.clone()));
                self.l1_put(&entry);
                Ok(Served::new(entry.page.clone(), Outcome::Miss))
            }
            Err(err) => {
                bump(&self.shared.counters.errors);
                let err: SharedError = Arc::from(err.into());
                guard.land(Landing::Failed(err.clone()));
                self.failed(err, stale, false)
            }
        }
    }

    fn failed(
        &self,
        err: SharedError,
        stale: Option<Arc<Entry>>,
        coalesced: bool,
    ) -> Result<Served, CacheError> {
        match stale {
            Some(entry) if self.shared.is_live(&entry) => {
                bump(&self.shared.counters.stale_on_error);
                Ok(Served::new(entry.page.clone(), Outcome::StaleOnError))
            }
            _ => Err(CacheError::render(err, coalesced)),
        }
    }

    fn serve_stale<F, Fut, E>(
        &self,
        key: &CacheKey,
        policy: &CachePolicy,
        entry: &Entry,
        render: F,
    ) -> Served
    where
        F: Fn(Destination<'_>) -> Fut + 'static,
        Fut: Future<Output = Result<Page, E>> + 'static,
        E: Into<Box<dyn Error + Send + Sync>>,
    {
        bump(&self.shared.counters.stale_served);
        let mut served = Served::new(entry.page.clone(), Outcome::Stale);
        if let Some(guard) = self.shared.flights.try_lead(key) {
            let (shared, key, policy) = (self.shared.clone(), key.clone(), *policy);
            served.refresh = Some(Refresh(Box::pin(async move {
                let epoch = shared.purges.epoch();
                bump(&shared.counters.renders);
                let landing = match render(Destination::Cache).await {
                    Ok(page) => Landing::Ready(shared.store(&key, page, &policy, epoch)),
                    Err(err) => {
                        bump(&shared.counters.errors);
                        Landing::Failed(Arc::from(err.into()))
                    }
                };
                guard.land(landing);
            })));
        }
        served
    }

    /// Whether the request is rendered apart and never stored (a `no_store` route, or
    /// what the bypass rules select).
    fn bypasses(&self, policy: &CachePolicy, request: &HeaderMap) -> bool {
        policy.is_no_store() || self.shared.bypass.should_bypass(request)
    }

    fn l1_hit(&self, key: &CacheKey) -> Option<Served> {
        let entry = self.l1_fresh(key)?;
        bump(&self.shared.counters.hits_l1);
        Some(Served::new(entry.page.clone(), Outcome::HitL1))
    }

    fn l1_fresh(&self, key: &CacheKey) -> Option<Arc<Entry>> {
        let mut l1 = self.l1.borrow_mut();
        let entry = l1.get(key)?.clone();
        let now = self.shared.clock.now();
        if self.shared.is_live(&entry) && entry.freshness(now) == Freshness::Fresh {
            return Some(entry);
        }
        // L1 holds only fresh pages; stale ones are judged (and refreshed) through L2.
        l1.remove(key);
        None
    }

    fn l2_lookup(&self, key: &CacheKey) -> Found {
        let Some(entry) = self.shared.l2.get(key) else {
            return Found::Missing;
        };
        if !self.shared.is_live(&entry) {
            self.shared.l2.invalidate(key);
            return Found::Missing;
        }
        match entry.freshness(self.shared.clock.now()) {
            Freshness::Fresh => Found::Fresh(entry),
            Freshness::Revalidate => Found::Revalidate(entry),
            Freshness::ErrorOnly => Found::ErrorOnly(entry),
            Freshness::Dead => Found::Missing,
        }
    }

    fn l2_hit(&self, entry: Arc<Entry>) -> Served {
        bump(&self.shared.counters.hits_l2);
        self.l1_put(&entry);
        Served::new(entry.page.clone(), Outcome::HitL2)
    }

    fn l1_put(&self, entry: &Arc<Entry>) {
        let now = self.shared.clock.now();
        if self.shared.is_live(entry) && entry.freshness(now) == Freshness::Fresh {
            self.l1
                .borrow_mut()
                .insert(entry.key.clone(), entry.clone());
        }
    }
}
