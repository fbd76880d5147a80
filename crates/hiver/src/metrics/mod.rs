//! Prometheus metrics: a registry, request metrics recorded by a layer, and the
//! `/metrics` endpoint.
//!
//! [`Metrics`] is a handle on a [prometheus-client](prometheus_client) registry; clones
//! share it, and it is `Clone + Send + Sync`, so put it in the router state (or a
//! `static`) and use it from handlers. Counters and gauges are atomics, and
//! [`Histogram`] is lock-free, so recording never takes a lock that other workers also
//! take; only a [`Family`] lookup takes a read lock on that family's map (≈ 70 ns here:
//! look a hot series up once and keep the handle). The built-in request metrics keep
//! such handles per worker, so [`MetricsLayer`] takes no lock at all.
//!
//! [`Metrics::layer`] records, for every request it wraps:
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `hiver_http_requests_total` | counter | `method`, `route`, `status` |
//! | `hiver_http_request_duration_seconds` | histogram ([`DEFAULT_LATENCY_BUCKETS`]: 50 µs – 10 s) | `method`, `route` |
//! | `hiver_http_requests_in_flight` | gauge | |
//!
//! `route` is the matched pattern (`/users/{id}`), never the raw path, and
//! [`UNMATCHED_ROUTE`] for requests no route matched, so a scanner cannot create series;
//! for the same reason non-standard methods are labelled [`OTHER_METHOD`].
//!
//! [`Server::metrics`](crate::Server::metrics) (or [`Metrics::record_server`]) adds, at
//! start-up, `hiver_driver_info{driver="io_uring"} 1` (or `epoll`) and `hiver_workers`,
//! and from then on `hiver_open_connections{worker="0"}` (one gauge per worker, read from
//! the workers at each scrape, so it costs nothing per request). A scrape over a socket
//! counts its own connection too.
//!
//! [`handler`] serves the registry as OpenMetrics text ([`CONTENT_TYPE`]) at whatever
//! route the app chooses.
//!
//! # Examples
//!
//! ```no_run
//! use hiver::extract::State;
//! use hiver::metrics::{self, Counter, Metrics};
//! use hiver::routing::get;
//! use hiver::{Router, Server};
//!
//! #[derive(Clone)]
//! struct AppState {
//!     signups: Counter,
//! }
//!
//! async fn signup(State(state): State<AppState>) -> &'static str {
//!     state.signups.inc();
//!     "welcome"
//! }
//!
//! let metrics = Metrics::new();
//! let state = AppState {
//!     signups: metrics.counter("app_signups", "Accounts created"),
//! };
//! let app = Router::new()
//!     .route("/signup", get(signup))
//!     .route("/metrics", get(metrics::handler(&metrics)))
//!     .with_state(state)
//!     // `layer`, not `route_layer`: 404s and 405s are counted too.
//!     .layer(metrics.layer());
//! Server::bind("0.0.0.0:3000").metrics(&metrics).run(app)?;
//! # Ok::<(), hiver::Error>(())
//! ```
//!
//! Labelled metrics are a [`Family`] keyed by any label set, e.g. `[(&str, String); 1]`
//! or your own type implementing [`EncodeLabelSet`]. Keep label values
//! bounded: one series is kept per distinct set, forever.
//!
//! ```
//! use hiver::metrics::{Buckets, Metrics};
//!
//! let metrics = Metrics::builder().latency_buckets([0.001, 0.01, 0.1, 1.0]).build();
//! let cache = metrics.counter_family::<[(&'static str, &'static str); 1]>(
//!     "app_cache_lookups",
//!     "Cache lookups by result",
//! );
//! cache.get_or_create(&[("result", "hit")]).inc();
//! let sizes = metrics.histogram_family::<[(&'static str, &'static str); 1]>(
//!     "app_upload_bytes",
//!     "Upload sizes",
//!     Buckets::new([1e3, 1e6, 1e9]),
//! );
//! sizes.get_or_create(&[("kind", "avatar")]).observe(52_000.0);
//! let text = metrics.encode().unwrap(); // our label sets never fail to encode
//! assert!(text.contains(r#"app_cache_lookups_total{result="hit"} 1"#));
//! ```

use std::fmt;
use std::hash::Hash;
use std::sync::{Arc, PoisonError, RwLock};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::MetricConstructor;
use prometheus_client::registry::{Metric, Registry};

mod connections;
mod exposition;
mod histogram;
mod layer;
mod series;

pub use exposition::{CONTENT_TYPE, handler};
pub use histogram::{Buckets, DEFAULT_LATENCY_BUCKETS, Histogram};
pub use layer::{MetricsLayer, OTHER_METHOD, UNMATCHED_ROUTE};
pub use prometheus_client;
pub use prometheus_client::metrics::counter::Counter;
pub use prometheus_client::metrics::family::Family;
pub use prometheus_client::metrics::gauge::Gauge;
pub use prometheus_client::registry::Unit;

use connections::OpenConnections;
use layer::HttpMetrics;

/// A metrics registry with Hiver's request metrics in it; see the [module docs](self).
///
/// Cheap to clone; clones share one registry.
#[derive(Clone)]
pub struct Metrics {
    shared: Arc<Shared>,
}

struct Shared {
    /// Written when a metric is registered (start-up, usually), read by every scrape.
    /// Recording never touches it: metrics are handed out as shared atomics.
    registry: RwLock<Registry>,
    /// Recorded by every [`MetricsLayer`] made from this registry.
    http: Arc<HttpMetrics>,
    /// `hiver_driver_info{driver}`: set to 1 by `record_server`.
    driver: Family<[(&'static str, String); 1], Gauge>,
    /// `hiver_workers`: set by `record_server`.
    workers: Gauge,
    /// `hiver_open_connections{worker}`: pointed at the server by `record_server`, read by
    /// the registry's collector at each scrape.
    open_connections: Arc<OpenConnections>,
}

impl Metrics {
    /// A registry with the default latency buckets.
    pub fn new() -> Self {
        Metrics::builder().build()
    }

    /// Configures a registry.
    pub fn builder() -> MetricsBuilder {
        MetricsBuilder {
            latency_buckets: Buckets::new(DEFAULT_LATENCY_BUCKETS),
        }
    }

    /// The layer that records the request metrics (see the [module docs](self)).
    pub fn layer(&self) -> MetricsLayer {
        MetricsLayer::new(self.shared.http.clone())
    }

    /// Registers `metric` under `name` (without the `_total` suffix of counters: the
    /// encoder adds it). Clones of a metric share its value, so keep one to record with.
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        self.with_registry(|r| r.register(name, help, metric));
    }

    /// Registers `metric` with a unit, appended to its name (`_seconds`, `_bytes`, …).
    pub fn register_with_unit(&self, name: &str, help: &str, unit: Unit, metric: impl Metric) {
        self.with_registry(|r| r.register_with_unit(name, help, unit, metric));
    }

    /// Registers and returns a counter.
    pub fn counter(&self, name: &str, help: &str) -> Counter {
        let counter = Counter::default();
        self.register(name, help, counter.clone());
        counter
    }

    /// Registers and returns a gauge.
    pub fn gauge(&self, name: &str, help: &str) -> Gauge {
        let gauge = Gauge::default();
        self.register(name, help, gauge.clone());
        gauge
    }

    /// Registers and returns a histogram with these buckets.
    pub fn histogram(&self, name: &str, help: &str, buckets: Buckets) -> Histogram {
        let histogram = buckets.new_metric();
        self.register(name, help, histogram.clone());
        histogram
    }

    /// Registers and returns a family of counters, one per label set `L`.
    pub fn counter_family<L: LabelSet>(&self, name: &str, help: &str) -> Family<L, Counter> {
        let family = Family::<L, Counter>::default();
        self.register(name, help, family.clone());
        family
    }

    /// Registers and returns a family of gauges, one per label set `L`.
    pub fn gauge_family<L: LabelSet>(&self, name: &str, help: &str) -> Family<L, Gauge> {
        let family = Family::<L, Gauge>::default();
        self.register(name, help, family.clone());
        family
    }

    /// Registers and returns a family of histograms with these buckets, one per label set.
    pub fn histogram_family<L: LabelSet>(
        &self,
        name: &str,
        help: &str,
        buckets: Buckets,
    ) -> Family<L, Histogram, Buckets> {
        let family = Family::new_with_constructor(buckets);
        self.register(name, help, family.clone());
        family
    }

    /// Runs `f` on the underlying registry: for sub-registries, collectors, or anything
    /// else prometheus-client offers. Scrapes wait while `f` runs.
    pub fn with_registry<R>(&self, f: impl FnOnce(&mut Registry) -> R) -> R {
        // A panic inside `f` cannot leave the registry half-written in a way that
        // matters to encoding (it only appends), so a poisoned lock is still usable.
        let mut registry = (self.shared.registry.write()).unwrap_or_else(PoisonError::into_inner);
        f(&mut registry)
    }

    /// The registry in the OpenMetrics text format (ending with `# EOF`).
    ///
    /// # Errors
    ///
    /// Only if a registered metric or label set fails to encode itself (the built-in
    /// ones never do).
    pub fn encode(&self) -> Result<String, fmt::Error> {
        // Poisoning: see `with_registry`.
        let registry = (self.shared.registry.read()).unwrap_or_else(PoisonError::into_inner);
        let mut text = String::with_capacity(4096);
        prometheus_client::encoding::text::encode(&mut text, &registry)?;
        Ok(text)
    }

    /// Records which I/O driver a started server runs on (`hiver_driver_info`) and its
    /// worker count (`hiver_workers`), and makes every later scrape report each worker's
    /// open connections (`hiver_open_connections{worker="N"}`, read from `handle` then).
    /// [`Server::metrics`](crate::Server::metrics) calls it for you.
    ///
    /// One registry describes one server: recording another replaces the worker count and
    /// the connection gauges with the new server's.
    pub fn record_server(&self, handle: &crate::ServerHandle) {
        self.shared.open_connections.watch(handle);
        let label = [("driver", handle.driver().to_string())];
        self.shared.driver.get_or_create(&label).set(1);
        let workers = i64::try_from(handle.workers()).unwrap_or(i64::MAX);
        self.shared.workers.set(workers);
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// What a [`Family`] can be keyed by: a label set that can be hashed, compared, cloned,
/// encoded and shared between workers.
pub trait LabelSet:
    Clone + Hash + Eq + EncodeLabelSet + Send + Sync + fmt::Debug + 'static
{
}

impl<T> LabelSet for T where
    T: Clone + Hash + Eq + EncodeLabelSet + Send + Sync + fmt::Debug + 'static
{
}

/// Builds a [`Metrics`] registry.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build`"]
pub struct MetricsBuilder {
    latency_buckets: Buckets,
}

impl MetricsBuilder {
    /// Upper bounds, in seconds, of `hiver_http_request_duration_seconds` (default
    /// [`DEFAULT_LATENCY_BUCKETS`]).
    pub fn latency_buckets(mut self, bounds: impl IntoIterator<Item = f64>) -> Self {
        self.latency_buckets = Buckets::new(bounds);
        self
    }

    /// The registry, with the request and server metrics registered.
    pub fn build(self) -> Metrics {
        let mut registry = Registry::default();
        let http = Arc::new(HttpMetrics::register(&mut registry, self.latency_buckets));
        let driver = Family::default();
        registry.register(
            "hiver_driver_info",
            "The I/O driver the workers run on (1 for the one in use)",
            driver.clone(),
        );
        let workers = Gauge::default();
        registry.register("hiver_workers", "Worker threads serving", workers.clone());
        let open_connections = Arc::new(OpenConnections::default());
        registry.register_collector(Box::new(open_connections.clone()));
        let shared = Shared {
            registry: RwLock::new(registry),
            http,
            driver,
            workers,
            open_connections,
        };
        Metrics {
            shared: Arc::new(shared),
        }
    }
}
