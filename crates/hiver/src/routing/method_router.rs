//! Per-path dispatch on the request method.

use std::sync::Arc;

use http::header::{ALLOW, HeaderValue};
use http::{Method, StatusCode};

use super::route::{Endpoint, ResponseFuture, Route};
use crate::Request;
use crate::handler::{Handler, into_endpoint};
use crate::middleware::Layer;
use crate::response::IntoResponse;

/// The handlers of one path, by request method: built with [`get`], [`post`], … and
/// chained (`get(list).post(create)`), then given to
/// [`Router::route`](crate::Router::route).
///
/// `HEAD` is answered by the `GET` handler unless a `HEAD` handler is set (the connection
/// drops the body). A method without a handler gets `405 Method Not Allowed` with an
/// `Allow` header listing the routed methods. `OPTIONS` is not special: route it to answer
/// it.
pub struct MethodRouter<S = ()> {
    methods: Vec<(Method, Endpoint<S>)>,
    any: Option<Endpoint<S>>,
    fallback: Endpoint<S>,
    custom_fallback: bool,
}

impl<S> Clone for MethodRouter<S> {
    fn clone(&self) -> Self {
        MethodRouter {
            methods: self.methods.clone(),
            any: self.any.clone(),
            fallback: self.fallback.clone(),
            custom_fallback: self.custom_fallback,
        }
    }
}

impl<S> std::fmt::Debug for MethodRouter<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let methods: Vec<&str> = self.methods.iter().map(|(m, _)| m.as_str()).collect();
        f.debug_struct("MethodRouter")
            .field("methods", &methods)
            .field("any", &self.any.is_some())
            .finish()
    }
}

fn method_not_allowed() -> Route {
    Route::new(|req: Request| async move {
        let reason = format!(
            "405 Method Not Allowed: {} is not routed for {} (see the Allow header)",
            req.method(),
            req.uri().path()
        );
        (StatusCode::METHOD_NOT_ALLOWED, reason).into_response()
    })
}

macro_rules! method_fns {
    ($($name:ident => $method:ident),* $(,)?) => {
        $(
            #[doc = concat!("Routes `", stringify!($method), "` requests to `handler`.")]
            pub fn $name<H, T, S>(handler: H) -> MethodRouter<S>
            where
                H: Handler<T, S>,
                T: 'static,
                S: Clone + Send + Sync + 'static,
            {
                MethodRouter::new().on(Method::$method, handler)
            }
        )*

        impl<S: Clone + Send + Sync + 'static> MethodRouter<S> {
            $(
                #[doc = concat!("Also routes `", stringify!($method), "` requests to `handler`.")]
                ///
                /// # Panics
                ///
                /// If the method already has a handler (at router construction).
                pub fn $name<H, T>(self, handler: H) -> Self
                where
                    H: Handler<T, S>,
                    T: 'static,
                {
                    self.on(Method::$method, handler)
                }
            )*
        }
    };
}

method_fns! {
    get => GET, post => POST, put => PUT, delete => DELETE, patch => PATCH,
    head => HEAD, options => OPTIONS, trace => TRACE,
}

/// Routes requests with `method` (any method, including extension methods) to `handler`.
pub fn on<H, T, S>(method: Method, handler: H) -> MethodRouter<S>
where
    H: Handler<T, S>,
    T: 'static,
    S: Clone + Send + Sync + 'static,
{
    MethodRouter::new().on(method, handler)
}

/// Routes requests of every method to `handler` (no 405s on this path).
pub fn any<H, T, S>(handler: H) -> MethodRouter<S>
where
    H: Handler<T, S>,
    T: 'static,
    S: Clone + Send + Sync + 'static,
{
    MethodRouter::new().any(handler)
}

impl<S: Clone + Send + Sync + 'static> Default for MethodRouter<S> {
    fn default() -> Self {
        MethodRouter::new()
    }
}

impl<S: Clone + Send + Sync + 'static> MethodRouter<S> {
    /// A method router with no handlers: every request gets a 405.
    pub fn new() -> Self {
        MethodRouter {
            methods: Vec::new(),
            any: None,
            fallback: Endpoint::Route(method_not_allowed()),
            custom_fallback: false,
        }
    }

    pub(crate) fn from_any(endpoint: Endpoint<S>) -> Self {
        MethodRouter {
            any: Some(endpoint),
            ..MethodRouter::new()
        }
    }

    /// Also routes requests with `method` to `handler`.
    ///
    /// # Panics
    ///
    /// If the method already has a handler (at router construction).
    pub fn on<H, T>(mut self, method: Method, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.add(method, into_endpoint(handler));
        self
    }

    /// Routes requests of every method without a handler of its own to `handler`.
    ///
    /// # Panics
    ///
    /// If an `any` handler is already set (at router construction).
    pub fn any<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        assert!(
            self.any.is_none(),
            "Overlapping method route: this path already has an `any` handler"
        );
        self.any = Some(into_endpoint(handler));
        self
    }

    /// Answers methods without a handler with `handler` instead of a 405.
    pub fn fallback<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.fallback = into_endpoint(handler);
        self.custom_fallback = true;
        self
    }

    fn add(&mut self, method: Method, endpoint: Endpoint<S>) {
        assert!(
            !self.methods.iter().any(|(m, _)| *m == method),
            "Overlapping method route: this path already has a `{method}` handler"
        );
        self.methods.push((method, endpoint));
    }

    /// Wraps every handler of this path, its `any` handler and its 405 answer in `layer`
    /// (see [`middleware`](crate::middleware) for the order).
    pub fn layer<L: Layer>(self, layer: L) -> Self {
        self.layer_arc(Arc::new(layer), true)
    }

    /// Wraps every handler of this path in `layer`, but not the 405 answer.
    pub fn route_layer<L: Layer>(self, layer: L) -> Self {
        self.layer_arc(Arc::new(layer), false)
    }

    pub(crate) fn layer_arc(mut self, layer: Arc<dyn Layer>, fallback_too: bool) -> Self {
        let methods = std::mem::take(&mut self.methods);
        self.methods = methods
            .into_iter()
            .map(|(m, e)| (m, e.layer(layer.clone())))
            .collect();
        self.any = self.any.map(|e| e.layer(layer.clone()));
        if fallback_too {
            self.fallback = self.fallback.layer(layer);
        }
        self
    }

    /// Gives the handlers their state, making a method router of any state type.
    pub fn with_state<S2>(self, state: S) -> MethodRouter<S2> {
        MethodRouter {
            methods: self
                .methods
                .into_iter()
                .map(|(m, e)| (m, e.with_state(&state)))
                .collect(),
            any: self.any.map(|e| e.with_state(&state)),
            fallback: self.fallback.with_state(&state),
            custom_fallback: self.custom_fallback,
        }
    }

    /// Combines the handlers of two method routers for the same path.
    ///
    /// # Panics
    ///
    /// If both route the same method, both have an `any` handler or both a fallback.
    pub(crate) fn merge(mut self, other: MethodRouter<S>) -> Self {
        for (method, endpoint) in other.methods {
            self.add(method, endpoint);
        }
        if let Some(any) = other.any {
            assert!(
                self.any.is_none(),
                "Overlapping method route: both routers have an `any` handler"
            );
            self.any = Some(any);
        }
        if other.custom_fallback {
            assert!(
                !self.custom_fallback,
                "Cannot merge two method routers that both have a fallback"
            );
            self.fallback = other.fallback;
            self.custom_fallback = true;
        }
        self
    }

    /// Whether a request with `method` reaches a handler (not the 405 answer).
    pub(crate) fn allows(&self, method: &Method) -> bool {
        self.any.is_some() || self.custom_fallback || self.find(method).is_some()
    }

    fn find(&self, method: &Method) -> Option<&Endpoint<S>> {
        let found = self.methods.iter().find(|(m, _)| m == method);
        match found {
            Some((_, e)) => Some(e),
            None if *method == Method::HEAD => self.find(&Method::GET),
            None => None,
        }
    }

    pub(crate) fn resolve(self, state: &S) -> ResolvedMethods {
        let allow = allow_header(self.methods.iter().map(|(m, _)| m));
        ResolvedMethods {
            methods: self
                .methods
                .into_iter()
                .map(|(m, e)| (m, e.into_route(state)))
                .collect(),
            any: self.any.map(|e| e.into_route(state)),
            fallback: self.fallback.into_route(state),
            allow,
        }
    }
}

/// `GET,HEAD,POST`-style list; `HEAD` is implied by `GET`.
fn allow_header<'a>(methods: impl Iterator<Item = &'a Method>) -> HeaderValue {
    let mut names: Vec<&str> = Vec::new();
    for m in methods {
        let implied = (*m == Method::GET).then_some("HEAD");
        for name in std::iter::once(m.as_str()).chain(implied) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    // Method names are HTTP tokens, so the joined list is always a valid header value.
    HeaderValue::from_str(&names.join(",")).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A method router with its state applied: what a worker dispatches on.
pub(crate) struct ResolvedMethods {
    methods: Vec<(Method, Route)>,
    any: Option<Route>,
    fallback: Route,
    allow: HeaderValue,
}

impl ResolvedMethods {
    fn find(&self, method: &Method) -> Option<&Route> {
        let found = self.methods.iter().find(|(m, _)| m == method);
        match found {
            Some((_, r)) => Some(r),
            None if *method == Method::HEAD => self.find(&Method::GET),
            None => None,
        }
    }

    pub(crate) fn call(&self, req: Request) -> ResponseFuture {
        if let Some(route) = self.find(req.method()).or(self.any.as_ref()) {
            return route.call(req);
        }
        let fut = self.fallback.call(req);
        let allow = self.allow.clone();
        Box::pin(async move {
            let mut res = fut.await;
            if res.status() == StatusCode::METHOD_NOT_ALLOWED && !res.headers().contains_key(ALLOW)
            {
                res.headers_mut().insert(ALLOW, allow);
            }
            res
        })
    }
}
