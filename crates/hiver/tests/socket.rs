//! End-to-end through a real server on 127.0.0.1, under both I/O drivers.

#[macro_use]
mod support;

use std::cell::RefCell;
use std::rc::Rc;

use hiver::extract::{ConnectInfo, Path, State};
use hiver::http::StatusCode;
use hiver::middleware::{self, Next};
use hiver::routing::{get, post};
use hiver::test::TestServer;
use hiver::{Driver, Json, Request, Router};

thread_local! {
    /// Per-worker state that is not `Send`: the thread-per-core selling point.
    static HITS: Rc<RefCell<u64>> = Rc::new(RefCell::new(0));
}

async fn count() -> String {
    let hits = HITS.with(Rc::clone);
    std::future::ready(()).await; // the Rc is held across an await
    *hits.borrow_mut() += 1;
    let n = *hits.borrow();
    format!("{n}")
}

fn app() -> Router {
    Router::new()
        .route("/plaintext", get(|| async { "Hello, World!" }))
        .route(
            "/json",
            get(|| async { Json(serde_json::json!({"message": "Hello, World!"})) }),
        )
        .route(
            "/users/{id}",
            get(|Path(id): Path<u32>| async move { format!("user {id}") }),
        )
        .route("/echo", post(|body: String| async move { body }))
        .route("/count", get(count))
        .route(
            "/peer",
            get(|ConnectInfo(c): ConnectInfo| async move { c.peer_addr.ip().to_string() }),
        )
        .route(
            "/state",
            get(|State(s): State<&'static str>| async move { s }),
        )
        .layer(middleware::from_fn(|req: Request, next: Next| async move {
            let mut res = next.run(req).await;
            res.headers_mut().insert("x-mw", "1".parse().unwrap()); // ASCII literal: valid
            res
        }))
        .with_state("shared")
}

both_drivers!(
    serves_routes_and_middleware,
    body_and_rejections_over_the_wire,
    head_and_405,
    non_send_handler_state,
);

fn serves_routes_and_middleware(driver: Driver) {
    let server = TestServer::with_driver(app(), driver);
    assert_eq!(server.driver(), driver);
    let res = server.get("/plaintext").send();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "Hello, World!");
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(res.header("x-mw"), Some("1"));
    let res = server.get("/json").send();
    assert_eq!(res.json::<serde_json::Value>()["message"], "Hello, World!");
    assert_eq!(server.get("/users/5").send().text(), "user 5");
    assert_eq!(server.get("/peer").send().text(), "127.0.0.1");
    assert_eq!(server.get("/state").send().text(), "shared");
    assert!(server.url("/x").starts_with("http://127.0.0.1:"));
}

fn body_and_rejections_over_the_wire(driver: Driver) {
    let server = TestServer::with_driver(app(), driver);
    let body = "x".repeat(100_000);
    assert_eq!(server.post("/echo").body(body.clone()).send().text(), body);
    let res = server.get("/users/abc").send();
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.text(),
        "Invalid URL: Cannot parse `id` with value `abc` to a `u32`"
    );
    assert_eq!(
        server.get("/missing").send().status(),
        StatusCode::NOT_FOUND
    );
}

fn head_and_405(driver: Driver) {
    let server = TestServer::with_driver(app(), driver);
    let res = server.head("/plaintext").send();
    assert_eq!(res.status(), 200);
    assert!(res.bytes().is_empty());
    let res = server.delete("/plaintext").send();
    assert_eq!(res.status(), 405);
    assert_eq!(res.header("allow"), Some("GET,HEAD"));
}

fn non_send_handler_state(driver: Driver) {
    let server = TestServer::with_driver(app(), driver);
    let counts: Vec<u64> = (0..6)
        .map(|_| server.get("/count").send().text().parse().unwrap()) // handler writes digits
        .collect();
    assert!(counts.iter().all(|&n| n >= 1));
    assert!(
        counts.iter().max() > Some(&1),
        "per-worker counters advance: {counts:?}"
    );
}

#[test]
fn bind_failure_is_a_bind_error() {
    // A listener without SO_REUSEPORT keeps the port to itself.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap(); // any free port
    let err = hiver::Server::bind(taken.local_addr().unwrap()) // bound just above
        .workers(1)
        .start(app())
        .unwrap_err();
    assert!(err.is_bind(), "{err:?}");
    let source = std::error::Error::source(&err).and_then(|s| s.downcast_ref::<std::io::Error>());
    assert_eq!(
        source.map(|e| e.kind()),
        Some(std::io::ErrorKind::AddrInUse)
    );
}

#[test]
fn zero_workers_is_a_config_error() {
    let err = hiver::Server::bind("127.0.0.1:0")
        .workers(0)
        .start(app())
        .unwrap_err();
    assert!(err.is_config(), "{err:?}");
}

#[test]
fn unresolvable_address_is_a_bind_error() {
    let err = hiver::Server::bind("not an address")
        .start(app())
        .unwrap_err();
    assert!(err.is_bind(), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("failed to bind not an address: "),
        "{err}"
    );
}
