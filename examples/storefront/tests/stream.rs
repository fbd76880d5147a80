//! The product page streams over a real socket: its reviews wait behind a Suspense boundary
//! for a deliberately slow source (`web/src/shared/reviews.js`), so the document's head and
//! the page's shell, with the boundary's fallback, go out first and the reviews after them;
//! the completed page is cached and then served whole. Once per framework and per engine
//! (QuickJS, and V8 with `--features v8`).
//!
//! The streamed page, joined, holds byte for byte what node streamed for the same bundle and
//! props (`web/expected/<fw>.json`, written and checked against node's own
//! `renderToReadableStream` by `web/check.mjs`).

use std::io::Read;

use hiver::test::{TestResponse, TestServer, read_until};
use serde_json::Value;
use storefront::Config;

/// The boundary's fallback, in the shell.
const FALLBACK: &str = r#"data-testid="reviews-loading""#;
/// The reviews themselves, which only the source's late answer brings.
const REVIEWS: &str = r#"data-testid="review-list""#;

fn server(framework: &str, engine: &str) -> TestServer {
    let config = Config::from_lookup(|name| match name {
        "STOREFRONT_FRAMEWORK" => Some(framework.to_owned()),
        "STOREFRONT_ENGINE" => Some(engine.to_owned()),
        _ => None,
    })
    .expect("valid settings");
    match storefront::build(&config) {
        Ok(app) => TestServer::start(app.router),
        Err(e) => panic!("the committed {framework} build must load on {engine}: {e}"),
    }
}

/// What node streamed for `/product/7`, joined (`web/expected/<fw>.json`).
fn node_html(framework: &str) -> String {
    let path = storefront::config::source_dist()
        .join("../expected")
        .join(format!("{framework}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} must be readable: {e}", path.display()));
    let cases: Vec<Value> = serde_json::from_str(&text).expect("a JSON array");
    let case = cases
        .iter()
        .find(|c| c["name"] == "product-7")
        .expect("a product-7 case");
    assert_eq!(case["streamed"], true, "node streamed the product page");
    case["html"].as_str().expect("html").to_owned()
}

fn product_page_streams_then_is_served_whole(framework: &str, engine: &str) {
    let server = server(framework, engine);
    let mut socket = server.open_get("/product/7");
    let first = read_until(&mut socket, FALLBACK);
    let shell = String::from_utf8_lossy(&first).to_ascii_lowercase();
    assert!(shell.starts_with("http/1.1 200 ok\r\n"), "{shell}");
    assert!(shell.contains("x-hiver-render: stream"), "{shell}");
    assert!(shell.contains("transfer-encoding: chunked"), "{shell}");
    assert!(shell.contains("<title>harbor cushion | hiver market</title>"));
    assert!(
        !shell.contains(REVIEWS),
        "the reviews came with the shell: {shell}"
    );

    let mut raw = first;
    socket.read_to_end(&mut raw).expect("reads to the end");
    let streamed = TestResponse::parse(&raw);
    assert_eq!(streamed.header("x-hiver-cache"), Some("miss"));
    let body = streamed.text();
    let reviews = body.find(REVIEWS).expect("the reviews arrive");
    assert!(body.find(FALLBACK).is_some_and(|f| f < reviews));
    assert!(body.ends_with("</script></body></html>"), "{body}");
    let html = node_html(framework);
    assert!(
        body.contains(&format!(r#"<div id="app">{html}</div>"#)),
        "{framework} on {engine} streamed other bytes than node"
    );

    // Stored once complete: later requests get the same page whole (the one right after the
    // stream may still wait for the store: `coalesced`).
    for _ in 0..2 {
        let again = server.get("/product/7").send();
        let outcome = again.header("x-hiver-cache").unwrap_or("");
        assert!(
            ["hit-l1", "hit-l2", "coalesced"].contains(&outcome),
            "{outcome}"
        );
        assert_eq!(again.header("x-hiver-render"), None, "served whole");
        assert!(again.header("etag").is_some());
        assert_eq!(again.text(), body);
    }
    let last = server.get("/product/7").send();
    assert!(
        last.header("x-hiver-cache")
            .is_some_and(|o| o.starts_with("hit"))
    );
}

#[test]
fn preact_product_page_streams_on_quickjs() {
    product_page_streams_then_is_served_whole("preact", "quickjs");
}

#[test]
fn react_product_page_streams_on_quickjs() {
    product_page_streams_then_is_served_whole("react", "quickjs");
}

#[cfg(feature = "v8")]
#[test]
fn preact_product_page_streams_on_v8() {
    product_page_streams_then_is_served_whole("preact", "v8");
}

#[cfg(feature = "v8")]
#[test]
fn react_product_page_streams_on_v8() {
    product_page_streams_then_is_served_whole("react", "v8");
}
