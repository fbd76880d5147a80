//! Metrics: request counters by route pattern, latency buckets, in-flight gauge, custom
//! metrics from handlers, the exposition endpoint, and the driver info of a real server.

use std::time::Duration;

use hiver::extract::State;
use hiver::http::Method;
use hiver::metrics::{self, Buckets, Counter, Metrics};
use hiver::routing::{get, post};
use hiver::test::TestClient;
use hiver::{Driver, Router, Server};

fn app(metrics: &Metrics) -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .route(
            "/users/{id}",
            get(|| async { "user" }).post(|| async { "made" }),
        )
        .route("/metrics", get(metrics::handler(metrics)))
        .layer(metrics.layer())
}

fn scrape(client: &TestClient) -> String {
    let res = client.get("/metrics").send();
    assert_eq!(res.status(), 200);
    res.text()
}

/// The value of the sample line starting with `series ` (labels in encoding order).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().expect("sample value is a number"))
}

#[test]
fn requests_are_labelled_by_route_pattern_not_path() {
    let metrics = Metrics::new();
    let client = TestClient::new(app(&metrics));
    for path in ["/users/1", "/users/2", "/users/a%20b", "/"] {
        assert_eq!(client.get(path).send().status(), 200);
    }
    let text = scrape(&client);
    let users = r#"hiver_http_requests_total{method="GET",route="/users/{id}",status="200"}"#;
    assert_eq!(sample(&text, users), Some(3.0), "{text}");
    let home = r#"hiver_http_requests_total{method="GET",route="/",status="200"}"#;
    assert_eq!(sample(&text, home), Some(1.0), "{text}");
    assert!(
        !text.contains("/users/1") && !text.contains("a%20b"),
        "{text}"
    );
}

#[test]
fn not_found_is_unmatched_and_method_not_allowed_keeps_the_pattern() {
    let metrics = Metrics::new();
    let client = TestClient::new(app(&metrics));
    for path in ["/nope", "/scan/1", "/scan/2"] {
        assert_eq!(client.get(path).send().status(), 404);
    }
    assert_eq!(client.delete("/users/7").send().status(), 405);
    let text = scrape(&client);
    let unmatched = r#"hiver_http_requests_total{method="GET",route="<unmatched>",status="404"}"#;
    assert_eq!(sample(&text, unmatched), Some(3.0), "{text}");
    let not_allowed =
        r#"hiver_http_requests_total{method="DELETE",route="/users/{id}",status="405"}"#;
    assert_eq!(sample(&text, not_allowed), Some(1.0), "{text}");
    assert!(!text.contains("/scan"), "{text}");
}

#[test]
fn non_standard_methods_share_one_label() {
    let metrics = Metrics::new();
    let client = TestClient::new(app(&metrics));
    for m in ["PURGE", "FOO", "BAR"] {
        let method = Method::from_bytes(m.as_bytes()).unwrap(); // valid tokens
        client.request(method, "/nope").send();
    }
    let text = scrape(&client);
    let other = r#"hiver_http_requests_total{method="OTHER",route="<unmatched>",status="404"}"#;
    assert_eq!(sample(&text, other), Some(3.0), "{text}");
    assert!(!text.contains("PURGE"), "{text}");
}

#[test]
fn latency_histogram_uses_the_configured_buckets() {
    let metrics = Metrics::builder().latency_buckets([0.5, 0.25]).build();
    let client = TestClient::new(app(&metrics));
    client.post("/users/1").send();
    let text = scrape(&client);
    let series = "hiver_http_request_duration_seconds_bucket{";
    let labels = r#"method="POST",route="/users/{id}"} 1"#;
    let buckets: Vec<&str> = text.lines().filter(|l| l.starts_with(series)).collect();
    assert_eq!(
        buckets,
        [
            format!(r#"{series}le="0.25",{labels}"#),
            format!(r#"{series}le="0.5",{labels}"#),
            format!(r#"{series}le="+Inf",{labels}"#),
        ],
        "{text}"
    );
    let count = r#"hiver_http_request_duration_seconds_count{method="POST",route="/users/{id}"}"#;
    assert_eq!(sample(&text, count), Some(1.0), "{text}");
}

#[test]
fn default_buckets_span_50us_to_10s() {
    let metrics = Metrics::new();
    let client = TestClient::new(app(&metrics));
    client.get("/").send();
    let text = scrape(&client);
    let bounds: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix(r#"hiver_http_request_duration_seconds_bucket{le=""#))
        // Any count: a request slower than 50 µs (a busy machine) leaves the first bucket at 0.
        .filter_map(|l| Some(l.split_once(r#"",method="GET",route="/"} "#)?.0))
        .collect();
    assert_eq!(bounds.first(), Some(&"0.00005"), "{text}");
    assert_eq!(bounds[bounds.len() - 2..], ["10.0", "+Inf"], "{text}");
    assert_eq!(bounds.len(), metrics::DEFAULT_LATENCY_BUCKETS.len() + 1);
}

#[test]
fn in_flight_counts_the_scrape_itself_and_returns_to_zero() {
    let metrics = Metrics::new();
    let client = TestClient::new(app(&metrics));
    assert_eq!(
        sample(&scrape(&client), "hiver_http_requests_in_flight"),
        Some(1.0)
    );
    assert_eq!(
        sample(&metrics.encode().unwrap(), "hiver_http_requests_in_flight"),
        Some(0.0)
    );
}

#[derive(Clone)]
struct AppState {
    orders: Counter,
    sizes: metrics::Family<[(&'static str, &'static str); 1], metrics::Histogram, Buckets>,
}

async fn order(State(state): State<AppState>) -> &'static str {
    state.orders.inc();
    state.sizes.get_or_create(&[("kind", "book")]).observe(3.0);
    "ordered"
}

#[test]
fn handlers_record_custom_metrics() {
    let metrics = Metrics::new();
    let state = AppState {
        orders: metrics.counter("shop_orders", "Orders placed"),
        sizes: metrics.histogram_family("shop_items", "Items per order", Buckets::new([1.0, 5.0])),
    };
    let app = Router::new()
        .route("/order", post(order))
        .route("/metrics", get(metrics::handler(&metrics)))
        .with_state(state);
    let client = TestClient::new(app);
    client.post("/order").send();
    client.post("/order").send();
    let text = scrape(&client);
    assert_eq!(sample(&text, "shop_orders_total"), Some(2.0), "{text}");
    let bucket = r#"shop_items_bucket{le="5.0",kind="book"}"#;
    assert_eq!(sample(&text, bucket), Some(2.0), "{text}");
    assert_eq!(sample(&text, r#"shop_items_sum{kind="book"}"#), Some(6.0));
    assert!(text.contains("# TYPE shop_items histogram"), "{text}");
}

#[test]
fn exposition_is_openmetrics_text() {
    let metrics = Metrics::new();
    let client = TestClient::new(app(&metrics));
    client.get("/").send();
    let res = client.get("/metrics").send();
    assert_eq!(
        res.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    let text = res.text();
    assert!(
        text.contains("# TYPE hiver_http_requests counter"),
        "{text}"
    );
    assert!(text.contains("# UNIT hiver_http_request_duration_seconds seconds"));
    assert!(text.ends_with("# EOF\n"), "{text}");
}

fn driver_info_is_recorded_at_start(driver: Driver) {
    let metrics = Metrics::new();
    let before = metrics.encode().unwrap(); // built-in metrics always encode
    assert!(!before.contains("hiver_driver_info{"), "{before}");
    let handle = Server::bind("127.0.0.1:0")
        .driver(driver)
        .workers(2)
        .pin_workers(false)
        .handle_signals(false)
        .drain_timeout(Duration::from_secs(5))
        .metrics(&metrics)
        .start(app(&metrics))
        .expect("server starts");
    let text = metrics.encode().unwrap();
    handle.shutdown();
    handle.wait().expect("server stops cleanly");
    let info = format!(r#"hiver_driver_info{{driver="{driver}"}}"#);
    assert_eq!(sample(&text, &info), Some(1.0), "{text}");
    assert_eq!(sample(&text, "hiver_workers"), Some(2.0), "{text}");
}

#[test]
fn driver_info_uring() {
    driver_info_is_recorded_at_start(Driver::IoUring);
}

#[test]
fn driver_info_epoll() {
    driver_info_is_recorded_at_start(Driver::Epoll);
}

#[test]
fn scrape_over_a_socket_counts_earlier_requests() {
    let metrics = Metrics::new();
    let server = hiver::test::TestServer::start(app(&metrics));
    assert_eq!(server.get("/users/9").send().status(), 200);
    let text = server.get("/metrics").send().text();
    let users = r#"hiver_http_requests_total{method="GET",route="/users/{id}",status="200"}"#;
    assert_eq!(sample(&text, users), Some(1.0), "{text}");
}

#[test]
fn a_dropped_request_leaves_in_flight_and_is_not_counted() {
    use hiver::middleware::Layer as _;
    use hiver::routing::Route;
    let metrics = Metrics::new();
    let never = Route::new(|_req| std::future::pending());
    let route = metrics.layer().layer(never);
    let fut = route.call(hiver::Request::new(hiver::Body::empty()));
    let in_flight = || sample(&metrics.encode().unwrap(), "hiver_http_requests_in_flight");
    assert_eq!(in_flight(), Some(1.0));
    drop(fut);
    assert_eq!(in_flight(), Some(0.0));
    assert!(
        !metrics
            .encode()
            .unwrap()
            .contains("hiver_http_requests_total")
    );
}

#[test]
fn two_registries_on_one_thread_count_separately() {
    let (a, b) = (Metrics::new(), Metrics::new());
    let (client_a, client_b) = (TestClient::new(app(&a)), TestClient::new(app(&b)));
    for _ in 0..3 {
        client_a.get("/").send();
    }
    client_b.get("/").send();
    let home = r#"hiver_http_requests_total{method="GET",route="/",status="200"}"#;
    assert_eq!(sample(&a.encode().unwrap(), home), Some(3.0));
    assert_eq!(sample(&b.encode().unwrap(), home), Some(1.0));
}

/// Sends one request on `conn` and reads its response, whose body ends with `body_end`.
fn exchange(conn: &mut std::net::TcpStream, request: &str, body_end: &str) -> String {
    use std::io::{Read, Write};
    conn.write_all(request.as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut buf = [0; 4096];
    while !got.ends_with(body_end.as_bytes()) {
        match conn.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => panic!("reading the response: {e}"),
        }
    }
    String::from_utf8(got).expect("the responses here are text")
}

fn open_connections_total(text: &str, workers: usize) -> f64 {
    (0..workers)
        .map(|w| format!(r#"hiver_open_connections{{worker="{w}"}}"#))
        .map(|series| sample(text, &series).unwrap_or_else(|| panic!("no {series}: {text}")))
        .sum()
}

fn open_connections_are_scraped_per_worker(driver: Driver) {
    let metrics = Metrics::new();
    assert!(!metrics.encode().unwrap().contains("hiver_open_connections"));
    let handle = Server::bind("127.0.0.1:0")
        .driver(driver)
        .workers(2)
        .pin_workers(false)
        .handle_signals(false)
        .drain_timeout(Duration::from_secs(5))
        .metrics(&metrics)
        .start(app(&metrics))
        .expect("server starts");
    let addr = handle.local_addr();
    let connect = || {
        let c = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        c
    };
    let scrape = || {
        let get = "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
        exchange(&mut connect(), get, "# EOF\n")
    };

    // Answered, so accepted and counted; then left idle, kept alive.
    let mut idle = connect();
    let home = exchange(&mut idle, "GET / HTTP/1.1\r\nHost: t\r\n\r\n", "home");
    assert!(home.starts_with("HTTP/1.1 200"), "{home}");
    let text = scrape();
    assert!(
        text.contains("# TYPE hiver_open_connections gauge"),
        "{text}"
    );
    // The idle connection and the scrape's own.
    assert_eq!(open_connections_total(&text, 2), 2.0, "{text}");

    drop(idle);
    // The worker notices the close asynchronously.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let text = scrape();
        if open_connections_total(&text, 2) == 1.0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{text}");
        std::thread::sleep(Duration::from_millis(10));
    }
    handle.shutdown();
    handle.wait().expect("server stops cleanly");
}

#[test]
fn open_connections_uring() {
    open_connections_are_scraped_per_worker(Driver::IoUring);
}

#[test]
fn open_connections_epoll() {
    open_connections_are_scraped_per_worker(Driver::Epoll);
}
