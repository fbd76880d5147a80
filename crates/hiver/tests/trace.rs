//! Request ids (generated, echoed, replaced when hostile), the `RequestId` extractor, and
//! the per-request span with its fields, captured by a small collecting subscriber.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Debug;
use std::future::poll_fn;
use std::rc::Rc;
use std::sync::{Arc, Mutex, Once};
use std::task::Poll;

use hiver::Router;
use hiver::routing::get;
use hiver::test::{TestClient, TestResponse};
use hiver::trace::{RequestId, TraceLayer};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// Returns `Pending` once (waking itself), so the code after it runs in a later poll.
async fn yield_once() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await;
}

async fn show_id(id: RequestId) -> String {
    let not_send = Rc::new(id.to_string());
    yield_once().await; // the span must still be entered after this
    tracing::info!(seen = %not_send, "in handler");
    id.to_string()
}

fn app() -> Router {
    Router::new()
        .route("/id", get(show_id))
        .route("/users/{id}", get(|| async { "user" }))
        .layer(TraceLayer::new())
}

fn is_generated(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn id_of(res: &TestResponse) -> &str {
    res.header("x-request-id").expect("x-request-id is echoed")
}

#[test]
fn an_id_is_generated_when_absent() {
    let client = TestClient::new(app());
    let (a, b) = (client.get("/id").send(), client.get("/id").send());
    assert!(is_generated(id_of(&a)), "{:?}", id_of(&a));
    assert_eq!(a.text(), id_of(&a), "the extractor sees the echoed id");
    assert_ne!(id_of(&a), id_of(&b));
}

#[test]
fn a_sane_incoming_id_is_kept_and_echoed() {
    let client = TestClient::new(app());
    let max = "x".repeat(128);
    for id in [
        "abc-123",
        "0f7c2a9e-2a4b-4c1d-9d8e-123456789abc",
        "~!#$%&*+.^_`|",
        &max,
    ] {
        let res = client.get("/id").header("x-request-id", id).send();
        assert_eq!(id_of(&res), id);
        assert_eq!(res.text(), id);
    }
}

#[test]
fn a_hostile_incoming_id_is_replaced() {
    let client = TestClient::new(app());
    let too_long = "x".repeat(129);
    let hostile: [&[u8]; 5] = [
        b"a\tb",
        b"line one\" injected=\"yes",
        too_long.as_bytes(),
        "caf\u{e9}".as_bytes(),
        b"",
    ];
    for bad in hostile {
        let res = client.get("/id").header("x-request-id", bad).send();
        assert!(is_generated(id_of(&res)), "{bad:?} -> {:?}", id_of(&res));
    }
}

#[test]
fn unmatched_requests_get_an_id_too() {
    let res = TestClient::new(app()).get("/nope").send();
    assert_eq!(res.status(), 404);
    assert!(is_generated(id_of(&res)));
}

#[test]
fn the_extractor_without_the_layer_is_a_500() {
    let app: Router = Router::new().route("/id", get(show_id));
    let res = TestClient::new(app).get("/id").send();
    assert_eq!(res.status(), 500);
    assert!(res.text().contains("TraceLayer"), "{}", res.text());
}

type Fields = HashMap<String, String>;

/// Spans' fields, and each event's fields merged with those of its enclosing span.
#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<(String, Fields)>>>,
    events: Arc<Mutex<Vec<Fields>>>,
}

struct FieldMap<'a>(&'a mut Fields);

impl Visit for FieldMap<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Collector {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::new();
        attrs.record(&mut FieldMap(&mut fields));
        let span = ctx.span(id).expect("a new span is in the registry");
        span.extensions_mut().insert(fields.clone());
        let name = attrs.metadata().name().to_owned();
        self.spans.lock().unwrap().push((name, fields)); // never poisoned: no panics held
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::new();
        if let Some(span) = ctx.event_span(event) {
            if let Some(span_fields) = span.extensions().get::<Fields>() {
                fields.extend(span_fields.clone());
            }
        }
        fields.insert("level".into(), event.metadata().level().to_string());
        fields.insert("target".into(), event.metadata().target().to_owned());
        event.record(&mut FieldMap(&mut fields));
        self.events.lock().unwrap().push(fields);
    }
}

thread_local! {
    /// The collector of the test running on this thread, if it collects.
    static CURRENT: RefCell<Option<Collector>> = const { RefCell::new(None) };
}

/// The one global subscriber's layer: hands everything to this thread's collector.
///
/// One global subscriber rather than `with_default` per test: tracing caches each
/// callsite's interest globally, and a callsite first hit on a thread with no subscriber
/// while another test's scoped subscriber is being registered can stay disabled — the
/// span then goes missing at random. A single, always-interested subscriber has no race.
struct Forward;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Forward {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let current = CURRENT.with(|c| c.borrow().clone());
        if let Some(collector) = current {
            collector.on_new_span(attrs, id, ctx);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let current = CURRENT.with(|c| c.borrow().clone());
        if let Some(collector) = current {
            collector.on_event(event, ctx);
        }
    }
}

fn collect(f: impl FnOnce()) -> Collector {
    static GLOBAL: Once = Once::new();
    GLOBAL.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(Forward);
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
    });
    let collector = Collector::default();
    CURRENT.with(|c| *c.borrow_mut() = Some(collector.clone()));
    f();
    CURRENT.with(|c| *c.borrow_mut() = None);
    collector
}

fn events(c: &Collector, message: &str) -> Vec<Fields> {
    let events = c.events.lock().unwrap();
    let matching = events
        .iter()
        .filter(|e| e.get("message").is_some_and(|m| m == message));
    matching.cloned().collect()
}

#[test]
fn the_span_carries_method_route_and_id_across_awaits() {
    let client = TestClient::new(app());
    let mut res = None;
    let collector =
        collect(|| res = Some(client.get("/id").header("x-request-id", "req-42").send()));
    assert_eq!(res.map(|r| r.status()), Some(hiver::http::StatusCode::OK));
    let spans = collector.spans.lock().unwrap().clone();
    assert_eq!(spans.len(), 1);
    let (name, fields) = &spans[0];
    assert_eq!(name, "request");
    assert_eq!(fields["request_id"], "req-42");
    assert_eq!(fields["method"], "GET");
    assert_eq!(fields["route"], "/id");
    let in_handler = events(&collector, "in handler");
    assert_eq!(in_handler.len(), 1, "one event after the await");
    assert_eq!(in_handler[0]["request_id"], "req-42");
    assert_eq!(in_handler[0]["seen"], "req-42");
}

#[test]
fn one_info_line_per_request_with_status_and_latency() {
    let client = TestClient::new(app());
    let collector = collect(|| {
        client.get("/users/7").send();
        client.get("/nope").send();
    });
    let lines = events(&collector, "request finished");
    assert_eq!(lines.len(), 2);
    let (user, nope) = (&lines[0], &lines[1]);
    assert_eq!(user["route"], "/users/{id}");
    assert_eq!(user["path"], "/users/7");
    assert_eq!(user["status"], "200");
    assert_eq!(user["level"], "INFO");
    assert_eq!(user["target"], "hiver::trace");
    assert!(user["latency_us"].parse::<u64>().is_ok(), "{user:?}");
    assert!(is_generated(&user["request_id"]));
    assert_eq!(nope["route"], "<unmatched>");
    assert_eq!(nope["status"], "404");
    assert_ne!(user["request_id"], nope["request_id"]);
}

#[test]
fn a_dropped_request_logs_that_it_was_dropped_inside_its_span() {
    use hiver::middleware::Layer as _;
    use hiver::routing::Route;
    let never = Route::new(|_req| std::future::pending());
    let route = TraceLayer::new().layer(never);
    let collector = collect(|| {
        let mut req = hiver::Request::new(hiver::Body::empty());
        req.headers_mut()
            .insert("x-request-id", "gone-1".parse().unwrap()); // visible ASCII: valid
        drop(route.call(req));
    });
    let dropped = events(&collector, "request dropped");
    assert_eq!(dropped.len(), 1);
    assert_eq!(dropped[0]["request_id"], "gone-1");
    assert!(events(&collector, "request finished").is_empty());
}
