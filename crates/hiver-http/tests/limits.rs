//! Configured limits: head bytes and field count (431, RFC 6585 §5), request-target length
//! (414, RFC 9110 §15.5.15) and body size (413, RFC 9110 §15.5.14).
//!
//! A refused request is answered with `Connection: close` and the connection closes: the
//! rest of it is never read as a new request (RFC 9112 §9.6, §11.2). Each refused case is
//! followed by, or carries inside it, a complete request that must get no answer.

mod common;

use std::time::Duration;

use common::config::{MAX_BODY_BYTES, MAX_HEADER_BYTES, MAX_HEADERS, MAX_URI_LEN, small_limits};
use common::{TestServer, assert_all_rejected, both_drivers, get, post, start_with};

fn server(d: hiver_runtime::Driver) -> TestServer {
    start_with(d, small_limits)
}

fn status_of(server: &TestServer, request: &str) -> u16 {
    let mut c = server.client();
    c.send(request);
    c.response().status
}

/// A complete request that must never be answered.
fn smuggled() -> String {
    get("/uri/smuggled")
}

/// Sends `request` and checks it gets `status`, `Connection: close` and then a close with
/// nothing more.
fn assert_refused(server: &TestServer, request: &str, status: u16) {
    assert_all_rejected(server, &[("over the limit", request.as_bytes(), status)]);
}

/// `POST /echo` with `chunks` as a chunked body, then `after`.
fn chunked_post(chunks: &[&str], after: &str) -> String {
    let body: String = chunks
        .iter()
        .map(|c| format!("{:x}\r\n{c}\r\n", c.len()))
        .collect();
    format!(
        "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n\
         {body}0\r\n\r\n{after}"
    )
}

fn with_headers(n: usize, value_len: usize) -> String {
    let fields: String = (0..n)
        .map(|i| format!("X-F{i}: {}\r\n", "v".repeat(value_len)))
        .collect();
    format!("GET / HTTP/1.1\r\nHost: test\r\n{fields}\r\n")
}

both_drivers! {
    fn head_within_byte_limit_is_served(d) {
        let s = server(d);
        let req = with_headers(1, 600);
        assert!(req.len() < 1000);
        assert_eq!(status_of(&s, &req), 200);
    }

    fn head_over_byte_limit_gets_431(d) {
        let s = server(d);
        assert_refused(&s, &format!("{}{}", with_headers(1, 2000), smuggled()), 431);
    }

    // A head that never ends must be refused once it crosses the limit, not buffered
    // until the blank line arrives.
    fn endless_head_gets_431_before_it_ends(d) {
        let s = server(d);
        let req = format!("GET / HTTP/1.1\r\nHost: test\r\nX-Long: {}", "v".repeat(4000));
        assert_refused(&s, &req, 431);
    }

    fn field_count_within_limit_is_served(d) {
        let s = server(d);
        assert_eq!(status_of(&s, &with_headers(MAX_HEADERS - 1, 3)), 200);
    }

    fn field_count_over_limit_gets_431(d) {
        let s = server(d);
        let req = with_headers(MAX_HEADERS * 3, 3);
        assert!(req.len() < MAX_HEADER_BYTES, "the count is the limit crossed");
        assert_refused(&s, &format!("{req}{}", smuggled()), 431);
    }

    fn uri_at_limit_is_served(d) {
        let s = server(d);
        let path = format!("/uri/{}", "p".repeat(MAX_URI_LEN - 5));
        assert_eq!(path.len(), MAX_URI_LEN);
        assert_eq!(status_of(&s, &get(&path)), 200);
    }

    fn uri_over_limit_gets_414(d) {
        let s = server(d);
        let path = format!("/uri/{}", "p".repeat(MAX_URI_LEN * 4));
        assert_refused(&s, &format!("{}{}", get(&path), smuggled()), 414);
    }

    fn body_at_limit_is_served(d) {
        let s = server(d);
        let mut c = s.client();
        c.send(post("/echo", &"b".repeat(MAX_BODY_BYTES)));
        let resp = c.response();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.body.len(), MAX_BODY_BYTES);
    }

    fn content_length_over_limit_gets_413(d) {
        let s = server(d);
        // The body is requests: read as the next request if the body were skipped unread.
        let body = smuggled().repeat(2);
        assert!(body.len() > MAX_BODY_BYTES);
        assert_refused(&s, &post("/echo", &body), 413);
    }

    // The length is known from the head: no need to wait for a petabyte.
    fn huge_content_length_gets_413_at_once(d) {
        let s = server(d);
        let req = format!(
            "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 1000000000000000\r\n\r\n{}",
            smuggled()
        );
        assert_refused(&s, &req, 413);
    }

    fn chunked_body_over_limit_gets_413(d) {
        let s = server(d);
        // The chunks hold requests, and one follows the body.
        let chunk = smuggled();
        assert!(2 * chunk.len() > MAX_BODY_BYTES && chunk.len() <= MAX_BODY_BYTES);
        assert_refused(&s, &chunked_post(&[&chunk, &chunk], &smuggled()), 413);
    }

    fn chunked_body_at_limit_is_served(d) {
        let s = server(d);
        let chunk = "c".repeat(32);
        let mut c = s.client();
        c.send(chunked_post(&[&chunk, &chunk], ""));
        assert_eq!(c.response().header("x-body-len"), Some("64"));
    }

    // RFC 9110 §10.1.1: a server may answer with a final status instead of 100; with a
    // body it will refuse anyway it must not invite the client to send it.
    fn expect_continue_over_limit_gets_413_without_100(d) {
        let s = server(d);
        // A 100 would be read as the first response, and fail the status check.
        let req = "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n\
                   Expect: 100-continue\r\n\r\n";
        assert_refused(&s, req, 413);
    }

    // RFC 9112 §7.1.1: a server ought to limit chunk extensions and answer 4xx past the
    // limit, rather than buffer them without end.
    fn endless_chunk_extension_is_refused(d) {
        let s = server(d);
        let mut c = s.client();
        c.send(format!(
            "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5;ext={}",
            "e".repeat(256 * 1024)
        ));
        let resp = c.try_response(false, Duration::from_secs(3));
        let resp = resp.unwrap_or_else(|e| panic!("{}", common::client::describe(&e)));
        assert!((400..500).contains(&resp.status), "{resp:?}");
        assert!(resp.has_token("connection", "close"), "{resp:?}");
        c.expect_closed();
    }

    // Trailer fields are a head of their own and need the same bound (RFC 9112 §7.1.2).
    fn endless_trailer_section_is_refused(d) {
        let s = server(d);
        let mut c = s.client();
        let trailers: String = (0..4000).map(|i| format!("X-T{i}: {}\r\n", "t".repeat(60))).collect();
        c.send(format!(
            "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n\
             5\r\nhello\r\n0\r\n{trailers}"
        ));
        let resp = c.try_response(false, Duration::from_secs(3));
        let resp = resp.unwrap_or_else(|e| panic!("{}", common::client::describe(&e)));
        assert!((400..500).contains(&resp.status), "{resp:?}");
        assert!(resp.has_token("connection", "close"), "{resp:?}");
        c.expect_closed();
    }
}
