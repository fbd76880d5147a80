//! tower layers around Hiver routes (feature `tower`, on by default).
//!
//! [`TowerLayer`] turns any [`tower_layer::Layer`] into a Hiver [`Layer`], so the layers
//! of tower-http (CORS, set-header, auth, normalize-path, …) and your own tower
//! middleware wrap routes and routers like Hiver's own middleware:
//!
//! ```
//! use hiver::http::{HeaderValue, header};
//! use hiver::routing::get;
//! use hiver::tower::TowerLayer;
//! use hiver::Router;
//! use tower_http::set_header::SetResponseHeaderLayer;
//!
//! let app: Router = Router::new()
//!     .route("/", get(|| async { "hi" }))
//!     .layer(TowerLayer::new(SetResponseHeaderLayer::overriding(
//!         header::CACHE_CONTROL,
//!         HeaderValue::from_static("no-store"),
//!     )));
//! # let _ = app;
//! ```
//!
//! How it fits together:
//!
//! - The route inside is a [`RouteService`]: a `tower_service::Service` for requests with
//!   any [`http_body::Body`] (a layer may wrap the request body, as tower-http's
//!   `RequestBodyLimit` does). Its future is not `Send`, like every Hiver handler's, so
//!   handlers stay non-`Send`.
//! - The service the layer builds must be `Clone + Send + Sync` (it is shared by the
//!   workers, as every route is). Each request gets a clone, waits for `poll_ready`, then
//!   is called, as axum does.
//! - Its response body can be any [`http_body::Body`] whose data is `Bytes`-like: it is
//!   streamed into a Hiver [`Body`] (trailers are dropped; a body that already is a Hiver
//!   `Body` passes through as it is).
//! - An error from the service (most layers pass on the inner service's, which here
//!   cannot fail) becomes `500 Internal Server Error`, logged at `ERROR`.
//!
//! tower-http's `TimeoutLayer` and tower's `timeout`, `rate_limit` and `buffer` need
//! tokio's timer or tasks, which Hiver's runtime does not provide: inside a Hiver route
//! they fail at run time. Use [`middleware::Timeout`](crate::middleware::Timeout) (and the
//! connection timeouts of [`Http1Config`](crate::Http1Config)) instead.

use std::any::Any;
use std::convert::Infallible;
use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use futures_util::Stream;
use hiver_http::BoxError;
use http::StatusCode;

use crate::middleware::Layer;
use crate::routing::{ResponseFuture, Route};
use crate::{Body, Request, Response};

/// A [`tower_layer::Layer`] used as a Hiver [`Layer`]; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct TowerLayer<L> {
    layer: L,
}

impl<L> TowerLayer<L> {
    /// Wraps a tower layer.
    pub fn new(layer: L) -> Self {
        TowerLayer { layer }
    }
}

impl<L, S, B> Layer for TowerLayer<L>
where
    L: tower_layer::Layer<RouteService, Service = S> + Send + Sync + 'static,
    S: tower_service::Service<Request, Response = http::Response<B>>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Error: fmt::Display,
    S::Future: 'static,
    B: http_body::Body + 'static,
    B::Error: Into<BoxError>,
{
    fn layer(&self, inner: Route) -> Route {
        let service = self.layer.layer(RouteService { route: inner });
        Route::new(move |req| call(service.clone(), req))
    }
}

async fn call<S, B>(mut service: S, req: Request) -> Response
where
    S: tower_service::Service<Request, Response = http::Response<B>>,
    S::Error: fmt::Display,
    B: http_body::Body + 'static,
    B::Error: Into<BoxError>,
{
    let result = match poll_fn(|cx| service.poll_ready(cx)).await {
        Ok(()) => service.call(req).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(res) => {
            let (parts, body) = res.into_parts();
            Response::from_parts(parts, into_body(body))
        }
        Err(e) => {
            tracing::error!(error = %e, "a tower service failed");
            let mut res = Response::new(Body::full("internal server error"));
            *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            res
        }
    }
}

/// A Hiver [`Route`] as a `tower_service::Service`: what a tower layer wraps. It accepts
/// requests with any [`http_body::Body`], is always ready, and never fails.
#[derive(Clone, Debug)]
pub struct RouteService {
    route: Route,
}

impl RouteService {
    /// The service of a route.
    pub fn new(route: Route) -> Self {
        RouteService { route }
    }
}

impl<B> tower_service::Service<http::Request<B>> for RouteService
where
    B: http_body::Body + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = RouteFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> RouteFuture {
        let (parts, body) = req.into_parts();
        RouteFuture {
            inner: self.route.call(Request::from_parts(parts, into_body(body))),
        }
    }
}

/// The future of [`RouteService`]: the route's response, never an error.
pub struct RouteFuture {
    inner: ResponseFuture,
}

impl fmt::Debug for RouteFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RouteFuture")
    }
}

impl Future for RouteFuture {
    type Output = Result<Response, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx).map(Ok)
    }
}

/// Any `http_body::Body` as a Hiver [`Body`]: a Hiver body as it is, anything else
/// streamed frame by frame (data only).
fn into_body<B>(body: B) -> Body
where
    B: http_body::Body + 'static,
    B::Error: Into<BoxError>,
{
    let mut slot = Some(body);
    if let Some(hiver) = (&mut slot as &mut dyn Any).downcast_mut::<Option<Body>>() {
        return hiver.take().unwrap_or_default();
    }
    match slot {
        Some(body) => Body::stream(Frames {
            body: Box::pin(body),
        }),
        None => Body::empty(),
    }
}

/// The data frames of an `http_body::Body`, as a stream of `Bytes`.
struct Frames<B> {
    body: Pin<Box<B>>,
}

impl<B> Stream for Frames<B>
where
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            return match self.body.as_mut().poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(mut data) => Poll::Ready(Some(Ok(data.copy_to_bytes(data.remaining())))),
                    // Trailers: Hiver's responses have none; skip them.
                    Err(_) => continue,
                },
                Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            };
        }
    }
}
