//! Malformed requests: the right 4xx/5xx, then the connection closes, since the framing of
//! anything after a bad request cannot be trusted (RFC 9112 §6.3, §11.2).

mod common;

use common::{assert_all_rejected, both_drivers, start};

const BODY5: &str = "\r\n\r\nhello";

fn with_header(field: &str) -> Vec<u8> {
    format!("POST /echo HTTP/1.1\r\nHost: test\r\n{field}{BODY5}").into_bytes()
}

fn chunked(body: &str) -> Vec<u8> {
    format!("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n{body}")
        .into_bytes()
}

both_drivers! {
    // RFC 9112 §6.3 rule 5 and RFC 9110 §8.6: Content-Length is 1*DIGIT; differing or
    // invalid values are an unrecoverable framing error (400, then close).
    fn bad_content_length(d) {
        let s = start(d);
        let cl = |v: &str| with_header(&format!("Content-Length: {v}"));
        assert_all_rejected(&s, &[
            ("CL + TE", &with_header("Content-Length: 5\r\nTransfer-Encoding: chunked"), 400),
            ("two differing CL", &with_header("Content-Length: 5\r\nContent-Length: 6"), 400),
            ("CL list differing", &cl("5, 6"), 400),
            ("non-numeric", &cl("abc"), 400),
            ("negative", &cl("-5"), 400),
            ("plus sign", &cl("+5"), 400),
            ("hex", &cl("0x5"), 400),
            ("decimal point", &cl("5.0"), 400),
            ("inner space", &cl("5 5"), 400),
            ("empty", &cl(""), 400),
            ("overflow", &cl("99999999999999999999999999"), 400),
        ]);
    }

    // RFC 9112 §7.1: chunk-size = 1*HEXDIG, each chunk's data is followed by CRLF.
    fn bad_chunked_framing(d) {
        let s = start(d);
        assert_all_rejected(&s, &[
            ("non-hex size", &chunked("zz\r\nhello\r\n0\r\n\r\n"), 400),
            ("negative size", &chunked("-5\r\nhello\r\n0\r\n\r\n"), 400),
            ("0x prefix", &chunked("0x5\r\nhello\r\n0\r\n\r\n"), 400),
            ("empty size", &chunked("\r\nhello\r\n0\r\n\r\n"), 400),
            ("size overflows u64", &chunked("1ffffffffffffffff\r\nhello\r\n0\r\n\r\n"), 400),
            ("data not followed by CRLF", &chunked("5\r\nhelloXX\r\n0\r\n\r\n"), 400),
            ("data longer than size", &chunked("3\r\nhello\r\n0\r\n\r\n"), 400),
        ]);
    }

    fn bad_header_syntax(d) {
        let s = start(d);
        assert_all_rejected(&s, &[
            // RFC 9112 §5.2: obs-fold in a request: reject with 400 (or unfold; we
            // chose to reject).
            ("obs-fold space", &with_header("X-A: a\r\n b\r\nContent-Length: 5"), 400),
            ("obs-fold tab", &with_header("X-A: a\r\n\tb\r\nContent-Length: 5"), 400),
            // RFC 9112 §2.2: whitespace before the first field line.
            ("space after request line",
             b"GET / HTTP/1.1\r\n Host: test\r\n\r\n", 400),
            // RFC 9112 §5.1: whitespace between name and colon MUST get 400.
            ("space before colon", &with_header("Content-Length : 5"), 400),
            ("tab before colon", &with_header("X-A\t: b\r\nContent-Length: 5"), 400),
            // RFC 9110 §5.5: CR, LF, NUL MUST be rejected (or replaced); other CTLs
            // are not field-vchar.
            ("\\x01 in value", &with_header("X-A: a\x01b\r\nContent-Length: 5"), 400),
            ("bare CR in value", &with_header("X-A: a\rb\r\nContent-Length: 5"), 400),
            ("NUL in value", &with_header("X-A: a\0b\r\nContent-Length: 5"), 400),
            ("DEL in value", &with_header("X-A: a\x7fb\r\nContent-Length: 5"), 400),
            ("non-token name", &with_header("X(A): b\r\nContent-Length: 5"), 400),
            ("empty name", &with_header(": b\r\nContent-Length: 5"), 400),
            ("no colon", &with_header("NoColonHere\r\nContent-Length: 5"), 400),
        ]);
    }

    fn bad_request_line(d) {
        let s = start(d);
        assert_all_rejected(&s, &[
            ("space in method", b"GE T / HTTP/1.1\r\nHost: test\r\n\r\n", 400),
            ("@ in method", b"G@T / HTTP/1.1\r\nHost: test\r\n\r\n", 400),
            ("( in method", b"G(T / HTTP/1.1\r\nHost: test\r\n\r\n", 400),
            ("empty method", b" / HTTP/1.1\r\nHost: test\r\n\r\n", 400),
            // RFC 9112 §2.3: HTTP-name is case-sensitive.
            ("lowercase http", b"GET / http/1.1\r\nHost: test\r\n\r\n", 400),
            ("no version", b"GET /\r\nHost: test\r\n\r\n", 400),
            ("version without minor", b"GET / HTTP/1\r\nHost: test\r\n\r\n", 400),
            // RFC 9112 §3.2: an invalid request-target gets 400.
            ("space in target", b"GET /a b HTTP/1.1\r\nHost: test\r\n\r\n", 400),
            ("relative target", b"GET uri HTTP/1.1\r\nHost: test\r\n\r\n", 400),
            ("control char in target", b"GET /a\x01b HTTP/1.1\r\nHost: test\r\n\r\n", 400),
        ]);
    }

    // RFC 9112 §3.2: a server MUST respond 400 to an HTTP/1.1 request without Host,
    // with more than one Host, or with an invalid Host value.
    fn bad_host(d) {
        let s = start(d);
        assert_all_rejected(&s, &[
            ("no Host", b"GET / HTTP/1.1\r\n\r\n", 400),
            ("two Host", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            ("two equal Host", b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400),
            ("space in Host", b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
            ("userinfo in Host", b"GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400),
        ]);
    }

    // RFC 9112 §6.1: a transfer coding the server does not understand SHOULD get 501.
    // For `foo` alone §6.3 rule 4 (chunked not final: 400 and close) applies too; this
    // project's spec picks 501 there. Chunked MUST NOT be applied twice (§6.1).
    fn bad_transfer_encoding(d) {
        let s = start(d);
        let te = |v: &str| with_header(&format!("Transfer-Encoding: {v}"));
        assert_all_rejected(&s, &[
            ("unknown coding", &te("foo"), 501),
            ("unknown coding before chunked", &te("gzip, chunked"), 501),
            ("chunked not final", &te("chunked, identity"), 400),
            ("chunked twice", &te("chunked, chunked"), 400),
            ("chunked twice over two lines",
             &with_header("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked"), 400),
            ("empty", &te(""), 400),
            // §6.1: TE in an HTTP/1.0 request means faulty framing; close after answering.
            ("TE in HTTP/1.0",
             b"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400),
        ]);
    }

    // RFC 9110 §15.6.6: 505 for a major version the server does not support; the HTTP/2
    // preface (RFC 9113 §3.4) reads as such a request.
    fn unsupported_versions_get_505(d) {
        let s = start(d);
        assert_all_rejected(&s, &[
            ("HTTP/2.0", b"GET / HTTP/2.0\r\nHost: test\r\n\r\n", 505),
            ("HTTP/3.0", b"GET / HTTP/3.0\r\nHost: test\r\n\r\n", 505),
            ("h2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
        ]);
    }

    // RFC 9110 §8.6: a repeated, identical Content-Length MAY be rejected or collapsed
    // into one. Either way the body is 5 bytes: "GET /x" after it is never a request.
    fn repeated_equal_content_length(d) {
        let s = start(d);
        let mut c = s.client();
        c.send(with_header("Content-Length: 5\r\nContent-Length: 5"));
        c.send(common::get("/uri/after"));
        let resp = c.response();
        match resp.status {
            400 => c.expect_closed(),
            200 => {
                assert_eq!(resp.text(), "hello");
                assert_eq!(c.response().text(), "/uri/after");
            }
            other => panic!("want 400 or the 5-byte body echoed, got {other}: {resp:?}"),
        }
    }

    // RFC 9110 §2.5: a higher minor version of a supported major SHOULD be processed as
    // the highest minor supported (HTTP/1.1); 505 is the stricter reading.
    fn http_1_2_is_served_as_1_1_or_505(d) {
        let s = start(d);
        let mut c = s.client();
        c.send("GET /version HTTP/1.2\r\nHost: test\r\n\r\n");
        let resp = c.response();
        match resp.status {
            200 => assert_eq!(resp.text(), "HTTP/1.1"),
            505 => c.expect_closed(),
            other => panic!("want 200 or 505, got {other}: {resp:?}"),
        }
    }
}
