//! Every `IntoResponse` implementation: status, content type, headers, body.

use std::borrow::Cow;

use hiver::http::StatusCode;
use hiver::http::header::{self, HeaderMap, HeaderName};
use hiver::response::{Html, IntoResponse, Redirect};
use hiver::routing::get;
use hiver::test::{TestClient, TestResponse};
use hiver::{Body, Bytes, Json, Router};

fn call<H, T>(handler: H) -> TestResponse
where
    H: hiver::handler::Handler<T, ()>,
    T: 'static,
{
    TestClient::new(Router::new().route("/", get(handler)))
        .get("/")
        .send()
}

fn assert_res(res: &TestResponse, status: u16, content_type: Option<&str>, body: &str) {
    assert_eq!(res.status(), status);
    assert_eq!(res.header("content-type"), content_type);
    assert_eq!(res.text(), body);
}

const TEXT: Option<&str> = Some("text/plain; charset=utf-8");
const OCTETS: Option<&str> = Some("application/octet-stream");

#[test]
fn text_bodies() {
    assert_res(&call(|| async { "static" }), 200, TEXT, "static");
    assert_res(
        &call(|| async { String::from("owned") }),
        200,
        TEXT,
        "owned",
    );
    assert_res(&call(|| async { Cow::Borrowed("cow") }), 200, TEXT, "cow");
}

#[test]
fn byte_bodies() {
    assert_res(
        &call(|| async { Bytes::from_static(b"b") }),
        200,
        OCTETS,
        "b",
    );
    assert_res(&call(|| async { vec![b'v'] }), 200, OCTETS, "v");
    assert_res(&call(|| async { &b"s"[..] }), 200, OCTETS, "s");
}

#[test]
fn empty_and_status_only() {
    assert_res(&call(|| async {}), 200, None, "");
    assert_res(&call(|| async { StatusCode::NO_CONTENT }), 204, None, "");
    assert_res(&call(|| async { Body::from("raw") }), 200, None, "raw");
}

#[test]
fn json_and_html() {
    let res = call(|| async { Json(serde_json::json!({"a": [1, 2]})) });
    assert_res(&res, 200, Some("application/json"), r#"{"a":[1,2]}"#);
    let res = call(|| async { Html("<p>hi</p>") });
    assert_res(&res, 200, Some("text/html; charset=utf-8"), "<p>hi</p>");
    let res = call(|| async { Html(String::from("<b>")) });
    assert_res(&res, 200, Some("text/html; charset=utf-8"), "<b>");
}

#[test]
fn json_serialization_failure_is_500() {
    let mut bad = std::collections::HashMap::new();
    bad.insert(vec![1u8], 1); // non-string map keys cannot be JSON
    let res = call(move || {
        let bad = bad.clone();
        async move { Json(bad) }
    });
    assert_eq!(res.status(), 500);
    assert!(
        res.text()
            .starts_with("Failed to serialize the response as JSON: ")
    );
}

#[test]
fn status_tuples_and_header_tuples() {
    assert_res(
        &call(|| async { (StatusCode::CREATED, "made") }),
        201,
        TEXT,
        "made",
    );
    let res = call(|| async {
        (
            StatusCode::ACCEPTED,
            [
                (header::CACHE_CONTROL, "no-store"),
                (HeaderName::from_static("x-a"), "1"),
            ],
            Json(1),
        )
    });
    assert_res(&res, 202, Some("application/json"), "1");
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert_eq!(res.header("x-a"), Some("1"));
    let res = call(|| async { ([("content-type", "text/csv")], "a,b") });
    assert_res(&res, 200, Some("text/csv"), "a,b");
    let res = call(|| async {
        let mut h = HeaderMap::new();
        h.insert("x-map", "m".parse().unwrap()); // ASCII literal: valid value
        (h, [("x-arr", "a")], "two parts")
    });
    assert_eq!(res.header("x-map"), Some("m"));
    assert_eq!(res.header("x-arr"), Some("a"));
}

#[test]
fn invalid_header_in_tuple_is_500_not_panic() {
    let res = call(|| async { ([("bad name", "v")], "body") });
    assert_eq!(res.status(), 500);
    assert!(res.text().starts_with("Invalid response header name"));
    let res = call(|| async { (StatusCode::OK, [("x-ok", "line\nbreak")], "body") });
    assert_eq!(res.status(), 500);
    assert!(res.text().starts_with("Invalid response header value"));
}

#[test]
fn results() {
    let ok = call(|| async { Ok::<_, (StatusCode, &str)>("fine") });
    assert_res(&ok, 200, TEXT, "fine");
    let err = call(|| async { Err::<&str, _>((StatusCode::CONFLICT, "taken")) });
    assert_res(&err, 409, TEXT, "taken");
}

#[test]
fn redirects() {
    for (redirect, status) in [
        (Redirect::to("/a"), 303),
        (Redirect::temporary("/a"), 307),
        (Redirect::permanent("/a"), 308),
    ] {
        assert_eq!(redirect.status(), status);
        let res = call(move || {
            let r = redirect.clone();
            async move { r }
        });
        assert_eq!(res.status(), status);
        assert_eq!(res.header("location"), Some("/a"));
    }
    let res = call(|| async { Redirect::to("/bad\r\nheader") });
    assert_eq!(res.status(), 500);
}

#[test]
fn built_response() {
    let res = call(|| async {
        hiver::http::Response::builder()
            .status(StatusCode::PARTIAL_CONTENT)
            .header("x-built", "yes")
            .body(Body::from("part"))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
    });
    assert_res(&res, 206, None, "part");
    assert_eq!(res.header("x-built"), Some("yes"));
    let res = call(|| async {
        hiver::response::Builder::new()
            .status(418)
            .body(Body::empty())
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
    });
    assert_eq!(res.status(), 418);
}
