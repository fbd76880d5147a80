//! Request bodies: Content-Length, chunked, split writes, `Expect: 100-continue`
//! (RFC 9112 §6, §7; RFC 9110 §10.1.1).

mod common;

use std::time::Duration;

use common::{both_drivers, get, post, start};

both_drivers! {
    fn content_length_body(d) {
        let server = start(d);
        let mut c = server.client();
        c.send(post("/echo", "hello world"));
        let resp = c.response();
        assert_eq!(resp.text(), "hello world");
        assert_eq!(resp.header("x-body-len"), Some("11"));
    }

    // RFC 9112 §7.1.1: unrecognised chunk extensions are ignored; §7.1.2: trailer fields
    // may be discarded. The next request proves the trailer section was consumed.
    fn chunked_body_with_extensions_and_trailers(d) {
        let server = start(d);
        let mut c = server.client();
        c.send(
            "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n\
             5;foo=bar\r\nhello\r\n6;name=\"quoted;value\";flag\r\n world\r\n\
             A\r\n0123456789\r\n0;last=1\r\nX-Trailer: t\r\nX-Other: u\r\n\r\n",
        );
        let resp = c.response();
        assert_eq!(resp.text(), "hello world0123456789");
        assert_eq!(resp.header("x-body-len"), Some("21"));
        c.send(get("/uri/next"));
        assert_eq!(c.response().text(), "/uri/next");
    }

    // RFC 9112 §7.1: chunk-size is hex, any case, may have leading zeros.
    fn chunked_size_hex_any_case(d) {
        let server = start(d);
        let mut c = server.client();
        let body = "y".repeat(0x1f);
        c.send(format!(
            "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n\
             001F\r\n{body}\r\n1f\r\n{body}\r\n0\r\n\r\n"
        ));
        assert_eq!(c.response().header("x-body-len"), Some("62"));
    }

    fn chunked_body_split_across_small_writes(d) {
        let server = start(d);
        let mut c = server.client();
        let request = "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n\
                       4;e=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nT: v\r\n\r\n";
        c.send_slowly(request.as_bytes(), 3, Duration::from_millis(3));
        assert_eq!(c.response().text(), "Wikipedia in\r\n\r\nchunks.");
        c.send(get("/uri/next"));
        assert_eq!(c.response().text(), "/uri/next");
    }

    fn content_length_body_after_a_pause(d) {
        let server = start(d);
        let mut c = server.client();
        c.send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\n01234");
        std::thread::sleep(Duration::from_millis(100));
        c.send("56789");
        assert_eq!(c.response().text(), "0123456789");
    }

    fn large_body_and_large_response(d) {
        let server = start(d);
        let mut c = server.client();
        let body: String = (0..200_000).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
        c.send(post("/echo", &body));
        let resp = c.response();
        assert_eq!(resp.header("x-body-len"), Some("200000"));
        assert!(resp.text() == body, "echoed body differs");
        c.send(get("/big?n=1000000"));
        assert_eq!(c.response().body.len(), 1_000_000);
    }

    // RFC 9110 §9.3.1: a GET body has no meaning, but its framing still holds: the
    // body must be consumed, never parsed as the next request.
    fn get_with_body_is_consumed(d) {
        let server = start(d);
        let mut c = server.client();
        c.send("GET /uri/a HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nGET /");
        assert_eq!(c.response().text(), "/uri/a");
        c.send(get("/uri/b"));
        assert_eq!(c.response().text(), "/uri/b");
    }

    // RFC 9110 §10.1.1: the server sends 100 (Continue) before the client sends content.
    fn expect_100_continue(d) {
        let server = start(d);
        let mut c = server.client();
        c.send(
            "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\
             Expect: 100-continue\r\n\r\n",
        );
        let interim = c
            .try_response(false, Duration::from_secs(3))
            .unwrap_or_else(|e| panic!("no 100 Continue: {}", common::client::describe(&e)));
        assert_eq!((interim.version.as_str(), interim.status), ("HTTP/1.1", 100));
        c.send("hello");
        let resp = c.response();
        assert_eq!((resp.status, resp.text().as_str()), (200, "hello"));
        c.send(get("/uri/next"));
        assert_eq!(c.response().text(), "/uri/next");
    }

    // RFC 9110 §10.1.1: a client may send the body without waiting for 100; the server
    // then must not take the body for a new request. A 100 may still precede the answer.
    fn expect_100_with_body_sent_at_once(d) {
        let server = start(d);
        let mut c = server.client();
        c.send(
            "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\
             Expect: 100-continue\r\n\r\nhello",
        );
        let mut resp = c.response();
        if resp.status == 100 {
            resp = c.response();
        }
        assert_eq!((resp.status, resp.text().as_str()), (200, "hello"));
        c.send(get("/uri/next"));
        assert_eq!(c.response().text(), "/uri/next");
    }

    fn absolute_form_target(d) {
        // RFC 9112 §3.2.2: a server MUST accept the absolute-form.
        let server = start(d);
        let mut c = server.client();
        c.send("GET http://test/uri/abs?x=1 HTTP/1.1\r\nHost: test\r\n\r\n");
        assert_eq!(c.response().text(), "/uri/abs?x=1");
    }

    fn method_and_headers_reach_the_service(d) {
        let server = start(d);
        let mut c = server.client();
        c.send("DELETE /method HTTP/1.1\r\nHost: test\r\n\r\n");
        assert_eq!(c.response().text(), "DELETE");
        c.send("GET /header?name=x-echo HTTP/1.1\r\nHost: test\r\nX-Echo:  a b \t\r\nx-echo: c\r\n\r\n");
        assert_eq!(c.response().text(), "a b|c");
        c.send("GET /version HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        assert_eq!(c.response().text(), "HTTP/1.0");
    }

    fn connection_info_reaches_the_service(d) {
        let server = start(d);
        let mut c = server.client();
        c.send(get("/peer"));
        let resp = c.response();
        assert_eq!(resp.status, 200, "{resp:?}");
        assert_eq!(resp.text(), format!("{} {}", c.local_addr(), server.addr()));
    }

    // Every way the bytes of a chunked request and the request after it can be cut into
    // two reads: the body and the next request must come out the same.
    fn chunked_request_split_at_every_byte(d) {
        let server = start(d);
        let first = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
                     3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n";
        let all = [first, &get("/uri/next")].concat();
        for cut in 1..all.len() {
            let mut c = server.client();
            c.send(&all[..cut]);
            std::thread::sleep(Duration::from_millis(3));
            c.send(&all[cut..]);
            assert_eq!(c.response().text(), "abcde", "cut at {cut}");
            assert_eq!(c.response().text(), "/uri/next", "cut at {cut}");
        }
    }

    fn content_length_request_split_at_every_byte(d) {
        let server = start(d);
        let all = [post("/echo", "0123456789"), get("/uri/next")].concat();
        for cut in 1..all.len() {
            let mut c = server.client();
            c.send(&all[..cut]);
            std::thread::sleep(Duration::from_millis(3));
            c.send(&all[cut..]);
            assert_eq!(c.response().text(), "0123456789", "cut at {cut}");
            assert_eq!(c.response().text(), "/uri/next", "cut at {cut}");
        }
    }

    fn many_one_byte_chunks(d) {
        let server = start(d);
        let mut c = server.client();
        let chunks: String = (0..2000).map(|i| format!("1\r\n{}\r\n", i % 10)).collect();
        c.send(format!(
            "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n{chunks}0\r\n\r\n"
        ));
        let resp = c.response();
        assert_eq!(resp.header("x-body-len"), Some("2000"));
        assert!(resp.text().starts_with("0123456789012"), "{:?}", &resp.text()[..20]);
    }

    // RFC 9110 §10.1.1: a 100-continue expectation in an HTTP/1.0 request MUST be ignored.
    fn expect_100_ignored_for_http10(d) {
        let server = start(d);
        let mut c = server.client();
        c.send("POST /echo HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
        c.expect_silence(Duration::from_millis(300));
        c.send("hello");
        let resp = c.response();
        assert_eq!((resp.status, resp.text().as_str()), (200, "hello"));
    }

    // RFC 9112 §8: a body cut short by the client's close is incomplete; it must never
    // reach the handler as if it were whole.
    fn truncated_bodies_are_not_served(d) {
        let server = start(d);
        let truncated = [
            "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\n012",
            "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
            "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
        ];
        for request in truncated {
            let mut c = server.client();
            c.send(request);
            c.shutdown_write();
            let (closed, bytes) = c.wait_closed(Duration::from_secs(3));
            assert!(closed.is_some(), "{request:?}: connection left open");
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                bytes.is_empty() || text.starts_with("HTTP/1.1 400 "),
                "{request:?} got {text:?}"
            );
        }
    }

    // RFC 9112 §7: transfer-coding names are case-insensitive; RFC 9110 §5.1: so are
    // field names; §5.6.3: OWS around values is not part of them.
    fn framing_headers_in_any_case_and_spacing(d) {
        let server = start(d);
        let mut c = server.client();
        c.send(
            "POST /echo HTTP/1.1\r\nHost: test\r\ntransfer-ENCODING:\tChunked\t\r\n\r\n\
             2\r\nok\r\n0\r\n\r\n",
        );
        assert_eq!(c.response().text(), "ok");
        c.send("POST /echo HTTP/1.1\r\nHost: test\r\ncontent-LENGTH:   3  \r\n\r\nabc");
        assert_eq!(c.response().text(), "abc");
    }

    // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before a request-line.
    fn empty_line_before_request_line_is_ignored(d) {
        let server = start(d);
        let mut c = server.client();
        c.send([post("/echo", "abc"), "\r\n".to_owned(), get("/uri/next")].concat());
        assert_eq!(c.response().text(), "abc");
        assert_eq!(c.response().text(), "/uri/next");
    }

    // RFC 9112 §3.2.4: the asterisk-form is valid for OPTIONS.
    fn options_asterisk_form_is_accepted(d) {
        let server = start(d);
        let mut c = server.client();
        c.send("OPTIONS * HTTP/1.1\r\nHost: test\r\n\r\n");
        assert_eq!(c.response().status, 404, "the test service has no route for *");
    }
}
