//! The access log over real sockets, on both drivers: one line per request with its
//! fields, text and JSON, streamed bodies counted, and the `tracing` sink.

#[macro_use]
mod support;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use hiver::http::StatusCode;
use hiver::routing::get;
use hiver::test::{TestClient, TestServer};
use hiver::trace::{ACCESS_TARGET, AccessLog, TraceLayer};
use hiver::{Body, Driver, Response, Router};
use serde_json::Value;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};

both_drivers!(text_lines, json_lines);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn streamed() -> Response {
    let chunks: Vec<Result<Bytes, BoxError>> = vec![
        Ok(Bytes::from_static(b"one,")),
        Ok(Bytes::from_static(b"two,")),
        Ok(Bytes::from_static(b"three")),
    ];
    Response::new(Body::stream(futures_util::stream::iter(chunks)))
}

fn app(log: AccessLog) -> Router {
    Router::new()
        .route("/hello", get(|| async { "Hello, World!" }))
        .route("/stream", get(|| async { streamed() }))
        .layer(log)
}

/// A fresh path in the temp directory (removed by the test).
fn log_path(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!(
        "hiver-access-{}-{name}-{n}.log",
        std::process::id()
    ))
}

/// Runs `requests` against a server with a file access log; returns the file's lines
/// (read after the server has stopped) and the request ids the responses carried.
fn serve_and_log(
    driver: Driver,
    log: impl FnOnce(PathBuf) -> AccessLog,
    requests: &[(&str, &str)],
) -> (Vec<String>, Vec<String>) {
    let path = log_path(driver.as_str());
    let mut ids = Vec::new();
    {
        let server = TestServer::with_driver(app(log(path.clone())), driver);
        for (method, target) in requests {
            let res = server
                .request(method.parse().unwrap(), target)
                .header("x-request-id", format!("req-{}", ids.len()))
                .send();
            ids.push(res.header("x-request-id").unwrap_or_default().to_owned());
        }
    }
    let text = std::fs::read_to_string(&path).expect("the access log exists");
    std::fs::remove_file(&path).ok();
    (text.lines().map(str::to_owned).collect(), ids)
}

fn text_lines(driver: Driver) {
    let (lines, ids) = serve_and_log(
        driver,
        |p| AccessLog::text().to_file(p).unwrap(),
        &[
            ("GET", "/hello?x=1"),
            ("GET", "/missing"),
            ("HEAD", "/hello"),
        ],
    );
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(ids, ["req-0", "req-1", "req-2"]);
    let hello = &lines[0];
    assert!(hello.contains(" 127.0.0.1:"), "{hello}");
    assert!(
        hello.contains("\"GET /hello?x=1 HTTP/1.1\" 200 13 "),
        "{hello}"
    );
    assert!(hello.ends_with(" id=req-0"), "{hello}");
    assert!(hello.contains("ms id="), "{hello}");
    assert!(
        hello.starts_with("20") && hello.as_bytes()[10] == b'T',
        "{hello}"
    );
    assert!(
        lines[1].contains("\"GET /missing HTTP/1.1\" 404 "),
        "{}",
        lines[1]
    );
    assert!(lines[1].ends_with(" id=req-1"), "{}", lines[1]);
    assert!(
        lines[2].contains("\"HEAD /hello HTTP/1.1\" 200 0 "),
        "{}",
        lines[2]
    );
}

fn json_lines(driver: Driver) {
    let (lines, ids) = serve_and_log(
        driver,
        |p| AccessLog::json().to_file(p).unwrap(),
        &[("GET", "/hello"), ("GET", "/stream"), ("POST", "/hello")],
    );
    assert_eq!(lines.len(), 3, "{lines:?}");
    let parsed: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let hello = &parsed[0];
    assert_eq!(hello["method"], "GET");
    assert_eq!(hello["target"], "/hello");
    assert_eq!(hello["version"], "HTTP/1.1");
    assert_eq!(hello["status"], 200);
    assert_eq!(hello["bytes"], 13);
    assert_eq!(hello["request_id"], ids[0].as_str());
    assert_eq!(hello["complete"], true);
    assert!(hello["duration_us"].as_u64().is_some(), "{hello}");
    assert!(
        hello["peer"].as_str().unwrap().starts_with("127.0.0.1:"),
        "{hello}"
    );
    assert!(hello["time"].as_str().unwrap().ends_with('Z'), "{hello}");
    // The streamed body's bytes are counted as they pass.
    assert_eq!(parsed[1]["target"], "/stream");
    assert_eq!(parsed[1]["bytes"], "one,two,three".len());
    assert_eq!(parsed[1]["complete"], true);
    // Method not allowed is logged with its status.
    assert_eq!(parsed[2]["method"], "POST");
    assert_eq!(parsed[2]["status"], StatusCode::METHOD_NOT_ALLOWED.as_u16());
}

#[test]
fn an_outer_trace_layers_id_is_the_one_logged() {
    let path = log_path("trace");
    let app = app(AccessLog::json().to_file(&path).unwrap()).layer(TraceLayer::new());
    let id = {
        let server = TestServer::start(app);
        let res = server.get("/hello").send();
        res.header("x-request-id").unwrap().to_owned()
    };
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).ok();
    let line: Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(line["request_id"], id.as_str());
    assert_eq!(id.len(), 32, "a generated id: {id}");
}

#[derive(Default, Clone)]
struct Captured(Arc<Mutex<Vec<(String, String)>>>);

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Captured {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == ACCESS_TARGET {
            let mut fields = Vec::new();
            event.record(&mut Fields(&mut fields));
            self.0.lock().unwrap().extend(fields);
        }
    }
}

#[test]
fn the_tracing_sink_sends_the_line_and_its_fields() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::registry().with(captured.clone());
    tracing::subscriber::with_default(subscriber, || {
        let client = TestClient::new(app(AccessLog::text()));
        let res = client.get("/hello").header("x-request-id", "abc").send();
        assert_eq!(res.status(), StatusCode::OK);
    });
    let fields = captured.0.lock().unwrap().clone();
    let get = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no field {name}: {fields:?}"))
    };
    assert!(
        get("message").contains("\"GET /hello HTTP/1.1\" 200 13"),
        "{fields:?}"
    );
    assert_eq!(get("status"), "200");
    assert_eq!(get("bytes"), "13");
    assert_eq!(get("request_id"), "abc");
    assert_eq!(get("method"), "GET");
}
