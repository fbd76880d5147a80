//! The type-erased request handler that routers store and layers wrap.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::middleware::Layer;
use crate::{Request, Response};

/// A boxed response future. It is not `Send`: it runs on the worker that accepted the
/// request and never moves.
pub type ResponseFuture = Pin<Box<dyn Future<Output = Response> + 'static>>;

type RouteFn = dyn Fn(Request) -> ResponseFuture + Send + Sync + 'static;

/// A request handler with its extractors, state and layers already applied: a function
/// from a [`Request`] to a boxed future of a [`Response`].
///
/// This is what a [`Layer`] wraps. Cloning is cheap (one `Arc`), so a `Route` can be
/// handed to every worker; the futures it returns need not be `Send`.
///
/// # Examples
///
/// ```
/// use hiver::routing::Route;
/// use hiver::Response;
///
/// let route = Route::new(|_req| async { Response::new("hi".into()) });
/// # let _ = route;
/// ```
#[derive(Clone)]
pub struct Route(Arc<RouteFn>);

impl Route {
    /// Wraps an async function of the request.
    pub fn new<F, Fut>(f: F) -> Self
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Response> + 'static,
    {
        Route(Arc::new(move |req| Box::pin(f(req))))
    }

    /// Wraps a function that already returns a boxed future, without boxing
    /// it a second time (one allocation per request fewer).
    pub(crate) fn from_boxed<F>(f: F) -> Self
    where
        F: Fn(Request) -> ResponseFuture + Send + Sync + 'static,
    {
        Route(Arc::new(f))
    }

    /// Answers one request.
    pub fn call(&self, req: Request) -> ResponseFuture {
        (self.0)(req)
    }

    pub(crate) fn layer(self, layer: &dyn Layer) -> Route {
        layer.layer(self)
    }
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Route")
    }
}

type PendingFn<S> = dyn Fn(&S) -> Route + Send + Sync + 'static;

/// A handler that may still wait for the router's state.
pub(crate) enum Endpoint<S> {
    /// Ready to run: no state needed any more.
    Route(Route),
    /// Builds its [`Route`] once the state is known (at `with_state` / serve time).
    Pending(Arc<PendingFn<S>>),
}

impl<S> Clone for Endpoint<S> {
    fn clone(&self) -> Self {
        match self {
            Endpoint::Route(r) => Endpoint::Route(r.clone()),
            Endpoint::Pending(p) => Endpoint::Pending(p.clone()),
        }
    }
}

impl<S: Clone + Send + Sync + 'static> Endpoint<S> {
    pub(crate) fn pending(f: impl Fn(&S) -> Route + Send + Sync + 'static) -> Self {
        Endpoint::Pending(Arc::new(f))
    }

    /// Wraps the endpoint in `layer`, now or once the state is known.
    pub(crate) fn layer(self, layer: Arc<dyn Layer>) -> Self {
        match self {
            Endpoint::Route(r) => Endpoint::Route(r.layer(&*layer)),
            Endpoint::Pending(p) => Endpoint::pending(move |s| p(s).layer(&*layer)),
        }
    }

    /// Resolves the state, giving an endpoint usable with any other state type.
    pub(crate) fn with_state<S2>(self, state: &S) -> Endpoint<S2> {
        Endpoint::Route(self.into_route(state))
    }

    pub(crate) fn into_route(self, state: &S) -> Route {
        match self {
            Endpoint::Route(r) => r,
            Endpoint::Pending(p) => p(state),
        }
    }
}
