//! What the server writes: chunked streams, HEAD, `Date` and `Server`
//! (RFC 9112 §6–§7, RFC 9110 §6.6.1, §9.3.2).

mod common;

use common::response::Framing;
use common::service::{big_body, stream_body};
use common::{assert_date_and_server, both_drivers, get, post, start};

both_drivers! {
    // A file body goes out after its head (with `sendfile`, being over 8 KiB and, on
    // io_uring, all in the page cache), framed by Content-Length, and the connection goes
    // on. The 5,000-byte files of the tests below are read on both drivers.
    fn file_body_is_sent_whole_with_its_length(d) {
        let server = start(d);
        let mut c = server.client();
        c.send(get("/file?n=300000"));
        let resp = c.response();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.framing, Framing::Length(300_000), "{:?}", resp.headers);
        assert!(resp.body == big_body(300_000), "the file body differs");
        c.send(get("/uri/after-file"));
        assert_eq!(c.response().text(), "/uri/after-file");
    }

    fn head_of_a_file_body_has_its_length_and_no_body(d) {
        let server = start(d);
        let mut c = server.client();
        c.send("HEAD /file?n=70000 HTTP/1.1\r\nHost: test\r\n\r\n");
        assert_eq!(c.head_response().header("content-length"), Some("70000"));
        c.send(get("/uri/after-head"));
        assert_eq!(c.response().text(), "/uri/after-head", "stray bytes after the HEAD response?");
    }

    // Pipelined: the queued responses before a file body leave first, the ones after it
    // follow it, in order.
    fn file_bodies_pipelined_with_other_responses_keep_their_order(d) {
        let server = start(d);
        let mut c = server.client();
        c.send([get("/file?n=5000"), get("/uri/1"), get("/file?n=70000"), get("/uri/2")].concat());
        assert!(c.response().body == big_body(5000));
        assert_eq!(c.response().text(), "/uri/1");
        assert!(c.response().body == big_body(70_000));
        assert_eq!(c.response().text(), "/uri/2");
    }

    // A large region that is not all in the page cache (its last 500 bytes lie past the
    // end of the file) is read through the ring on io_uring, 128 KiB at a time, and goes
    // out with `sendfile` on epoll: either way every byte the file has arrives, in order,
    // and the connection ends where the file does.
    fn a_large_file_read_in_pieces_arrives_whole_up_to_its_end(d) {
        let server = start(d);
        let mut c = server.client();
        c.send(get("/file?n=300000&over=500"));
        let (closed, bytes) = c.wait_closed(std::time::Duration::from_secs(5));
        assert!(closed.is_some(), "the connection stayed open");
        let (head, body) = head_and_body(&bytes);
        assert!(head.contains("content-length: 300500"), "{head}");
        assert_eq!(body.len(), 300_000);
        assert!(body == &big_body(300_000)[..], "the file's bytes, in order");
    }

    // An in-memory file over 8 KiB goes out with `sendfile` on both drivers (a smaller one
    // is read and sent with its head): whole, in order with what is pipelined around it,
    // and not at all for HEAD.
    fn in_memory_file_bodies_are_sent_whole_and_in_order(d) {
        let server = start(d);
        let mut c = server.client();
        c.send([get("/memory?n=90000"), get("/uri/1"), get("/memory?n=4000"), get("/uri/2")].concat());
        let resp = c.response();
        assert_eq!(resp.framing, Framing::Length(90_000), "{:?}", resp.headers);
        assert!(resp.body == big_body(90_000), "the in-memory file body differs");
        assert_eq!(c.response().text(), "/uri/1");
        assert!(c.response().body == big_body(4000));
        assert_eq!(c.response().text(), "/uri/2");
        c.send("HEAD /memory?n=90000 HTTP/1.1\r\nHost: test\r\n\r\n");
        assert_eq!(c.head_response().header("content-length"), Some("90000"));
        c.send(get("/uri/after-head"));
        assert_eq!(c.response().text(), "/uri/after-head", "stray bytes after the HEAD response?");
    }

    // A file that turns out shorter than its region cannot be reported after the head:
    // the connection ends, and the client sees a short body, never a wrong one.
    fn a_file_shorter_than_its_region_ends_the_connection(d) {
        let server = start(d);
        let mut c = server.client();
        c.send(get("/file?n=1000&over=500"));
        let (closed, bytes) = c.wait_closed(std::time::Duration::from_secs(5));
        assert!(closed.is_some(), "the connection stayed open");
        let (head, body) = head_and_body(&bytes);
        assert!(head.contains("content-length: 1500"), "{head}");
        assert_eq!(body, &big_body(1000)[..]);
    }

    // The strict client parser checks the chunked encoding itself (sizes, CRLFs,
    // last-chunk, trailer section); the next request checks nothing trails it.
    fn streaming_response_is_valid_chunked(d) {
        let server = start(d);
        let mut c = server.client();
        c.send(get("/stream?n=5"));
        let resp = c.response();
        assert_eq!(resp.framing, Framing::Chunked, "{resp:?}");
        assert_eq!(resp.text(), stream_body(5));
        c.send(get("/stream?n=3&delay=20"));
        assert_eq!(c.response().text(), stream_body(3));
        c.send(get("/uri/next"));
        assert_eq!(c.response().text(), "/uri/next");
    }

    // Chunks a stream has ready are batched, but nothing waits on a stream that waits:
    // the head goes out before the first chunk, which this stream makes 1 s late.
    fn a_waiting_stream_gets_its_head_out_before_it_waits(d) {
        let server = start(d);
        let mut c = server.client();
        c.send(get("/stream?n=1&delay=1000"));
        let early = c.try_response(false, std::time::Duration::from_millis(500));
        let Err(common::client::ReadError::Timeout { partial }) = early else {
            panic!("expected only the head within 500 ms, got {early:?}");
        };
        let text = String::from_utf8_lossy(&partial).to_ascii_lowercase();
        assert!(text.starts_with("http/1.1 200"), "{text}");
        assert!(text.contains("transfer-encoding: chunked"), "{text}");
        assert!(!text.contains("chunk0"), "the chunk came early: {text}");
    }

    fn empty_stream_is_valid_chunked(d) {
        let server = start(d);
        let mut c = server.client();
        c.send(get("/stream?n=0"));
        let resp = c.response();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.text(), "");
        c.send(get("/uri/next"));
        assert_eq!(c.response().text(), "/uri/next");
    }

    // RFC 9112 §6.1: no Transfer-Encoding in a response to an HTTP/1.0 request;
    // the body is then delimited by closing the connection (§6.3 rule 8).
    fn streaming_response_to_http10_is_raw_then_close(d) {
        let server = start(d);
        let mut c = server.client();
        c.send("GET /stream?n=4 HTTP/1.0\r\n\r\n");
        let resp = c.response();
        assert_eq!(resp.header("transfer-encoding"), None, "{resp:?}");
        assert_eq!(resp.framing, Framing::Close);
        assert_eq!(resp.text(), stream_body(4));
    }

    // Even with keep-alive requested, an unknown-length body to HTTP/1.0 needs a close.
    fn streaming_response_to_http10_keep_alive(d) {
        let server = start(d);
        let mut c = server.client();
        c.send("GET /stream?n=2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        let resp = c.response();
        assert_eq!(resp.header("transfer-encoding"), None, "{resp:?}");
        assert_eq!(resp.text(), stream_body(2));
    }

    // RFC 9110 §9.3.2: HEAD gets the GET headers (Content-Length included,
    // §8.6) and no content (RFC 9112 §6.3 rule 1).
    fn head_has_length_but_no_body(d) {
        let server = start(d);
        let mut c = server.client();
        c.send("HEAD / HTTP/1.1\r\nHost: test\r\n\r\n");
        let resp = c.head_response();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.header("content-length"), Some("5"));
        c.send(get("/uri/after-head"));
        let next = c.response();
        assert_eq!(next.text(), "/uri/after-head", "stray bytes after the HEAD response?");
    }

    fn head_pipelined_with_gets(d) {
        let server = start(d);
        let mut c = server.client();
        let head = "HEAD /big?n=3000 HTTP/1.1\r\nHost: test\r\n\r\n";
        c.send([head, &get("/uri/1"), head, &get("/uri/2")].concat());
        assert_eq!(c.head_response().header("content-length"), Some("3000"));
        assert_eq!(c.response().text(), "/uri/1");
        assert_eq!(c.head_response().header("content-length"), Some("3000"));
        assert_eq!(c.response().text(), "/uri/2");
    }

    fn every_response_has_date_and_server(d) {
        let server = start(d);
        let mut c = server.client();
        c.send([get("/"), get("/missing"), post("/echo", "x"), get("/stream?n=1")].concat());
        let statuses: Vec<u16> = (0..4)
            .map(|_| {
                let resp = c.response();
                assert_date_and_server(&resp);
                resp.status
            })
            .collect();
        assert_eq!(statuses, [200, 404, 200, 200]);
        c.send("GET / HTTP/1.1\r\n\r\n");
        let rejected = c.response();
        assert_eq!(rejected.status, 400);
        assert_date_and_server(&rejected);
    }

    // RFC 9112 §6.3 rule 1 and RFC 9110 §8.6: a 204 or 304 has no content and a 204
    // has no Content-Length, whatever body the handler returned; any byte written after
    // the head would be read as the start of the next response.
    fn no_body_on_204_and_304(d) {
        let server = start(d);
        let mut c = server.client();
        c.send([get("/status?code=204"), get("/status?code=304"), get("/uri/next")].concat());
        let no_content = c.response();
        assert_eq!(no_content.status, 204);
        assert_eq!(no_content.header("content-length"), None, "{no_content:?}");
        assert_eq!(no_content.header("transfer-encoding"), None, "{no_content:?}");
        assert_eq!(c.response().status, 304);
        assert_eq!(c.response().text(), "/uri/next", "stray body bytes after 204/304?");
    }

    // HEAD of a streamed body: headers only; no chunk, not even the last-chunk.
    fn head_of_a_stream_sends_no_chunks(d) {
        let server = start(d);
        let mut c = server.client();
        c.send("HEAD /stream?n=3 HTTP/1.1\r\nHost: test\r\n\r\n");
        assert_eq!(c.head_response().status, 200);
        c.send(get("/uri/next"));
        assert_eq!(c.response().text(), "/uri/next", "stray chunk bytes after HEAD?");
    }

    // The Date cache must move on: two answers more than a second apart differ.
    fn date_advances(d) {
        let server = start(d);
        let mut c = server.client();
        c.send(get("/"));
        let first = c.response();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        c.send(get("/"));
        let second = c.response();
        assert_date_and_server(&second);
        assert_ne!(first.header("date"), second.header("date"));
    }
}

/// The head (lowercased text) and the body bytes of a response the server ended by
/// closing the connection.
fn head_and_body(bytes: &[u8]) -> (String, &[u8]) {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    (
        String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase(),
        &bytes[end + 4..],
    )
}
