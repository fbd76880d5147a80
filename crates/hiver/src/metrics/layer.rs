//! The built-in HTTP metrics and the layer that records them.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use http::Method;
use prometheus_client::encoding::{EncodeLabel, EncodeLabelSet, LabelSetEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use super::histogram::{Buckets, Histogram};
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
                let metrics = &in_flight.0;
                let seconds = start.elapsed().as_secs_f64();
                metrics.duration.get_or_create(&route).observe(seconds);
                let status = res.status().as_u16();
                let labels = RequestLabels { route, status };
                metrics.requests.get_or_create(&labels).inc();
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

/// A route pattern, never a raw path: one series per registered route at most.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum RouteLabel {
    Pattern(Arc<str>),
    Unmatched,
}

impl RouteLabel {
    fn of(matched: Option<&MatchedPath>) -> Self {
        match matched {
            Some(path) => RouteLabel::Pattern(path.0.clone()),
            None => RouteLabel::Unmatched,
        }
    }

    fn as_str(&self) -> &str {
        match self {
            RouteLabel::Pattern(p) => p,
            RouteLabel::Unmatched => UNMATCHED_ROUTE,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RouteLabels {
    method: &'static str,
    route: RouteLabel,
}

impl EncodeLabelSet for RouteLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder<'_>) -> fmt::Result {
        ("method", self.method).encode(encoder.encode_label())?;
        ("route", self.route.as_str()).encode(encoder.encode_label())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RequestLabels {
    route: RouteLabels,
    status: u16,
}

impl EncodeLabelSet for RequestLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder<'_>) -> fmt::Result {
        self.route.encode(encoder)?;
        ("status", self.status).encode(encoder.encode_label())
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
