//! The Hiver demo storefront: the Preact or React 19 web app in `web/`, server-rendered by
//! hiver-ssr's render pool (QuickJS, or V8 with the `v8` feature), cached per page, hydrated
//! in the browser.
//!
//! Run it with `cargo run --release -p storefront` from anywhere in the checkout and open
//! the URL it logs. Environment (all optional): `HOST` (`127.0.0.1`; see the warning
//! below), `PORT` (3000; 0 picks a free port),
//! `WORKERS` (one per core), `STOREFRONT_FRAMEWORK` (`preact` or `react`),
//! `STOREFRONT_DIST` (the directory holding `preact/` and `react/`; unset, the build is
//! looked for beside the binary (`<exe dir>/web/dist`, `<exe dir>/dist`), then in the
//! working directory (`web/dist`, `examples/storefront/web/dist`), then in this
//! package's source tree; the error names every place looked),
//! `STOREFRONT_CACHE` (`on`; `off` makes every page route no-store, see the table),
//! `STOREFRONT_ENGINE` (`quickjs` or `v8`; a build with `--features v8` defaults to `v8`,
//! others have only `quickjs`),
//! `STOREFRONT_WATCH` (`off`; `on` is development mode, see below),
//! `HIVER_DRIVER` (`uring` or `epoll`), `RUST_LOG` (`info`).
//!
//! | route | what |
//! |---|---|
//! | `GET /` | the listing; `category`, `min_price`, `max_price`, `sort`, `page` select the page; cached 60 s (+30 s stale-while-revalidate), tag `listing` |
//! | `GET /product/{id}` | a product page (404 page for unknown ids), tags `product` and `product:{id}`; streamed when rendered (`X-Hiver-Render: stream`: the shell at once, the reviews when their deliberately slow source answers, 200 ms later), then cached whole |
//! | `GET /assets/…` | the client build from disk (hiver-static): `Cache-Control: immutable`, `ETag`, ranges, the `.br`/`.gz` siblings `npm run build` writes |
//! | `GET /favicon.ico` | `<dist>/favicon.ico` (from `web/public/`), when the build has one |
//! | `GET /api/health` | `{"status":"ok"}` |
//! | `POST /admin/purge?tag=…` / `?path=…` / `?prefix=…` | drops cached pages; unguarded, for the demo on 127.0.0.1 only (see below) |
//! | `GET /metrics` | Prometheus: request counters and latencies, SSR cache and render pool |
//! | anything else | the app's 404 page, never cached |
//!
//! With `STOREFRONT_CACHE=off` the `/` and `/product/{id}` pages are no-store as well: every
//! request renders and is answered `X-Hiver-Cache: bypass`, `Cache-Control: private,
//! no-store` (for measuring the renderer, as `bench/ssr.sh` does).
//!
//! With `STOREFRONT_WATCH=on` the server bundle (`<dist>/<framework>/server.js`) is watched:
//! when it changes, e.g. after `npm run build` in `web/`, it is reloaded within
//! [`WATCH_INTERVAL`] without a restart or a dropped request, and cached pages rendered by
//! the old bundle are no longer served. A bundle that does not load is logged and the old
//! one keeps serving. The manifest and the client assets are read once at start: a rebuild
//! that changes the client code needs a restart for browsers to get it.
//!
//! Every response carries an `X-Request-Id`; pages carry `X-Hiver-Cache`.
//!
//! **Warning:** `POST /admin/purge` has no authentication. With the default `HOST`
//! (127.0.0.1) only this machine reaches it; a `HOST` that is not a loopback address
//! (`0.0.0.0`, a LAN address) lets anyone who reaches the port empty the page cache.
//! The binary logs a warning at start when that is the case. Put it behind a proxy that
//! blocks `/admin/` before exposing it.

pub mod api;
pub mod config;
pub mod pages;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use hiver::Router;
use hiver::http::HeaderValue;
use hiver::metrics::{self, Metrics};
use hiver::routing::get;
use hiver::trace::TraceLayer;
use hiver_ssr::serve::SsrWatcher;
use hiver_ssr::{Ssr, SsrError};
use hiver_static::ServeFile;

pub use config::{Config, ConfigError, Engine, Framework};

/// The assembled demo: its router and the handles the binary and tests need.
#[derive(Debug, Clone)]
pub struct Storefront {
    /// Pages, assets, the JSON API and `/metrics`, with tracing and metrics layers.
    pub router: Router,
    /// Rendering and the page cache (purge, reload, counters).
    pub ssr: Ssr,
    /// The Prometheus registry behind `/metrics` (give it to `Server::metrics`).
    pub metrics: Metrics,
    /// With `STOREFRONT_WATCH=on`, the bundle watcher: keep it alive while serving
    /// (dropping the last clone stops the watching).
    pub watcher: Option<Arc<SsrWatcher>>,
}

/// How often development mode (`STOREFRONT_WATCH=on`) checks the bundle for changes.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(250);

/// Builds the storefront for `config`: loads the bundle, manifest and assets, wires the
/// routes, and in development mode (`config.watch`) starts watching the bundle.
///
/// # Errors
///
/// The chosen build in `config.dist` is missing or broken (the error names the file), the
/// favicon is not a regular file, or the watcher thread cannot start.
pub fn build(config: &Config) -> Result<Storefront, BuildError> {
    let ssr = pages::ssr(config)?;
    let watcher = if config.watch {
        Some(Arc::new(ssr.watch(WATCH_INTERVAL)?))
    } else {
        None
    };
    let metrics = Metrics::new();
    ssr.register_metrics(&metrics);
    let mut router = Router::new().route("/metrics", get(metrics::handler(&metrics)));
    let favicon = config.dist.join("favicon.ico");
    if favicon.exists() {
        let favicon = ServeFile::builder(&favicon)
            .cache_control(HeaderValue::from_static("public, max-age=86400"))
            .build()?;
        router = router.route("/favicon.ico", get(favicon));
    }
    let router = router
        .merge(api::router(ssr.clone()))
        .merge(ssr.router())
        // `layer`, not `route_layer`: 404s get request ids and are counted too. The trace
        // layer is outermost so the metrics layer's work is inside the request's span.
        .layer(metrics.layer())
        .layer(TraceLayer::new());
    Ok(Storefront {
        router,
        ssr,
        metrics,
        watcher,
    })
}

/// Why the storefront could not be built.
#[derive(Debug)]
pub enum BuildError {
    /// The build (bundle, manifest, client assets) is missing or broken, or the watcher
    /// cannot start.
    Ssr(SsrError),
    /// `<dist>/favicon.ico` exists but cannot be served.
    Favicon(hiver_static::Error),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Ssr(e) => e.fmt(f),
            BuildError::Favicon(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::Ssr(e) => Some(e),
            BuildError::Favicon(e) => Some(e),
        }
    }
}

impl From<SsrError> for BuildError {
    fn from(e: SsrError) -> Self {
        BuildError::Ssr(e)
    }
}

impl From<hiver_static::Error> for BuildError {
    fn from(e: hiver_static::Error) -> Self {
        BuildError::Favicon(e)
    }
}
