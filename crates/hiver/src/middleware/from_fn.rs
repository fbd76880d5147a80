//! Middleware written as async functions.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use super::{Layer, Next};
use crate::Request;
use crate::extract::State;
use crate::response::IntoResponse;
use crate::routing::Route;

/// Makes a [`Layer`] from `async fn(Request, Next) -> impl IntoResponse`.
///
/// The function decides whether and how to call `next.run(req)`: it may change the
/// request, answer early without calling it, or change the response.
///
/// ```
/// use hiver::http::StatusCode;
/// use hiver::middleware::{self, Next};
/// use hiver::response::IntoResponse;
/// use hiver::routing::get;
/// use hiver::{Request, Response, Router};
///
/// async fn require_token(req: Request, next: Next) -> Response {
///     if req.headers().get("x-token").is_some_and(|t| t == "secret") {
///         next.run(req).await
///     } else {
///         StatusCode::UNAUTHORIZED.into_response()
///     }
/// }
///
/// let app: Router = Router::new()
///     .route("/admin", get(|| async { "welcome" }))
///     .route_layer(middleware::from_fn(require_token));
/// # let _ = app;
/// ```
pub fn from_fn<F, Fut, Out>(f: F) -> FromFnLayer<F>
where
    F: Fn(Request, Next) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Out> + 'static,
    Out: IntoResponse,
{
    FromFnLayer { f: Arc::new(f) }
}

/// Like [`from_fn`], with a state given to the function as its first argument.
///
/// ```
/// use hiver::extract::State;
/// use hiver::middleware::{self, Next};
/// use hiver::{Request, Response};
///
/// async fn tag(State(tag): State<&'static str>, req: Request, next: Next) -> Response {
///     let mut res = next.run(req).await;
///     res.headers_mut().insert("x-tag", tag.parse().unwrap()); // ASCII literal: valid
///     res
/// }
///
/// let layer = middleware::from_fn_with_state("v1", tag);
/// # let _ = layer;
/// ```
pub fn from_fn_with_state<T, F, Fut, Out>(state: T, f: F) -> FromFnWithStateLayer<T, F>
where
    T: Clone + Send + Sync + 'static,
    F: Fn(State<T>, Request, Next) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Out> + 'static,
    Out: IntoResponse,
{
    FromFnWithStateLayer {
        state,
        f: Arc::new(f),
    }
}

/// The layer made by [`from_fn`].
pub struct FromFnLayer<F> {
    f: Arc<F>,
}

impl<F, Fut, Out> Layer for FromFnLayer<F>
where
    F: Fn(Request, Next) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Out> + 'static,
    Out: IntoResponse,
{
    fn layer(&self, inner: Route) -> Route {
        let f = self.f.clone();
        Route::new(move |req| {
            let fut = f(req, Next::new(inner.clone()));
            async move { fut.await.into_response() }
        })
    }
}

impl<F> Clone for FromFnLayer<F> {
    fn clone(&self) -> Self {
        FromFnLayer { f: self.f.clone() }
    }
}

impl<F> fmt::Debug for FromFnLayer<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FromFnLayer")
    }
}

/// The layer made by [`from_fn_with_state`].
pub struct FromFnWithStateLayer<T, F> {
    state: T,
    f: Arc<F>,
}

impl<T, F, Fut, Out> Layer for FromFnWithStateLayer<T, F>
where
    T: Clone + Send + Sync + 'static,
    F: Fn(State<T>, Request, Next) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Out> + 'static,
    Out: IntoResponse,
{
    fn layer(&self, inner: Route) -> Route {
        let (f, state) = (self.f.clone(), self.state.clone());
        Route::new(move |req| {
            let fut = f(State(state.clone()), req, Next::new(inner.clone()));
            async move { fut.await.into_response() }
        })
    }
}

impl<T: Clone, F> Clone for FromFnWithStateLayer<T, F> {
    fn clone(&self) -> Self {
        FromFnWithStateLayer {
            state: self.state.clone(),
            f: self.f.clone(),
        }
    }
}

impl<T, F> fmt::Debug for FromFnWithStateLayer<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FromFnWithStateLayer")
    }
}
