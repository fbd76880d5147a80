//! The built-in HTTP metrics and the layer that records them.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use http::Method;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use super::histogram::{Buckets, Histogram};
use super::series::{self, RequestLabels, RouteLabel, RouteLabels, Series};
use crate::extract::MatchedPath;
use crate::middleware::Layer;
use crate::routing::Route;

/// The `route` label of requests that matched no route (404s from the fallback).
pub const UNMATCHED_ROUTE: &str = "<unmatched>";

/// The `method` label of methods outside the standard nine: any token is a valid method,
/// so labelling by the raw method would let clients create series at will.
pub const OTHER_METHOD: &str = "OTHER";

/// The request metrics every [`MetricsLayer`] of one registry shares.
#[derive(Debug)]
pub(super) struct HttpMetrics {
    /// Tells this registry's entries apart in the per-worker series cache.
    id: u64,
    /// `hiver_http_requests_total{method,route,status}`: one per finished request.
    requests: Family<RequestLabels, Counter>,
    /// `hiver_http_request_duration_seconds{method,route}`: handler latency.
    duration: Family<RouteLabels, Histogram, Buckets>,
    /// `hiver_http_requests_in_flight`: raised on entry, lowered when the response is
    /// ready or the request is dropped.
    in_flight: Gauge,
}

impl HttpMetrics {
    pub(super) fn register(registry: &mut Registry, buckets: Buckets) -> Self {
        let metrics = HttpMetrics {
            id: series::next_registry_id(),
            requests: Family::default(),
            duration: Family::new_with_constructor(buckets),
            in_flight: Gauge::default(),
        };
        registry.register(
            "hiver_http_requests",
            "HTTP requests answered, by method, matched route pattern and status",
            metrics.requests.clone(),
        );
        registry.register_with_unit(
            "hiver_http_request_duration",
            "Time from routing a request to its response head, by method and route pattern",
            Unit::Seconds,
            metrics.duration.clone(),
        );
        registry.register(
            "hiver_http_requests_in_flight",
            "HTTP requests being handled now",
            metrics.in_flight.clone(),
        );
        metrics
    }

    fn record(&self, labels: RequestLabels, seconds: f64) {
        let create = |labels: &RequestLabels| Series {
            requests: self.requests.get_or_create_owned(labels),
            duration: self.duration.get_or_create_owned(&labels.route),
        };
        series::with_series(self.id, labels, create, |series| {
            series.duration.observe(seconds);
            series.requests.inc();
        });
    }
}

/// Records request count, latency and in-flight requests; made by
/// [`Metrics::layer`](super::Metrics::layer).
///
/// Add it with [`Router::layer`](crate::Router::layer) so that 404s (labelled
/// `route="<unmatched>"`) and 405s are counted too; with `route_layer` they are not.
/// A request whose future is dropped before it answers (the client went away, the
/// connection's request timeout fired) lowers the in-flight gauge but is not counted.
#[derive(Clone)]
pub struct MetricsLayer {
    metrics: Arc<HttpMetrics>,
}

impl MetricsLayer {
    pub(super) fn new(metrics: Arc<HttpMetrics>) -> Self {
        MetricsLayer { metrics }
    }
}

impl fmt::Debug for MetricsLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MetricsLayer")
    }
}

impl Layer for MetricsLayer {
    fn layer(&self, inner: Route) -> Route {
        let metrics = self.metrics.clone();
        Route::new(move |req| {
            let start = Instant::now();
            let route = RouteLabels {
                method: method_label(req.method()),
                route: RouteLabel::of(req.extensions().get::<MatchedPath>()),
            };
            let in_flight = InFlight::enter(metrics.clone());
            let fut = inner.call(req);
            async move {
                let res = fut.await;
                let seconds = start.elapsed().as_secs_f64();
                let status = res.status().as_u16();
                in_flight.0.record(RequestLabels { route, status }, seconds);
                res
            }
        })
    }
}

/// Lowers the in-flight gauge when dropped, so cancelled requests do not leak.
struct InFlight(Arc<HttpMetrics>);

impl InFlight {
    fn enter(metrics: Arc<HttpMetrics>) -> Self {
        metrics.in_flight.inc();
        InFlight(metrics)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.dec();
    }
}

/// The standard methods by name, any other as [`OTHER_METHOD`].
fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "CONNECT" => "CONNECT",
        "OPTIONS" => "OPTIONS",
        "TRACE" => "TRACE",
        "PATCH" => "PATCH",
        _ => OTHER_METHOD,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_outside_the_standard_set_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        let custom = Method::from_bytes(b"PURGE").unwrap(); // a valid token
        assert_eq!(method_label(&custom), OTHER_METHOD);
    }

    #[test]
    fn in_flight_guard_restores_the_gauge() {
        let metrics = Arc::new(HttpMetrics::register(
            &mut Registry::default(),
            Buckets::new([1.0]),
        ));
        let guard = InFlight::enter(metrics.clone());
        assert_eq!(metrics.in_flight.get(), 1);
        drop(guard);
        assert_eq!(metrics.in_flight.get(), 0);
    }
}
