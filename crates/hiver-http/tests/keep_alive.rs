//! Persistent connections, pipelining and half-close (RFC 9112 §9).

mod common;

use std::time::Duration;

use common::{both_drivers, get, post, start};

both_drivers! {
    fn three_requests_on_one_connection(d) {
        let server = start(d);
        let mut c = server.client();
        for i in 1..=3 {
            c.send(get(&format!("/uri/{i}")));
            let resp = c.response();
            assert_eq!(resp.status, 200);
            assert_eq!(resp.text(), format!("/uri/{i}"));
            assert!(!resp.has_token("connection", "close"), "{resp:?}");
        }
    }

    // RFC 9112 §9.3: an HTTP/1.0 request without "keep-alive" is not persistent.
    fn http10_without_keep_alive_closes(d) {
        let server = start(d);
        let mut c = server.client();
        c.send("GET / HTTP/1.0\r\n\r\n");
        let resp = c.response();
        assert_eq!((resp.status, resp.text().as_str()), (200, "hello"));
        c.expect_closed();
    }

    // RFC 9112 §9.3 / Appendix C.2.2: HTTP/1.0 keep-alive. The response must say
    // `Connection: keep-alive`, or an HTTP/1.0 client assumes the connection closes.
    fn http10_keep_alive_stays_open(d) {
        let server = start(d);
        let mut c = server.client();
        for _ in 0..2 {
            c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            let resp = c.response();
            assert_eq!((resp.status, resp.text().as_str()), (200, "hello"));
            assert!(resp.has_token("connection", "keep-alive"), "{resp:?}");
            assert!(resp.header("content-length").is_some(), "{resp:?}");
        }
    }

    // RFC 9112 §9.6: the server MUST close after the response to a request with
    // `Connection: close`, and SHOULD say so in that response.
    fn connection_close_closes(d) {
        let server = start(d);
        let mut c = server.client();
        c.send("GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
        let resp = c.response();
        assert_eq!(resp.status, 200);
        assert!(resp.has_token("connection", "close"), "{resp:?}");
        c.expect_closed();
    }

    // RFC 9112 §9.3.2: responses to pipelined requests come in the order of the requests.
    fn sixteen_pipelined_in_order(d) {
        let server = start(d);
        let mut c = server.client();
        let batch: String = (0..16).map(|i| get(&format!("/uri/{i}?q={i}"))).collect();
        c.send(batch);
        for i in 0..16 {
            let resp = c.response();
            assert_eq!(resp.text(), format!("/uri/{i}?q={i}"), "response #{i}");
        }
        c.send(get("/uri/after"));
        assert_eq!(c.response().text(), "/uri/after");
    }

    fn pipelined_with_bodies(d) {
        let server = start(d);
        let mut c = server.client();
        let chunked = "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n\
                       3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n";
        let batch = [
            post("/echo", "first"),
            get("/uri/2"),
            chunked.to_owned(),
            post("/echo", ""),
            post("/echo", &"x".repeat(3000)),
            get("/uri/6"),
        ]
        .concat();
        c.send(batch);
        let want = ["first", "/uri/2", "abcdefg", "", &"x".repeat(3000), "/uri/6"];
        for (i, want) in want.iter().enumerate() {
            let resp = c.response();
            assert_eq!(resp.status, 200, "response #{i}: {resp:?}");
            assert_eq!(&resp.text(), want, "response #{i}");
        }
    }

    fn half_close_after_one_request(d) {
        let server = start(d);
        let mut c = server.client();
        c.send(get("/uri/half"));
        c.shutdown_write();
        assert_eq!(c.response().text(), "/uri/half");
        c.expect_closed();
    }

    fn half_close_after_three_pipelined(d) {
        let server = start(d);
        let mut c = server.client();
        c.send([get("/uri/a"), post("/echo", "b"), get("/slow?ms=50")].concat());
        c.shutdown_write();
        assert_eq!(c.response().text(), "/uri/a");
        assert_eq!(c.response().text(), "b");
        assert_eq!(c.response().text(), "slept 50");
        c.expect_closed();
    }

    // Many clients at once on two workers: each gets its own answers.
    fn concurrent_connections(d) {
        let server = start(d);
        let addr = server.addr();
        let threads: Vec<_> = (0..8)
            .map(|t| {
                std::thread::spawn(move || {
                    let mut c = common::Client::connect(addr);
                    for i in 0..5 {
                        c.send(get(&format!("/uri/{t}/{i}")));
                        assert_eq!(c.response().text(), format!("/uri/{t}/{i}"));
                        std::thread::sleep(Duration::from_millis(2));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("client thread panicked");
        }
    }

    // RFC 9112 §9.6: after the response to a request with "close", the server closes
    // and SHOULD NOT process further requests on that connection.
    fn nothing_answered_after_connection_close(d) {
        let server = start(d);
        let mut c = server.client();
        let close = "GET /uri/1 HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
        c.send([close, &get("/uri/2")].concat());
        assert_eq!(c.response().text(), "/uri/1");
        c.expect_closed();
    }

    fn nothing_answered_after_http10_request(d) {
        let server = start(d);
        let mut c = server.client();
        c.send(["GET /uri/1 HTTP/1.0\r\n\r\n", &get("/uri/2")].concat());
        assert_eq!(c.response().text(), "/uri/1");
        c.expect_closed();
    }

    // More pipelined requests than one read buffer holds.
    fn five_hundred_pipelined(d) {
        let server = start(d);
        let mut c = server.client();
        c.send((0..500).map(|i| get(&format!("/uri/{i}"))).collect::<String>());
        for i in 0..500 {
            assert_eq!(c.response().text(), format!("/uri/{i}"), "response #{i}");
        }
    }
}
