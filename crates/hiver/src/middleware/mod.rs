//! Middleware: code that runs around handlers, seeing every request and response.
//!
//! Ready-made: [`Timeout`], [`AccessLog`], `Compression` (feature `compression`, on by
//! default: gzip, brotli or zstd), [`trace::TraceLayer`](crate::trace::TraceLayer), the
//! metrics layer ([`Metrics::layer`](crate::metrics::Metrics::layer)) and, with the `tower`
//! feature, any tower layer through `hiver::tower::TowerLayer`.
//!
//! A middleware is a [`Layer`]: it wraps a [`Route`] (the handler, with everything inside
//! it) into a new `Route`. Write one from an async function with [`from_fn`] (or
//! [`from_fn_with_state`]), or implement [`Layer`] yourself.
//!
//! # Where layers apply
//!
//! - [`Router::layer`](crate::Router::layer): every route added *before* the call, the
//!   router's fallback (so 404s) and each path's method-not-allowed answer (405s).
//! - [`Router::route_layer`](crate::Router::route_layer): every route added before the
//!   call, but only when a route matched (not 404s, not 405s).
//! - [`MethodRouter::layer`](crate::routing::MethodRouter::layer): the handlers of one
//!   path, e.g. `get(handler).layer(..)`.
//!
//! # Order
//!
//! As in axum and tower, **the layer added last is the outermost**: it runs first on the
//! request and last on the response. With `.layer(a).layer(b)`:
//!
//! ```text
//! request  ─▶ b ─▶ a ─▶ handler
//! response ◀─ b ◀─ a ◀─ handler
//! ```
//!
//! Global layers wrap per-route layers: for `.route("/", get(h).layer(r)).layer(g)` a
//! request goes through `g`, then `r`, then `h`.
//!
//! Layers, like handlers, are shared by every worker (`Send + Sync`), but the futures
//! they return need not be `Send`.
//!
//! # Examples
//!
//! ```
//! use std::time::Instant;
//!
//! use hiver::middleware::{self, Next};
//! use hiver::routing::get;
//! use hiver::{Request, Response, Router};
//!
//! async fn timing(req: Request, next: Next) -> Response {
//!     let start = Instant::now();
//!     let mut res = next.run(req).await;
//!     let micros = start.elapsed().as_micros().to_string();
//!     res.headers_mut().insert("x-elapsed-us", micros.parse().unwrap()); // digits are a valid value
//!     res
//! }
//!
//! let app: Router = Router::new()
//!     .route("/", get(|| async { "hi" }))
//!     .layer(middleware::from_fn(timing));
//! # let _ = app;
//! ```

use crate::Request;
use crate::routing::Route;
use crate::routing::route::ResponseFuture;

#[cfg(feature = "compression")]
mod compression;
mod from_fn;
mod timeout;

pub use crate::trace::AccessLog;
#[cfg(feature = "compression")]
pub use compression::Compression;
pub use from_fn::{FromFnLayer, FromFnWithStateLayer, from_fn, from_fn_with_state};
pub use timeout::Timeout;

/// Wraps a [`Route`] in extra behaviour; see the [module docs](self) for order.
///
/// Any `Fn(Route) -> Route + Send + Sync + 'static` closure is a `Layer`:
///
/// ```
/// use hiver::http::HeaderValue;
/// use hiver::routing::{get, Route};
/// use hiver::Router;
///
/// let add_server_header = |inner: Route| {
///     Route::new(move |req| {
///         let fut = inner.call(req);
///         async move {
///             let mut res = fut.await;
///             res.headers_mut().insert("server", HeaderValue::from_static("hiver"));
///             res
///         }
///     })
/// };
/// let app: Router = Router::new()
///     .route("/", get(|| async { "hi" }))
///     .layer(add_server_header);
/// # let _ = app;
/// ```
pub trait Layer: Send + Sync + 'static {
    /// Wraps `inner`.
    fn layer(&self, inner: Route) -> Route;
}

impl<F> Layer for F
where
    F: Fn(Route) -> Route + Send + Sync + 'static,
{
    fn layer(&self, inner: Route) -> Route {
        self(inner)
    }
}

/// The rest of the chain (inner layers and the handler), given to a [`from_fn`]
/// middleware.
#[derive(Debug, Clone)]
pub struct Next {
    inner: Route,
}

impl Next {
    pub(crate) fn new(inner: Route) -> Self {
        Next { inner }
    }

    /// Passes the request on and returns the future of its response.
    pub fn run(self, req: Request) -> ResponseFuture {
        self.inner.call(req)
    }
}
