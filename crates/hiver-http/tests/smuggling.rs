//! Request smuggling: bytes that belong to one request (its body, or a rejected request)
//! must never be answered as another request (RFC 9112 §11.2).

mod common;

use common::{both_drivers, get, post, start};

const INNER: &str = "GET /uri/smuggled HTTP/1.1\r\nHost: test\r\n\r\n";

both_drivers! {
    fn request_inside_a_content_length_body_is_just_body(d) {
        let s = start(d);
        let mut c = s.client();
        c.send([post("/echo", INNER), get("/uri/after")].concat());
        assert_eq!(c.response().text(), INNER);
        assert_eq!(c.response().text(), "/uri/after");
    }

    fn request_inside_a_chunked_body_is_just_body(d) {
        let s = start(d);
        let mut c = s.client();
        c.send(format!(
            "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n\
             {:x}\r\n{INNER}\r\n0\r\n\r\n{}",
            INNER.len(),
            get("/uri/after")
        ));
        assert_eq!(c.response().text(), INNER);
        assert_eq!(c.response().text(), "/uri/after");
    }

    // CL.TE: a front end honouring Content-Length would forward "0\r\n\r\nG..." as body;
    // a back end honouring chunked would see "G..." as the next request.
    fn cl_te_is_rejected_and_closed(d) {
        let s = start(d);
        let mut c = s.client();
        let body = format!("0\r\n\r\n{INNER}");
        c.send(format!(
            "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\
             Transfer-Encoding: chunked\r\n\r\n{body}",
            body.len()
        ));
        assert_eq!(c.response().status, 400);
        c.expect_closed();
    }

    // TE.CL: the chunk holds a whole request; Content-Length claims only "5c\r\n".
    fn te_cl_is_rejected_and_closed(d) {
        let s = start(d);
        let mut c = s.client();
        c.send(format!(
            "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 4\r\n\
             Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{INNER}\r\n0\r\n\r\n",
            INNER.len()
        ));
        assert_eq!(c.response().status, 400);
        c.expect_closed();
    }

    // Obfuscated Transfer-Encoding headers a lenient parser might skip, leaving
    // Content-Length to frame the body: every one must be refused, never answered twice.
    fn obfuscated_transfer_encoding_is_refused(d) {
        let s = start(d);
        let variants = [
            "Transfer-Encoding : chunked",
            "Transfer-Encoding: xchunked",
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: x",
            "Transfer-Encoding:\x0bchunked",
            "Transfer-Encoding: chunked\r\n Content-Length: 4",
            "X: y\r\nTransfer-Encoding\r\n : chunked",
        ];
        for te in variants {
            let mut c = s.client();
            c.send(format!(
                "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 4\r\n{te}\r\n\r\n\
                 0\r\n\r\n{INNER}"
            ));
            let resp = c.response();
            assert!(
                matches!(resp.status, 400 | 501),
                "{te:?} got {} {:?}",
                resp.status,
                resp.text()
            );
            c.expect_closed();
        }
    }

    // A good request, then a rejected one carrying a smuggled request: exactly two
    // responses, the second a 400, and nothing for the smuggled bytes.
    fn nothing_answered_after_a_rejected_request(d) {
        let s = start(d);
        let mut c = s.client();
        c.send(format!(
            "{}POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\n\
             hello{INNER}{INNER}",
            get("/uri/first")
        ));
        assert_eq!(c.response().text(), "/uri/first");
        assert_eq!(c.response().status, 400);
        c.expect_closed();
    }

    // Unreadable framing in the middle of a pipeline: the requests before it are served,
    // nothing after it is.
    fn bad_chunk_stops_the_pipeline(d) {
        let s = start(d);
        let mut c = s.client();
        c.send(format!(
            "{}POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n\
             5\r\nhelloXX0\r\n\r\n{INNER}",
            get("/uri/first")
        ));
        assert_eq!(c.response().text(), "/uri/first");
        assert_eq!(c.response().status, 400);
        c.expect_closed();
    }
}
