//! Routing requests to handlers by path and method.
//!
//! Paths are [matchit](https://docs.rs/matchit/0.9) patterns: static segments,
//! `{param}` (one segment) and `{*rest}` (the rest of the path, at the end only). Static
//! segments win over parameters. Parameter values are percent-decoded before extraction.

use std::fmt;
use std::sync::Arc;

use http::{Method, StatusCode};

use crate::Request;
use crate::extract::MatchedPath;
use crate::handler::{Handler, into_endpoint};
use crate::middleware::Layer;
use crate::response::IntoResponse;

mod method_router;
pub(crate) mod params;
pub(crate) mod route;
mod service;

pub use method_router::{
    MethodRouter, any, delete, get, head, on, options, patch, post, put, trace,
};
pub use route::{ResponseFuture, Route};
pub use service::{RouteMatch, RouterService};

use route::Endpoint;

/// The name of the catch-all parameter under which a nested router's fallback is routed.
const NEST_REST: &str = "__hiver_nest_rest";

/// Routes requests to handlers by path, then method; see the [module docs](self).
///
/// `S` is the state the handlers still need; [`with_state`](Router::with_state) provides
/// it, and only a `Router<()>` can be served. A `Router` is `Clone + Send + Sync`: every
/// worker gets a copy of the (shared, `Arc`ed) table, turned into a
/// [`RouterService`].
///
/// # Examples
///
/// ```
/// use hiver::extract::Path;
/// use hiver::routing::get;
/// use hiver::Router;
///
/// async fn list() -> &'static str { "all users" }
/// async fn create() -> &'static str { "created" }
/// async fn show(Path(id): Path<u32>) -> String { format!("user {id}") }
///
/// let api = Router::new()
///     .route("/users", get(list).post(create))
///     .route("/users/{id}", get(show));
/// let app: Router = Router::new()
///     .nest("/api", api)
///     .fallback(|| async { (hiver::http::StatusCode::NOT_FOUND, "nothing here") });
/// # let _ = app;
/// ```
pub struct Router<S = ()> {
    table: matchit::Router<usize>,
    routes: Vec<(Arc<str>, MethodRouter<S>)>,
    fallback: Endpoint<S>,
    custom_fallback: bool,
}

impl<S> Clone for Router<S> {
    fn clone(&self) -> Self {
        Router {
            table: self.table.clone(),
            routes: self.routes.clone(),
            fallback: self.fallback.clone(),
            custom_fallback: self.custom_fallback,
        }
    }
}

impl<S> fmt::Debug for Router<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let patterns: Vec<&str> = self.routes.iter().map(|(p, _)| &**p).collect();
        f.debug_struct("Router")
            .field("routes", &patterns)
            .field("custom_fallback", &self.custom_fallback)
            .finish()
    }
}

impl<S: Clone + Send + Sync + 'static> Default for Router<S> {
    fn default() -> Self {
        Router::new()
    }
}

fn not_found() -> Route {
    Route::new(|req: Request| async move {
        let reason = format!("404 Not Found: no route for {}", req.uri().path());
        (StatusCode::NOT_FOUND, reason).into_response()
    })
}

impl<S: Clone + Send + Sync + 'static> Router<S> {
    /// An empty router: every request gets a `404 Not Found`.
    pub fn new() -> Self {
        Router {
            table: matchit::Router::new(),
            routes: Vec::new(),
            fallback: Endpoint::Route(not_found()),
            custom_fallback: false,
        }
    }

    /// Routes `path` to the handlers of `method_router`. Routing the same path again
    /// adds methods to it (`.route("/", get(a)).route("/", post(b))`).
    ///
    /// # Panics
    ///
    /// At construction (never while serving) if `path` does not start with `/`, is not a
    /// valid pattern (`{}` with no name, two parameters in one segment, a catch-all
    /// before the end), conflicts with another route (`/{a}` and `/{b}`), or routes a
    /// method that the path already routes.
    pub fn route(mut self, path: &str, method_router: MethodRouter<S>) -> Self {
        self.add_route(path, method_router);
        self
    }

    fn add_route(&mut self, path: &str, method_router: MethodRouter<S>) {
        assert!(
            path.starts_with('/'),
            "Invalid route {path:?}: paths must start with a `/`"
        );
        if let Some(i) = self.routes.iter().position(|(p, _)| **p == *path) {
            let existing = std::mem::take(&mut self.routes[i].1);
            self.routes[i].1 = existing.merge(method_router);
            return;
        }
        if let Err(err) = self.table.insert(path, self.routes.len()) {
            panic!("Invalid route {path:?}: {err}");
        }
        self.routes.push((Arc::from(path), method_router));
    }

    /// Answers requests that match no route with `handler` instead of an empty `404`.
    pub fn fallback<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.fallback = into_endpoint(handler);
        self.custom_fallback = true;
        self
    }

    /// Adds every route of `router` under `prefix`: `/users/{id}` nested at `/api`
    /// becomes `/api/users/{id}`, and `/` becomes `/api` itself. Handlers see the full
    /// path. A fallback of `router` answers unmatched paths under `prefix`.
    ///
    /// # Panics
    ///
    /// At construction if `prefix` is `/` or empty (use [`merge`](Router::merge)),
    /// does not start with `/`, ends with `/`, contains a catch-all, or if a nested route
    /// conflicts with an existing one.
    pub fn nest(mut self, prefix: &str, router: Router<S>) -> Self {
        assert!(
            prefix.starts_with('/') && prefix.len() > 1 && !prefix.ends_with('/'),
            "Invalid nest prefix {prefix:?}: it must start with `/`, not end with `/`, \
             and not be the root (use `merge` for that)"
        );
        assert!(
            !prefix.contains("{*"),
            "Invalid nest prefix {prefix:?}: it must not contain a catch-all parameter"
        );
        for (path, method_router) in router.routes {
            let full = if &*path == "/" {
                prefix.to_owned()
            } else {
                format!("{prefix}{path}")
            };
            self.add_route(&full, method_router);
        }
        if router.custom_fallback {
            let fallback = MethodRouter::from_any(router.fallback);
            let rest = format!("{prefix}/{{*{NEST_REST}}}");
            self.add_route(&rest, fallback.clone());
            if !self.routes.iter().any(|(p, _)| **p == *prefix) {
                self.add_route(prefix, fallback);
            }
        }
        self
    }

    /// Adds every route of `router` (and its fallback, if it has one) to this one.
    ///
    /// # Panics
    ///
    /// At construction if a route conflicts, or if both routers have a fallback.
    pub fn merge(mut self, router: Router<S>) -> Self {
        for (path, method_router) in router.routes {
            self.add_route(&path, method_router);
        }
        if router.custom_fallback {
            assert!(
                !self.custom_fallback,
                "Cannot merge two routers that both have a fallback"
            );
            self.fallback = router.fallback;
            self.custom_fallback = true;
        }
        self
    }

    /// Wraps every route added so far, the fallback and the 405 answers in `layer`. The
    /// last layer added is the outermost (see [`middleware`](crate::middleware)).
    pub fn layer<L: Layer>(mut self, layer: L) -> Self {
        let layer: Arc<dyn Layer> = Arc::new(layer);
        self.map_routes(|m| m.layer_arc(layer.clone(), true));
        self.fallback = self.fallback.layer(layer);
        self
    }

    /// Wraps every route added so far in `layer`, but only runs it when a route matched:
    /// not for 404s (the fallback) nor 405s. Routes added later are not wrapped.
    pub fn route_layer<L: Layer>(mut self, layer: L) -> Self {
        let layer: Arc<dyn Layer> = Arc::new(layer);
        self.map_routes(|m| m.layer_arc(layer.clone(), false));
        self
    }

    fn map_routes(&mut self, mut f: impl FnMut(MethodRouter<S>) -> MethodRouter<S>) {
        for (_, method_router) in &mut self.routes {
            *method_router = f(std::mem::take(method_router));
        }
    }

    /// Gives every handler its state, making a router of any other state type (usually
    /// `Router<()>`, the one that can be served).
    pub fn with_state<S2>(self, state: S) -> Router<S2> {
        Router {
            table: self.table,
            routes: self
                .routes
                .into_iter()
                .map(|(p, m)| (p, m.with_state(state.clone())))
                .collect(),
            fallback: self.fallback.with_state(&state),
            custom_fallback: self.custom_fallback,
        }
    }

    /// Matches `method` and `path` against the table without running anything: the
    /// route pattern and its parameters, or `None` when no route matches the path (the
    /// fallback would answer). Never panics, whatever the input.
    ///
    /// # Examples
    ///
    /// ```
    /// use hiver::http::Method;
    /// use hiver::routing::get;
    /// use hiver::Router;
    ///
    /// let app: Router = Router::new().route("/users/{id}", get(|| async {}));
    /// let m = app.match_route(&Method::GET, "/users/a%20b").unwrap();
    /// assert_eq!(m.pattern(), "/users/{id}");
    /// assert_eq!(m.params(), Some(&[("id".to_owned(), "a b".to_owned())][..]));
    /// assert!(m.is_method_allowed());
    /// assert!(!app.match_route(&Method::DELETE, "/users/1").unwrap().is_method_allowed());
    /// assert!(app.match_route(&Method::GET, "/nope").is_none());
    /// ```
    pub fn match_route(&self, method: &Method, path: &str) -> Option<RouteMatch<'_>> {
        let matched = self.table.at(path).ok()?;
        // The table only holds indices into `routes` (both are built together).
        let (pattern, method_router) = &self.routes[*matched.value];
        Some(RouteMatch::new(
            pattern,
            params::PathParams::from_raw(matched.params.iter()),
            method_router.allows(method),
        ))
    }

    pub(crate) fn resolve(self, state: &S) -> RouterService {
        let routes = self
            .routes
            .into_iter()
            .map(|(p, m)| (MatchedPath(p), m.resolve(state)))
            .collect();
        RouterService::new(self.table, routes, self.fallback.into_route(state))
    }
}

impl Router<()> {
    /// Turns the router into the service a worker runs (resolving the `()` state and
    /// every layer once, so requests pay for none of it).
    pub fn into_service(self) -> RouterService {
        self.resolve(&())
    }
}
