//! Server-side rendering as a [`hiver`] handler (feature `framework`, on by default).
//!
//! An [`Ssr`] ties the pieces of this crate together: the [`RenderPool`] running the server
//! bundle, the [`PageCache`] in front of it, and the [`DocumentTemplate`] built from the
//! Vite manifest. [`Ssr::router`] gives a `hiver::Router` with one route per page (and one
//! per client asset) to merge with the app's own routes.
//!
//! A page request: the props are computed from the request (route parameters, declared
//! query parameters, headers), the cache key is built from method, path, declared query,
//! a hash of the props and the variant; the worker's L1, the shared L2, then one render
//! per key however many requests wait. The render runs on the pool's threads; the document
//! is assembled and pre-compressed on a small "finisher" thread, so the HTTP worker never
//! spends milliseconds on a page. The answer carries `ETag` (304 on `If-None-Match`), the
//! negotiated `Content-Encoding` with `Vary: Accept-Encoding`, `Cache-Control` from the
//! route's policy and `X-Hiver-Cache` (`hit-l1`, `hit-l2`, `miss`, `coalesced`, `stale`,
//! `stale-on-error`, `bypass`).
//!
//! Requests carrying credentials (`Authorization`, or a bypass cookie) are rendered fresh,
//! never stored, and sent `Cache-Control: private, no-store`. A failed render (JS error,
//! timeout, memory or stack limit, full queue) is never cached: the client gets the
//! client-side shell (same assets and hydration state, no server HTML, no error details)
//! with the route's error status (503 when the queue is full), and the error with its JS
//! stack goes to `tracing::error!`.
//!
//! A bundle whose `render` returns a stream (React's or Preact's `renderToReadableStream`)
//! is answered as it renders: status and headers (`Cache-Control: private, no-store`,
//! `X-Hiver-Render: stream`) go out with the document's head (asset tags, preload hints),
//! then each chunk as the render thread produces it, chunked on the wire, then the end of
//! the document with the hydration state. The completed page is then stored (and
//! compressed) and later requests get it whole; requests that waited on the same miss get
//! it whole when it is done. An error after the head closes the page early (the client
//! renders the rest), is logged and never cached; a client that leaves cancels the render.
//!
//! # Examples
//!
//! ```no_run
//! use std::time::Duration;
//! use hiver::routing::get;
//! use hiver::Router;
//! use hiver_ssr::serve::{PagePolicy, Ssr};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let ssr = Ssr::builder()
//!     .bundle("dist/server/entry.js")
//!     .manifest("dist/client/.vite/manifest.json", "src/main.tsx")
//!     .asset_base("/")
//!     .time_limit(Duration::from_millis(500))
//!     .page("/", PagePolicy::new().ttl(Duration::from_secs(30)))
//!     .page(
//!         "/product/{id}",
//!         PagePolicy::new().query(["color"]).tag("product:{id}").swr(Duration::from_secs(60)),
//!     )
//!     .build()?;
//! let app = Router::new()
//!     .route("/api/health", get(|| async { "ok" }))
//!     .merge(ssr.router());
//! // Later, from an admin endpoint or a webhook:
//! ssr.purge_tag("product:42");
//! hiver::serve("0.0.0.0:3000", app)?;
//! # Ok(())
//! # }
//! ```

mod assets;
mod builder;
mod error;
mod finish;
mod handler;
mod local;
mod metrics;
mod page_failure;
mod policy;
mod render_job;
mod request;
mod stream;
mod watch;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hiver::extract::Path as RouteParams;
use hiver::routing::get;
use hiver::{Request, Router};
use http::header::HeaderValue;

pub use builder::SsrBuilder;
pub use error::SsrError;
pub use handler::{X_HIVER_CACHE, X_HIVER_RENDER};
pub use metrics::SsrMetrics;
pub use policy::PagePolicy;
pub use request::RequestParts;
pub use watch::SsrWatcher;

use crate::RenderPool;
use crate::cache::{CachePolicy, Compression, KeyError, PageCache};
use crate::document::DocumentTemplate;
use assets::Asset;
use finish::Finisher;

/// Server-side rendering for a set of page routes; see the [module docs](self).
///
/// Cheap to clone (clones share everything); `Send + Sync`.
#[derive(Clone)]
pub struct Ssr {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Ssr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let patterns: Vec<&str> = self.inner.routes.iter().map(|r| &*r.pattern).collect();
        f.debug_struct("Ssr")
            .field("pages", &patterns)
            .field("assets", &self.inner.assets.len())
            .field("generation", &self.inner.pool.generation())
            .finish()
    }
}

/// Everything an `Ssr` shares between its handlers, its watcher and its metrics collector.
pub(crate) struct Inner {
    /// Renders pages; shared with the caller when built from an existing pool.
    pub(crate) pool: Arc<RenderPool>,
    /// L2, purges and counters; each HTTP worker takes its own L1 (see `local`).
    pub(crate) cache: PageCache,
    /// The document every page is placed into; shared with the finisher threads.
    pub(crate) template: Arc<DocumentTemplate>,
    /// How pages are pre-compressed when built.
    pub(crate) compression: Compression,
    /// Builds pages off the HTTP workers.
    pub(crate) finisher: Finisher,
    pub(crate) routes: Vec<Arc<PageRoute>>,
    /// Client files served from disk under the asset base, checked at build time.
    pub(crate) assets: Vec<Asset>,
    /// The bundle `reload` re-reads; `None` when built from an existing pool alone.
    pub(crate) bundle_path: Option<PathBuf>,
    /// Counters of the HTTP layer (the cache and pool count the rest).
    pub(crate) counters: Counters,
}

/// Counters bumped by the handlers of every worker (relaxed: statistics).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) shells: AtomicU64,
    /// Pages sent as their render streamed them.
    pub(crate) streamed: AtomicU64,
    pub(crate) not_modified: AtomicU64,
}

/// One page route and its settings, resolved at build time.
pub(crate) struct PageRoute {
    pub(crate) pattern: Arc<str>,
    pub(crate) policy: PagePolicy,
    pub(crate) cache: CachePolicy,
    pub(crate) cache_control: HeaderValue,
}

impl Ssr {
    /// Starts configuring an `Ssr`.
    pub fn builder() -> SsrBuilder {
        SsrBuilder::default()
    }

    /// The routes: one `GET` (and `HEAD`) route per page and per client asset. Merge it
    /// into the app: `Router::new().route("/api/x", get(api)).merge(ssr.router())`. The
    /// handlers need no state, so the router fits any state type.
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let mut router = Router::new();
        for route in &self.inner.routes {
            let pattern = route.pattern.clone();
            let (inner, route) = (self.inner.clone(), route.clone());
            let handler = move |params: Option<RouteParams<BTreeMap<String, String>>>,
                                req: Request| {
                let (inner, route) = (inner.clone(), route.clone());
                async move {
                    let params = params
                        .map(|p| p.0.into_iter().collect())
                        .unwrap_or_default();
                    let (parts, _body) = req.into_parts();
                    handler::page(inner, route, params, parts).await
                }
            };
            router = router.route(&pattern, get(handler));
        }
        for asset in &self.inner.assets {
            let (file, inner) = (asset.file.clone(), self.inner.clone());
            let handler = move |req: Request| {
                let res = file.serve(req.method(), req.headers());
                if res.status() == http::StatusCode::NOT_MODIFIED {
                    inner.counters.not_modified.fetch_add(1, Ordering::Relaxed);
                }
                std::future::ready(res)
            };
            router = router.route(&asset.url, get(handler));
        }
        router
    }

    /// The render pool (shared with the caller if it was given to the builder).
    pub fn pool(&self) -> &Arc<RenderPool> {
        &self.inner.pool
    }

    /// The page cache.
    pub fn cache(&self) -> &PageCache {
        &self.inner.cache
    }

    /// The URL paths of the client assets this `Ssr` serves.
    pub fn asset_paths(&self) -> impl Iterator<Item = &str> {
        self.inner.assets.iter().map(|a| a.url.as_str())
    }

    /// Re-reads the bundle file given to the builder and swaps it in; pages of older
    /// bundles stop being served from the cache. Returns the new generation.
    ///
    /// # Errors
    ///
    /// The new bundle does not load (the old one keeps serving), or the `Ssr` was built
    /// from an existing pool without a bundle path.
    pub fn reload(&self) -> Result<u64, SsrError> {
        let Some(path) = &self.inner.bundle_path else {
            return Err(SsrError::config("reload: no bundle path was configured"));
        };
        self.reload_file(path)
    }

    /// Swaps in the bundle at `path` (see [`reload`](Self::reload)).
    ///
    /// # Errors
    ///
    /// The bundle does not load; the old one keeps serving.
    pub fn reload_file(&self, path: impl AsRef<Path>) -> Result<u64, SsrError> {
        let generation = self.inner.pool.reload_file(path)?;
        self.inner.cache.invalidate_bundles_before(generation);
        Ok(generation)
    }

    /// Reloads the bundle whenever its file changes (modification time polled every
    /// `interval`), for development. A bundle that fails to load is logged and the old one
    /// keeps serving. Watching stops when the [`SsrWatcher`] is dropped.
    ///
    /// # Errors
    ///
    /// No bundle path was configured, or the watcher thread cannot start.
    pub fn watch(&self, interval: Duration) -> Result<SsrWatcher, SsrError> {
        let Some(path) = self.inner.bundle_path.clone() else {
            return Err(SsrError::config("watch: no bundle path was configured"));
        };
        SsrWatcher::spawn(self.clone(), path, interval)
            .map_err(|e| SsrError::config(format!("watch: cannot start the watcher: {e}")))
    }

    /// Purges every cached page of `path` (all queries, props and variants). Returns the
    /// number of shared entries removed; every worker stops serving them on return.
    ///
    /// # Errors
    ///
    /// `path` does not start with `/` or holds a malformed escape.
    pub fn purge_path(&self, path: &str) -> Result<usize, KeyError> {
        self.inner.cache.purge_path(path)
    }

    /// Purges every cached page at or below `prefix`, segment-wise.
    ///
    /// # Errors
    ///
    /// `prefix` does not start with `/` or holds a malformed escape.
    pub fn purge_prefix(&self, prefix: &str) -> Result<usize, KeyError> {
        self.inner.cache.purge_prefix(prefix)
    }

    /// Purges every cached page carrying `tag` (see [`PagePolicy::tag`]).
    pub fn purge_tag(&self, tag: &str) -> usize {
        self.inner.cache.purge_tag(tag)
    }

    /// Purges every cached page.
    pub fn purge_all(&self) {
        self.inner.cache.clear();
    }
}
