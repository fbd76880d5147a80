//! `middleware::Timeout` over real sockets, on both drivers.

#[macro_use]
mod support;

use std::time::{Duration, Instant};

use hiver::http::StatusCode;
use hiver::middleware::Timeout;
use hiver::routing::get;
use hiver::test::TestServer;
use hiver::{Driver, Router};

both_drivers!(limits);

fn app() -> Router {
    let slow = Router::new()
        .route(
            "/slow",
            get(|| async {
                hiver_runtime::time::sleep(Duration::from_secs(2)).await;
                "too late"
            }),
        )
        .route("/fast", get(|| async { "in time" }))
        .layer(Timeout::new(Duration::from_millis(100)));
    let unavailable = Router::new()
        .route(
            "/slow-503",
            get(|| async {
                hiver_runtime::time::sleep(Duration::from_secs(2)).await;
                "too late"
            }),
        )
        .layer(Timeout::new(Duration::from_millis(100)).status(StatusCode::SERVICE_UNAVAILABLE));
    slow.merge(unavailable)
}

fn limits(driver: Driver) {
    let server = TestServer::with_driver(app(), driver);
    let res = server.get("/fast").send();
    assert_eq!(
        (res.status(), res.text().as_str()),
        (StatusCode::OK, "in time")
    );

    let start = Instant::now();
    let res = server.get("/slow").send();
    assert_eq!(res.status(), StatusCode::REQUEST_TIMEOUT);
    assert!(
        start.elapsed() < Duration::from_millis(1500),
        "{:?}",
        start.elapsed()
    );

    let res = server.get("/slow-503").send();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
}
