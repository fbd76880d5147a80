//! The router as a worker runs it, and pure route matching.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use super::method_router::ResolvedMethods;
use super::params::PathParams;
use super::route::{ResponseFuture, Route};
use crate::extract::MatchedPath;
use crate::{Request, Response};

/// A [`Router`](crate::Router) with its state and layers applied, ready to answer
/// requests: it implements [`hiver_http::Service`]. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct RouterService {
    inner: Arc<Inner>,
}

struct Inner {
    table: matchit::Router<usize>,
    routes: Vec<(MatchedPath, ResolvedMethods)>,
    fallback: Route,
}

impl fmt::Debug for RouterService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouterService")
            .field("routes", &self.inner.routes.len())
            .finish()
    }
}

impl RouterService {
    pub(crate) fn new(
        table: matchit::Router<usize>,
        routes: Vec<(MatchedPath, ResolvedMethods)>,
        fallback: Route,
    ) -> Self {
        RouterService {
            inner: Arc::new(Inner {
                table,
                routes,
                fallback,
            }),
        }
    }

    /// Routes and answers one request.
    pub fn dispatch(&self, mut req: Request) -> ResponseFuture {
        let matched = match self.inner.table.at(req.uri().path()) {
            // Static routes (the hot ones) skip decoding and its allocation.
            Ok(m) if m.params.is_empty() => Some((*m.value, None)),
            Ok(m) => Some((*m.value, Some(PathParams::from_raw(m.params.iter())))),
            Err(_) => None,
        };
        let Some((index, params)) = matched else {
            return self.inner.fallback.call(req);
        };
        // The table only holds indices into `routes` (both are built together).
        let (pattern, methods) = &self.inner.routes[index];
        if let Some(params) = params {
            req.extensions_mut().insert(params);
        }
        req.extensions_mut().insert(pattern.clone());
        methods.call(req)
    }
}

impl hiver_http::Service for RouterService {
    fn call(&self, req: Request) -> impl Future<Output = Response> {
        self.dispatch(req)
    }
}

/// The result of [`Router::match_route`](crate::Router::match_route).
#[derive(Debug, Clone)]
pub struct RouteMatch<'r> {
    pattern: &'r str,
    params: PathParams,
    method_allowed: bool,
}

impl<'r> RouteMatch<'r> {
    pub(crate) fn new(pattern: &'r str, params: PathParams, method_allowed: bool) -> Self {
        RouteMatch {
            pattern,
            params,
            method_allowed,
        }
    }

    /// The route pattern as registered (with the nest prefix), e.g. `/users/{id}`.
    pub fn pattern(&self) -> &'r str {
        self.pattern
    }

    /// The `(name, value)` parameters in route order, percent-decoded; `None` when a value
    /// is not UTF-8 once decoded (the `Path` extractor would answer 400).
    pub fn params(&self) -> Option<&[(String, String)]> {
        self.params.decoded().ok()
    }

    /// Whether the method reaches a handler (`false`: the answer would be a 405).
    pub fn is_method_allowed(&self) -> bool {
        self.method_allowed
    }
}
