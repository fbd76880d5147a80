//! Request tracing: a `tracing` span per request, request ids, and access logs.
//!
//! For an access log in a fixed format (text or JSON lines, to `tracing` or a file) use
//! [`AccessLog`]; [`TraceLayer`] is for spans that events logged by handlers inherit.
//!
//! [`TraceLayer`] gives every request it wraps:
//!
//! - a [`RequestId`]: the incoming `X-Request-Id` when it is 1–128 bytes of visible ASCII,
//!   else a generated one (32 hex digits, from a per-worker generator: no lock, no shared
//!   counter). It is echoed in the response's `X-Request-Id` and handlers can take it as
//!   an extractor;
//! - a span named `request` at `INFO` level, with the fields `method`, `route` (the
//!   matched pattern, or `<unmatched>`), `path` and `request_id`. The handler's future
//!   runs inside it on every poll, so events logged by handlers carry the id, and this
//!   works for the non-`Send` futures Hiver handlers return;
//! - one event when the response is ready: `INFO`, target `hiver::trace`, message
//!   `request finished`, fields `status` and `latency_us`. A request dropped before it
//!   answered (client gone, request timeout) logs `request dropped` instead.
//!
//! The access line is at `INFO` because adding this layer is asking for an access log;
//! to keep the spans and ids but not the lines, filter the target, e.g.
//! `RUST_LOG=info,hiver::trace=warn` with tracing-subscriber's `EnvFilter`. With no
//! subscriber interested, the span and the event cost a cached check each.
//!
//! Add it with [`Router::layer`](crate::Router::layer) (not `route_layer`) so 404s and
//! 405s get ids and log lines too.
//!
//! # Examples
//!
//! ```no_run
//! use hiver::routing::get;
//! use hiver::trace::{RequestId, TraceLayer};
//! use hiver::Router;
//!
//! async fn handler(id: RequestId) -> String {
//!     tracing::info!("handling"); // logged inside the request's span, with its id
//!     format!("request {id}")
//! }
//!
//! tracing_subscriber::fmt().init();
//! let app = Router::new()
//!     .route("/", get(handler))
//!     .layer(TraceLayer::new());
//! hiver::serve("0.0.0.0:3000", app)?;
//! # Ok::<(), hiver::Error>(())
//! ```

use std::time::Instant;

use tracing::Instrument;

use crate::extract::MatchedPath;
use crate::metrics::UNMATCHED_ROUTE;
use crate::middleware::Layer;
use crate::routing::Route;
use crate::{Request, Response};

mod access_log;
mod request_id;

pub use access_log::{ACCESS_TARGET, AccessLog, AccessLogError, AccessLogFormat};
pub use request_id::{MAX_REQUEST_ID_LEN, RequestId, RequestIdRejection, X_REQUEST_ID};

/// The target of the per-request events, for filtering.
pub const TARGET: &str = "hiver::trace";

/// Opens a span per request, assigns request ids and logs each answer; see the
/// [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct TraceLayer {
    _private: (),
}

impl TraceLayer {
    /// The layer.
    pub fn new() -> Self {
        TraceLayer { _private: () }
    }
}

impl Layer for TraceLayer {
    fn layer(&self, inner: Route) -> Route {
        Route::new(move |req| trace(&inner, req))
    }
}

fn trace(inner: &Route, mut req: Request) -> impl Future<Output = Response> + use<> {
    let start = Instant::now();
    // Reuse an id set by an outer TraceLayer (a layered nested router, say).
    let id = match req.extensions().get::<RequestId>() {
        Some(id) => id.clone(),
        None => RequestId::from_headers(req.headers()),
    };
    req.extensions_mut().insert(id.clone());
    let route = req.extensions().get::<MatchedPath>();
    let span = tracing::info_span!(
        target: TARGET,
        "request",
        method = %req.method(),
        route = route.map_or(UNMATCHED_ROUTE, MatchedPath::as_str),
        path = req.uri().path(),
        request_id = id.as_str(),
    );
    // Calling the route may already run code (a handler's synchronous part).
    let fut = span.in_scope(|| inner.call(req));
    // Moved into the future so that it drops inside the span (`Instrumented` enters it
    // on drop), even if the future is never polled.
    let mut finished = Finished { start, done: false };
    async move {
        let mut res = fut.await;
        res.headers_mut()
            .insert(X_REQUEST_ID, id.header_value().clone());
        finished.log(&res);
        res
    }
    .instrument(span)
}

/// Logs `request dropped` if the request's future is dropped before it answered. It
/// lives inside the instrumented future, so the span is entered when it drops.
struct Finished {
    start: Instant,
    done: bool,
}

impl Finished {
    fn latency_us(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    fn log(&mut self, res: &Response) {
        self.done = true;
        tracing::info!(
            target: TARGET,
            status = res.status().as_u16(),
            latency_us = self.latency_us(),
            "request finished"
        );
    }
}

impl Drop for Finished {
    fn drop(&mut self) {
        if !self.done {
            tracing::info!(
                target: TARGET,
                latency_us = self.latency_us(),
                "request dropped"
            );
        }
    }
}
