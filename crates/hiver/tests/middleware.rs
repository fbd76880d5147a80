//! Middleware order (global and per route), early answers, state, custom layers.

use std::sync::{Arc, Mutex};

use hiver::extract::{Extension, State};
use hiver::http::{HeaderValue, StatusCode};
use hiver::middleware::{self, Layer, Next};
use hiver::response::IntoResponse;
use hiver::routing::{Route, get};
use hiver::test::TestClient;
use hiver::{Request, Response, Router};

type Log = Arc<Mutex<Vec<String>>>;

/// A layer that logs `name>` on the way in and `<name` on the way out.
fn tracer(log: &Log, name: &'static str) -> impl Layer {
    middleware::from_fn_with_state(
        (log.clone(), name),
        |State((log, name)): State<(Log, &'static str)>, req: Request, next: Next| async move {
            log.lock().unwrap().push(format!("{name}>")); // not poisoned: no panics while held
            let res = next.run(req).await;
            log.lock().unwrap().push(format!("<{name}"));
            res
        },
    )
}

fn handler(
    log: &Log,
) -> impl Fn() -> std::future::Ready<&'static str> + Clone + Send + Sync + 'static {
    let log = log.clone();
    move || {
        log.lock().unwrap().push("handler".into());
        std::future::ready("ok")
    }
}

fn take(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

#[test]
fn last_layer_added_is_outermost() {
    let log = Log::default();
    let app: Router = Router::new()
        .route("/", get(handler(&log)))
        .layer(tracer(&log, "a"))
        .layer(tracer(&log, "b"));
    assert_eq!(TestClient::new(app).get("/").send().text(), "ok");
    assert_eq!(take(&log), ["b>", "a>", "handler", "<a", "<b"]);
}

#[test]
fn global_layers_wrap_route_layers_and_per_route_layers() {
    let log = Log::default();
    let app: Router = Router::new()
        .route("/", get(handler(&log)).layer(tracer(&log, "route")))
        .route_layer(tracer(&log, "route_layer"))
        .layer(tracer(&log, "global"));
    TestClient::new(app).get("/").send();
    assert_eq!(
        take(&log),
        [
            "global>",
            "route_layer>",
            "route>",
            "handler",
            "<route",
            "<route_layer",
            "<global"
        ]
    );
}

#[test]
fn layers_apply_only_to_routes_added_before() {
    let log = Log::default();
    let app: Router = Router::new()
        .route("/before", get(handler(&log)))
        .layer(tracer(&log, "g"))
        .route("/after", get(handler(&log)));
    let c = TestClient::new(app);
    c.get("/after").send();
    assert_eq!(take(&log), ["handler"]);
    c.get("/before").send();
    assert_eq!(take(&log), ["g>", "handler", "<g"]);
}

#[test]
fn global_layer_sees_404_and_405_route_layer_does_not() {
    let log = Log::default();
    let app: Router = Router::new()
        .route("/", get(handler(&log)))
        .route_layer(tracer(&log, "rl"))
        .layer(tracer(&log, "g"));
    let c = TestClient::new(app);
    assert_eq!(c.get("/missing").send().status(), 404);
    assert_eq!(take(&log), ["g>", "<g"]);
    let res = c.post("/").send();
    assert_eq!(res.status(), 405);
    assert_eq!(res.header("allow"), Some("GET,HEAD"));
    assert_eq!(take(&log), ["g>", "<g"]);
}

async fn require_token(req: Request, next: Next) -> Response {
    match req.headers().get("x-token") {
        Some(t) if t == "secret" => next.run(req).await,
        _ => (StatusCode::UNAUTHORIZED, "no token").into_response(),
    }
}

#[test]
fn middleware_can_answer_early_and_change_request_and_response() {
    #[derive(Clone)]
    struct User(&'static str);
    let app: Router = Router::new()
        .route(
            "/me",
            get(|Extension(u): Extension<User>| async move { u.0 }),
        )
        .layer(middleware::from_fn(
            |mut req: Request, next: Next| async move {
                req.extensions_mut().insert(User("ada"));
                let mut res = next.run(req).await;
                res.headers_mut()
                    .insert("x-seen", HeaderValue::from_static("1"));
                res
            },
        ))
        .layer(middleware::from_fn(require_token));
    let c = TestClient::new(app);
    let denied = c.get("/me").send();
    assert_eq!(
        (denied.status().as_u16(), denied.text()),
        (401, "no token".into())
    );
    assert_eq!(denied.header("x-seen"), None, "inner layer never ran");
    let res = c.get("/me").header("x-token", "secret").send();
    assert_eq!(res.text(), "ada");
    assert_eq!(res.header("x-seen"), Some("1"));
}

#[test]
fn closure_layers_and_non_send_futures() {
    let add_header = |inner: Route| {
        Route::new(move |req| {
            let fut = inner.call(req);
            async move {
                let local = std::rc::Rc::new("rc"); // not Send, held across the await
                let mut res = fut.await;
                res.headers_mut()
                    .insert("x-rc", HeaderValue::from_static(*local));
                res
            }
        })
    };
    let app: Router = Router::new()
        .route("/", get(|| async { "hi" }))
        .layer(add_header);
    assert_eq!(
        TestClient::new(app).get("/").send().header("x-rc"),
        Some("rc")
    );
}

#[test]
fn layers_on_a_router_with_state_run_after_with_state() {
    let log = Log::default();
    let app: Router = Router::new()
        .route("/", get(|State(n): State<u8>| async move { n.to_string() }))
        .layer(tracer(&log, "s"))
        .with_state(7u8);
    assert_eq!(TestClient::new(app).get("/").send().text(), "7");
    assert_eq!(take(&log), ["s>", "<s"]);
}
