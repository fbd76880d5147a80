//! One page request, as a pipeline: request → key and props (the route's policy) → cache
//! lookup → render → document → response. The cache alone decides whether a request bypasses
//! it; the render learns the decision from the [`Destination`] it is called with.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use hiver::{Body, Response};
use http::header::{
    CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, HeaderName, HeaderValue, VARY,
};
use http::request::Parts;
use http::{HeaderMap, Method, StatusCode};
use serde_json::Value;

use super::page_failure::PageFailure;
use super::render_job::RenderJob;
use super::request::{RequestParts, declared_query};
use super::stream::{Raced, Streaming, continue_in_background, race};
use super::{Inner, PageRoute, local};
use crate::cache::{CacheError, CacheKey, Destination, Encoding, Outcome, Page, Served};
use crate::document::HydrationState;

/// `X-Hiver-Cache`: how the page was obtained (`hit-l1`, `miss`, `bypass`, ...).
pub const X_HIVER_CACHE: HeaderName = HeaderName::from_static("x-hiver-cache");
/// `X-Hiver-Render`: `shell` when the server render failed and the client-side shell was
/// sent; `stream` when the page is sent as the render streams it.
pub const X_HIVER_RENDER: HeaderName = HeaderName::from_static("x-hiver-render");

const PRIVATE: &str = "private, no-store";

/// Answers a request for a page route: key and props from the route's policy, then the
/// cache lookup (which renders on a miss), then the response. A page whose render streams is
/// answered as soon as its document head exists (see [`stream`](super::stream)); the rest of
/// the lookup then runs in the background.
pub(crate) async fn page(
    inner: Arc<Inner>,
    route: Arc<PageRoute>,
    params: Vec<(String, String)>,
    parts: Parts,
) -> Response {
    let (key, props) = match key_and_props(&route, &params, &parts) {
        Ok(keyed) => keyed,
        Err(reason) => return bad_request(reason),
    };
    let cache = local::worker_cache(&inner);
    if let Some(served) = cache.fresh_hit(&key, &route.cache, &parts.headers) {
        return respond(&inner, &route, served, &parts.headers);
    }
    // Everything past a fresh hit lives in its own box: this future stays small, so the
    // hits (most requests) do not allocate and move the render's state.
    Box::pin(render_or_wait(inner, route, params, parts, key, props)).await
}

/// A page that was not fresh in the cache: looked up again (a stale page, a render to lead
/// or to join), rendered, and streamed when the route streams.
async fn render_or_wait(
    inner: Arc<Inner>,
    route: Arc<PageRoute>,
    params: Vec<(String, String)>,
    parts: Parts,
    key: CacheKey,
    props: Value,
) -> Response {
    let props = Arc::new(props);
    let job = Rc::new(RenderJob::new(&inner, &route, &params, &key, props.clone()));
    if parts.method == Method::HEAD {
        job.handoff.close(); // no body to stream into: wait for the whole page
    }
    let looking = lookup(
        inner.clone(),
        route.clone(),
        key,
        parts.headers,
        job.clone(),
    );
    match race(Box::pin(looking), &job.handoff).await {
        Raced::Looked(looked) => looked.response(&inner, &route, &props),
        Raced::Streaming(streaming, rest) => stream_rest(&inner, streaming, rest),
    }
}

/// The route's policy applied to the request: the cache key and the props to render with.
/// Fails with the reason for a 400.
fn key_and_props(
    route: &PageRoute,
    params: &[(String, String)],
    parts: &Parts,
) -> Result<(CacheKey, Value), String> {
    let query = declared_query(parts.uri.query(), &route.policy.query)
        .map_err(|e| format!("malformed query string: {e}"))?;
    let req = RequestParts {
        method: &parts.method,
        uri: &parts.uri,
        headers: &parts.headers,
        params,
        query: &query,
    };
    let props = route.policy.props_for(&req);
    let variant = route.policy.variant_for(&req);
    let declared: Vec<&str> = route.policy.query.iter().map(String::as_str).collect();
    let key = CacheKey::builder(&parts.method, parts.uri.path())
        .query(parts.uri.query(), &declared)
        .props_json(&props)
        .variant(&variant)
        .build()
        .map_err(|e| e.to_string())?;
    Ok((key, props))
}

/// What a finished lookup gives back: its result, and the key and request headers it was
/// handed (it owns them, so it can outlive the request when the page streams).
struct Looked {
    result: Result<Served, CacheError>,
    key: CacheKey,
    headers: HeaderMap,
}

impl Looked {
    /// The served page's response, or the shell after a failed render.
    fn response(self, inner: &Inner, route: &PageRoute, props: &Value) -> Response {
        match self.result {
            Ok(served) => respond(inner, route, served, &self.headers),
            Err(err) => shell(inner, route, &self.key, &err, props),
        }
    }
}

/// This worker's cache lookup. On a miss or a bypass the cache calls `job` (render, then
/// document) and says where the page will go.
async fn lookup(
    inner: Arc<Inner>,
    route: Arc<PageRoute>,
    key: CacheKey,
    headers: HeaderMap,
    job: Rc<RenderJob>,
) -> Looked {
    let render = move |destination: Destination<'_>| job.render(destination);
    let worker = local::worker_cache(&inner);
    let result = worker.serve(&key, &route.cache, &headers, render).await;
    Looked {
        result,
        key,
        headers,
    }
}

/// The response for a served page; a background refresh the lookup handed over is spawned
/// on this worker.
fn respond(inner: &Inner, route: &PageRoute, mut served: Served, request: &HeaderMap) -> Response {
    if let Some(refresh) = served.take_refresh() {
        hiver_runtime::spawn(refresh).detach();
    }
    let page = served.page();
    let outcome = served.outcome();
    let cache_control = if outcome == Outcome::Bypass {
        HeaderValue::from_static(PRIVATE)
    } else {
        route.cache_control.clone()
    };
    let cached = matches!(
        outcome,
        Outcome::HitL1 | Outcome::HitL2 | Outcome::Stale | Outcome::StaleOnError
    );
    let mut res = answer(page, request, cache_control, inner, cached);
    res.headers_mut().insert(
        X_HIVER_CACHE,
        HeaderValue::from_static(outcome_label(outcome)),
    );
    res
}

/// The response for `page`: 304 when `If-None-Match` matches, else the negotiated coding.
/// Every page goes out through it. A page served from the cache (`cached`) sends its
/// identity HTML from an in-memory file where it has one ([`Page::html_file`]); a page
/// rendered for this request is sent from memory (it may never be sent again).
pub(crate) fn answer(
    page: &Page,
    request: &HeaderMap,
    cache_control: HeaderValue,
    inner: &Inner,
    cached: bool,
) -> Response {
    let Some(encoding) = page.negotiate(request) else {
        let mut res = plain(StatusCode::NOT_ACCEPTABLE, "no acceptable content coding");
        res.headers_mut()
            .insert(VARY, HeaderValue::from_static("accept-encoding"));
        return res;
    };
    let not_modified = page.status() == StatusCode::OK && page.is_not_modified(request, encoding);
    let (status, body) = if not_modified {
        inner.counters.not_modified.fetch_add(1, Ordering::Relaxed);
        (StatusCode::NOT_MODIFIED, Body::empty())
    } else {
        let file = (cached && encoding == Encoding::Identity)
            .then(|| page.html_file())
            .flatten();
        let body = match file {
            Some(region) => Body::file(region),
            None => Body::from(page.body(encoding)),
        };
        (page.status(), body)
    };
    let mut res = Response::new(body);
    *res.status_mut() = status;
    let headers = res.headers_mut();
    for (name, value) in page.headers() {
        if !not_modified || name != CONTENT_TYPE {
            headers.append(name, value.clone());
        }
    }
    headers.insert(ETAG, page.etag(encoding).clone());
    headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    headers.insert(CACHE_CONTROL, cache_control);
    if let Some(coding) = encoding.content_encoding().filter(|_| !not_modified) {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    res
}

/// Answers with a page that streams, and leaves the `rest` of its lookup (the render, then
/// storing the page) to run on this worker.
fn stream_rest<L>(inner: &Inner, streaming: Streaming, rest: Pin<Box<L>>) -> Response
where
    L: Future + ?Sized + 'static,
{
    continue_in_background(rest, streaming.abandon.clone());
    inner.counters.streamed.fetch_add(1, Ordering::Relaxed);
    streamed(streaming)
}

/// The response for a page that streams: its status, then the body as it comes. Headers
/// are fixed before the first byte, so the page is never stored downstream (it may still
/// fail part-way) and has no validator; the cache serves the completed page whole later.
fn streamed(streaming: Streaming) -> Response {
    let mut res = Response::new(streaming.body);
    *res.status_mut() = streaming.status;
    let headers = res.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(PRIVATE));
    headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    let outcome = outcome_label(streaming.outcome);
    headers.insert(X_HIVER_CACHE, HeaderValue::from_static(outcome));
    headers.insert(X_HIVER_RENDER, HeaderValue::from_static("stream"));
    res
}

/// The client-side shell after a failed render: same document, assets and state, no server
/// HTML, never cached, no error details.
fn shell(
    inner: &Inner,
    route: &PageRoute,
    key: &CacheKey,
    err: &CacheError,
    props: &Value,
) -> Response {
    let failure = err.render_error().downcast_ref::<PageFailure>();
    if !err.is_coalesced() {
        log_failure(route, key, err, failure);
    }
    inner.counters.shells.fetch_add(1, Ordering::Relaxed);
    let state = HydrationState::new(props).unwrap_or_else(|_| HydrationState::null());
    let body: Bytes = inner.template.shell(&state, "");
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = if failure.is_some_and(PageFailure::is_unavailable) {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        route.policy.error_status
    };
    let headers = res.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(PRIVATE));
    let outcome = outcome_label(failed_outcome(err));
    headers.insert(X_HIVER_CACHE, HeaderValue::from_static(outcome));
    headers.insert(X_HIVER_RENDER, HeaderValue::from_static("shell"));
    res
}

/// One error line per failed render (a request that waited on another's render does not
/// repeat it), with the JS stack the client never sees.
fn log_failure(route: &PageRoute, key: &CacheKey, err: &CacheError, failure: Option<&PageFailure>) {
    tracing::error!(
        route = %route.pattern,
        page = ?key,
        error = %err.render_error(),
        js_stack = failure.and_then(PageFailure::js_stack).unwrap_or(""),
        "server render failed; serving the client-side shell"
    );
}

/// How the cache got to a failed render, labelled as a served page would be.
fn failed_outcome(err: &CacheError) -> Outcome {
    if err.is_bypass() {
        Outcome::Bypass
    } else if err.is_coalesced() {
        Outcome::Coalesced
    } else {
        Outcome::Miss
    }
}

/// `X-Hiver-Cache` for every answer: the cache's outcome, whole, streamed or failed.
fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::HitL1 => "hit-l1",
        Outcome::HitL2 => "hit-l2",
        Outcome::Miss => "miss",
        Outcome::Coalesced => "coalesced",
        Outcome::Stale => "stale",
        Outcome::StaleOnError => "stale-on-error",
        Outcome::Bypass => "bypass",
    }
}

fn bad_request(reason: String) -> Response {
    plain(StatusCode::BAD_REQUEST, reason)
}

fn plain(status: StatusCode, reason: impl Into<Body>) -> Response {
    let mut res = Response::new(reason.into());
    *res.status_mut() = status;
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}
