//! Tracing through the handler: under hiver's `TraceLayer`, the render of a page is a
//! child of the request's span (with its `request_id`), across the hop to the render thread.

use hiver::test::TestClient;
use hiver::trace::TraceLayer;
use hiver_ssr::serve::PagePolicy;

use crate::capture::{self, SpanRecord};
use crate::every_engine::every_engine;
use crate::support::builder;

/// The `request` span recorded for request id `id`.
fn request_span(spans: &[SpanRecord], id: &str) -> SpanRecord {
    spans
        .iter()
        .find(|s| s.name == "request" && s.field("request_id") == Some(id))
        .unwrap_or_else(|| panic!("no request span with id {id}"))
        .clone()
}

fn renders_under(spans: &[SpanRecord], parent: &SpanRecord) -> Vec<SpanRecord> {
    spans
        .iter()
        .filter(|s| s.name == "render" && s.parent == Some(parent.seq))
        .cloned()
        .collect()
}

every_engine! {
    fn render_span_is_a_child_of_the_request_span(e) {
        capture::install();
        let ssr = builder(e)
            .page("/traced", PagePolicy::new().query(["q"]))
            .build()
            .unwrap();
        let client = TestClient::new(ssr.router().layer(TraceLayer::new()));
        let id = |n: u8| format!("render-span-{}-{}-{n}", e.name(), std::process::id());
        let miss = client.get("/traced?q=1&utm=x").header("x-request-id", id(1).as_str()).send();
        assert_eq!(miss.header("x-hiver-cache"), Some("miss"));
        let hit = client.get("/traced?q=1").header("x-request-id", id(2).as_str()).send();
        assert_eq!(hit.header("x-hiver-cache"), Some("hit-l1"));

        let spans = capture::spans();
        let rendered = renders_under(&spans, &request_span(&spans, &id(1)));
        assert_eq!(rendered.len(), 1, "{rendered:?}");
        let render = &rendered[0];
        assert_eq!(render.target, "hiver_ssr::render");
        assert_eq!(render.field("url"), Some("/traced?q=1"), "the URL the bundle got");
        assert_eq!(render.field("engine"), Some(e.name()));
        assert_eq!(render.field("generation"), Some("1"));
        let served = renders_under(&spans, &request_span(&spans, &id(2)));
        assert!(served.is_empty(), "a cache hit renders nothing: {served:?}");
    }
}
