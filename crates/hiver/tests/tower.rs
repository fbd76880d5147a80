//! tower-http layers around Hiver routes over real sockets, on both drivers.
#![cfg(feature = "tower")]

#[macro_use]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use hiver::http::{HeaderValue, Method, StatusCode, header};
use hiver::routing::{get, post};
use hiver::test::TestServer;
use hiver::tower::TowerLayer;
use hiver::{Body, Driver, Request, Response, Router};
use tower_http::cors::CorsLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::propagate_header::PropagateHeaderLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::validate_request::ValidateRequestHeaderLayer;

both_drivers!(layers);

/// Lets requests with `Authorization: Bearer s3cret` through; 401 for the rest. (The
/// signature is the one `ValidateRequestHeaderLayer::custom` asks for.)
#[allow(clippy::result_large_err)]
fn bearer(req: &mut Request) -> Result<(), Response> {
    if req
        .headers()
        .get("authorization")
        .is_some_and(|v| v == "Bearer s3cret")
    {
        return Ok(());
    }
    let mut res = Response::new(Body::empty());
    *res.status_mut() = StatusCode::UNAUTHORIZED;
    Err(res)
}

fn app() -> Router {
    let cors = CorsLayer::new()
        .allow_origin(HeaderValue::from_static("https://shop.example"))
        .allow_methods([Method::GET, Method::POST]);
    let private = Router::new()
        .route("/private", get(|| async { "secret" }))
        .layer(TowerLayer::new(ValidateRequestHeaderLayer::custom(bearer)));
    Router::new()
        .route(
            "/api",
            get(|| async { "data" }).post(|b: Bytes| async move { b }),
        )
        .route(
            "/upload",
            post(|b: Bytes| async move { format!("{} bytes", b.len()) })
                .layer(TowerLayer::new(RequestBodyLimitLayer::new(8))),
        )
        .merge(private)
        .layer(TowerLayer::new(cors))
        .layer(TowerLayer::new(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        )))
        .layer(TowerLayer::new(PropagateHeaderLayer::new(
            header::HeaderName::from_static("x-trace"),
        )))
}

fn layers(driver: Driver) {
    let server = TestServer::with_driver(app(), driver);

    // CORS, simple request: the origin is allowed and said so.
    let res = server
        .get("/api")
        .header("origin", "https://shop.example")
        .send();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text(), "data");
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("https://shop.example")
    );
    // Set-header on every response.
    assert_eq!(res.header("cache-control"), Some("no-store"));

    // CORS preflight: answered by the layer, not the route (which has no OPTIONS).
    let res = server
        .request(Method::OPTIONS, "/api")
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .send();
    assert_eq!(res.status(), StatusCode::OK);
    let methods = res
        .header("access-control-allow-methods")
        .unwrap_or_default();
    assert!(methods.contains("POST"), "{methods}");

    // A request body passes through the layers to the handler.
    let res = server.post("/api").body("echo me").send();
    assert_eq!(res.text(), "echo me");

    // Propagate-header copies the request's header to the response.
    let res = server.get("/api").header("x-trace", "t-42").send();
    assert_eq!(res.header("x-trace"), Some("t-42"));

    // Bearer auth: 401 without the token, through with it.
    let res = server.get("/private").send();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let res = server
        .get("/private")
        .header("authorization", "Bearer s3cret")
        .send();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text(), "secret");

    // A layer that changes the request body's type (a limited body): the route still
    // reads it, and a body over the limit is refused.
    let res = server.post("/upload").body("1234").send();
    assert_eq!(res.text(), "4 bytes");
    let res = server.post("/upload").body("123456789").send();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // 404s go through the router's layers too.
    let res = server.get("/nowhere").send();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.header("cache-control"), Some("no-store"));
}

/// A tower layer whose service is not ready on the first poll of each clone: the adapter
/// must wait for readiness before calling.
#[derive(Clone)]
struct SlowStart {
    polls: Arc<AtomicUsize>,
}

impl<S> tower_layer::Layer<S> for SlowStart {
    type Service = SlowStartService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        SlowStartService {
            inner,
            ready: false,
            polls: self.polls.clone(),
        }
    }
}

#[derive(Clone)]
struct SlowStartService<S> {
    inner: S,
    ready: bool,
    polls: Arc<AtomicUsize>,
}

impl<S, R> tower_service::Service<R> for SlowStartService<S>
where
    S: tower_service::Service<R>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.polls.fetch_add(1, Ordering::Relaxed);
        if !self.ready {
            self.ready = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> S::Future {
        assert!(self.ready, "called before it was ready");
        self.ready = false;
        self.inner.call(req)
    }
}

#[test]
fn readiness_is_awaited_before_each_call() {
    let polls = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(TowerLayer::new(SlowStart {
            polls: polls.clone(),
        }));
    let server = TestServer::start(app);
    for _ in 0..3 {
        assert_eq!(server.get("/").send().text(), "ok");
    }
    assert_eq!(polls.load(Ordering::Relaxed), 6);
}
