//! Request-head cases, one per rule, each with the status it must produce;
//! and the property tests of the codec.

use bytes::BytesMut;
use http::{Method, StatusCode, Version};

use super::*;

fn parse(raw: &str) -> Result<Option<(RequestHead, usize)>, ParseError> {
    parse_head(raw.as_bytes(), &Limits::default())
}

fn head(raw: &str) -> RequestHead {
    match parse(raw) {
        Ok(Some((head, consumed))) => {
            assert_eq!(
                consumed,
                raw.find("\r\n\r\n").map(|i| i + 4).unwrap_or(raw.len())
            );
            head
        }
        other => panic!("{raw:?} should parse, got {other:?}"),
    }
}

fn status(raw: &str) -> StatusCode {
    match parse(raw) {
        Err(e) => e.status(),
        other => panic!("{raw:?} should be refused, got {other:?}"),
    }
}

#[test]
fn simple_get() {
    let h = head("GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nX-A: 1\r\n\r\n");
    assert_eq!(h.method, Method::GET);
    assert_eq!(h.uri.path(), "/a");
    assert_eq!(h.uri.query(), Some("b=c"));
    assert_eq!(h.version, Version::HTTP_11);
    assert_eq!(h.headers["x-a"], "1");
    assert_eq!(h.framing, BodyFraming::None);
    assert!(h.keep_alive);
    assert!(!h.expect_continue);
}

#[test]
fn incomplete_heads_wait() {
    for raw in [
        "",
        "GET",
        "GET / HTTP/1.1\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\r",
    ] {
        assert!(matches!(parse(raw), Ok(None)), "{raw:?}");
    }
}

#[test]
fn body_stays_in_buffer() {
    let raw = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET";
    let mut buf = BytesMut::from(raw);
    let h = decode_head(&mut buf, &Limits::default()).unwrap().unwrap();
    assert_eq!(h.framing, BodyFraming::Length(5));
    assert_eq!(&buf[..], b"helloGET");
}

#[test]
fn framing_decisions() {
    assert_eq!(
        head("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").framing,
        BodyFraming::None
    );
    assert_eq!(
        head("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n").framing,
        BodyFraming::Length(7)
    );
    let chunked = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n";
    assert_eq!(head(chunked).framing, BodyFraming::Chunked);
}

#[test]
fn persistence() {
    assert!(!head("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").keep_alive);
    assert!(!head("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, Close\r\n\r\n").keep_alive);
    assert!(!head("GET / HTTP/1.0\r\n\r\n").keep_alive);
    assert!(head("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
    assert!(!head("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").keep_alive);
}

#[test]
fn expectations() {
    assert!(
        head("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n")
            .expect_continue
    );
    assert!(
        !head("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n")
            .expect_continue
    );
    assert_eq!(
        status("PUT / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n"),
        StatusCode::EXPECTATION_FAILED
    );
}

#[test]
fn request_target_forms() {
    assert_eq!(head("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").uri, "*");
    assert_eq!(
        head("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n")
            .uri
            .port_u16(),
        Some(443)
    );
    let abs = head("GET http://a.example/x?y HTTP/1.1\r\nHost: a.example\r\n\r\n");
    assert_eq!(abs.uri.host(), Some("a.example"));
    let bad = [
        "GET * HTTP/1.1\r\nHost: a\r\n\r\n",
        "CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n",
        "CONNECT a.example HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET a.example HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /a?b#frag HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /a# HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /# HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET http://a.example/x#f HTTP/1.1\r\nHost: a.example\r\n\r\n",
        "GET http://user@a.example/ HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /\u{e9} HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /\r\n\r\n",
    ];
    for raw in bad {
        assert_eq!(status(raw), StatusCode::BAD_REQUEST, "{raw:?}");
    }
}

#[test]
fn malformed_heads_get_400() {
    let cases = [
        (
            "obs-fold",
            "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
        ),
        (
            "obs-fold tab",
            "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n",
        ),
        ("space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n"),
        ("tab before colon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n"),
        (
            "space before first field",
            "GET / HTTP/1.1\r\n Host: a\r\n\r\n",
        ),
        ("empty name", "GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n"),
        (
            "NUL in value",
            "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n",
        ),
        (
            "ESC in value",
            "GET / HTTP/1.1\r\nHost: a\r\nX: a\x1bb\r\n\r\n",
        ),
        (
            "DEL in value",
            "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fb\r\n\r\n",
        ),
        (
            "bare CR in value",
            "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n",
        ),
        ("bare LF line", "GET / HTTP/1.1\nHost: a\r\n\r\n"),
        ("bare LF end", "GET / HTTP/1.1\r\nHost: a\n\n"),
        ("method with slash", "GE/T / HTTP/1.1\r\nHost: a\r\n\r\n"),
        ("method with colon", "GET: / HTTP/1.1\r\nHost: a\r\n\r\n"),
        ("lowercase version", "GET / http/1.1\r\nHost: a\r\n\r\n"),
        ("garbage version", "GET / HTTX/1.1\r\nHost: a\r\n\r\n"),
        ("trailing token", "GET / HTTP/1.1 x\r\nHost: a\r\n\r\n"),
        ("space in method", "GE T / HTTP/1.1\r\nHost: a\r\n\r\n"),
        ("space in target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"),
        ("version without minor", "GET / HTTP/1\r\nHost: a\r\n\r\n"),
        (
            "version with two-digit major",
            "GET / HTTP/10.0\r\nHost: a\r\n\r\n",
        ),
        ("no host", "GET / HTTP/1.1\r\n\r\n"),
        ("two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"),
        ("bad host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
        ("host userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"),
        ("host bad port", "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n"),
        (
            "CL and TE",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        ),
        (
            "duplicate CL equal",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n",
        ),
        (
            "CL list",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\n",
        ),
        (
            "CL signed",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\n",
        ),
        (
            "CL negative",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
        ),
        (
            "CL hex",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n",
        ),
        (
            "CL empty",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n",
        ),
        (
            "CL overflow",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n",
        ),
        (
            "TE not final",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        ),
        (
            "TE only gzip",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
        ),
        (
            "TE chunked then identity",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n",
        ),
        (
            "TE empty",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n",
        ),
        (
            "TE chunked twice",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
        ),
        (
            "TE twice over fields",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        ),
        (
            "TE in 1.0",
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        ),
    ];
    for (what, raw) in cases {
        assert_eq!(status(raw), StatusCode::BAD_REQUEST, "{what}");
    }
}

#[test]
fn mapped_statuses() {
    for coding in ["gzip, chunked", "foo", "foo, chunked", "chunked;q=1"] {
        let raw = format!("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: {coding}\r\n\r\n");
        assert_eq!(status(&raw), StatusCode::NOT_IMPLEMENTED, "{coding}");
    }
    for raw in [
        "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.2\r\nHost: a\r\n\r\n",
        "GET / HTTP/3.0\r\n\r\n",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    ] {
        assert_eq!(
            status(raw),
            StatusCode::HTTP_VERSION_NOT_SUPPORTED,
            "{raw:?}"
        );
    }
}

#[test]
fn a_version_still_arriving_is_awaited() {
    for raw in ["GET / HTTP/2", "GET / HTTP/2.", "GET / H"] {
        assert!(matches!(parse(raw), Ok(None)), "{raw:?}");
    }
    assert_eq!(
        status("GET / HTTP/2.0"),
        StatusCode::HTTP_VERSION_NOT_SUPPORTED
    );
    assert_eq!(status("GET / HTTP/x"), StatusCode::BAD_REQUEST);
}

#[test]
fn limits_map_to_431_and_414() {
    let limits = Limits {
        max_header_bytes: 256,
        max_headers: 4,
        max_uri_len: 64,
    };
    let long_uri = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(100));
    assert_eq!(
        parse_head(long_uri.as_bytes(), &limits).unwrap_err(),
        ParseError::UriTooLong
    );
    // Refused before the request line is even complete.
    let partial_uri = format!("GET /{}", "a".repeat(100));
    assert_eq!(
        parse_head(partial_uri.as_bytes(), &limits).unwrap_err(),
        ParseError::UriTooLong
    );
    let many = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\n\r\n";
    assert_eq!(
        parse_head(many.as_bytes(), &limits).unwrap_err().status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    let big = format!(
        "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
        "v".repeat(300)
    );
    assert_eq!(
        parse_head(big.as_bytes(), &limits).unwrap_err(),
        ParseError::HeadTooLarge
    );
    let partial_big = format!("GET / HTTP/1.1\r\nHost: a\r\nX: {}", "v".repeat(300));
    assert_eq!(
        parse_head(partial_big.as_bytes(), &limits).unwrap_err(),
        ParseError::HeadTooLarge
    );
    let endless_blank_lines = "\r\n".repeat(200);
    assert_eq!(
        parse_head(endless_blank_lines.as_bytes(), &limits).unwrap_err(),
        ParseError::HeadTooLarge
    );
}

#[test]
fn more_headers_than_the_stack_table() {
    let limits = Limits {
        max_headers: 300,
        ..Limits::default()
    };
    let fields: String = (0..200).map(|i| format!("X-{i}: {i}\r\n")).collect();
    let raw = format!("GET / HTTP/1.1\r\nHost: a\r\n{fields}\r\n");
    let (h, _) = parse_head(raw.as_bytes(), &limits).unwrap().unwrap();
    assert_eq!(h.headers.len(), 201);
}

#[test]
fn empty_header_value_and_leading_blank_line() {
    let h = head("\r\nGET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Ws:   \r\n\r\n");
    assert_eq!(h.headers["x-empty"], "");
    assert_eq!(h.headers["x-ws"], "");
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    fn request() -> impl Strategy<Value = String> {
        let method =
            prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH", "X-CUSTOM"]);
        let path = "(/[a-zA-Z0-9._~%-]{0,12}){1,4}(\\?[a-z0-9=&]{0,16})?";
        let field = ("[A-Za-z][A-Za-z0-9-]{0,15}", "[ -~]{0,24}");
        let fields = prop::collection::vec(field, 0..12);
        (method, path, fields, any::<bool>()).prop_map(|(m, p, fields, v10)| {
            let version = if v10 { "HTTP/1.0" } else { "HTTP/1.1" };
            let mut raw = format!("{m} {p} {version}\r\nHost: example.com\r\n");
            for (name, value) in fields {
                // Framing and Host fields are covered by the case tests; here
                // they would only make the head invalid.
                let lower = name.to_ascii_lowercase();
                if ["host", "content-length", "transfer-encoding", "expect"]
                    .contains(&lower.as_str())
                {
                    continue;
                }
                raw.push_str(&format!("{name}: {}\r\n", value.trim()));
            }
            raw.push_str("\r\n");
            raw
        })
    }

    fn same(a: &RequestHead, b: &RequestHead) -> bool {
        a.method == b.method
            && a.uri == b.uri
            && a.version == b.version
            && a.headers == b.headers
            && a.framing == b.framing
            && a.keep_alive == b.keep_alive
            && a.expect_continue == b.expect_continue
    }

    proptest! {
        #[test]
        fn split_input_parses_like_one_shot(raw in request(), cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6)) {
            let bytes = raw.as_bytes();
            let (whole, consumed) = parse_head(bytes, &Limits::default()).unwrap().unwrap();
            prop_assert_eq!(consumed, bytes.len());
            let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len())).collect();
            cuts.sort_unstable();
            let mut buf = BytesMut::new();
            let mut fed = 0;
            for cut in cuts {
                buf.extend_from_slice(&bytes[fed..cut.max(fed)]);
                fed = cut.max(fed);
                if fed < bytes.len() {
                    prop_assert!(decode_head(&mut buf, &Limits::default()).unwrap().is_none());
                }
            }
            buf.extend_from_slice(&bytes[fed..]);
            let piecewise = decode_head(&mut buf, &Limits::default()).unwrap().unwrap();
            prop_assert!(same(&whole, &piecewise));
            prop_assert!(buf.is_empty());
        }

        #[test]
        fn chunked_roundtrip(data in prop::collection::vec(any::<u8>(), 0..2048),
                             sizes in prop::collection::vec(1usize..300, 1..20),
                             ext in any::<bool>(),
                             cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..10)) {
            let mut wire = Vec::new();
            let mut rest = &data[..];
            for size in sizes.iter().cycle() {
                if rest.is_empty() { break; }
                let n = (*size).min(rest.len());
                wire.extend_from_slice(format!("{n:X}").as_bytes());
                if ext { wire.extend_from_slice(b" ;name=\"v\";flag"); }
                wire.extend_from_slice(b"\r\n");
                wire.extend_from_slice(&rest[..n]);
                wire.extend_from_slice(b"\r\n");
                rest = &rest[n..];
            }
            wire.extend_from_slice(b"0\r\nX-Trailer: t\r\n\r\nNEXT");
            let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(wire.len())).collect();
            cuts.push(wire.len());
            cuts.sort_unstable();
            let mut decoder = ChunkedDecoder::new(u64::MAX);
            let mut out = BytesMut::new();
            let mut pending = Vec::new();
            let mut fed = 0;
            for cut in cuts {
                pending.extend_from_slice(&wire[fed..cut.max(fed)]);
                fed = cut.max(fed);
                let used = decoder.decode(&pending, &mut out).unwrap();
                pending.drain(..used);
            }
            prop_assert!(decoder.is_done());
            prop_assert_eq!(&out[..], &data[..]);
            prop_assert_eq!(&pending[..], b"NEXT");
        }

        #[test]
        fn parse_head_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_head(&bytes, &Limits::default());
            let small = Limits { max_header_bytes: 64, max_headers: 2, max_uri_len: 16 };
            let _ = parse_head(&bytes, &small);
        }

        #[test]
        fn parse_head_never_panics_on_near_requests(raw in request(), pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let mut bytes = raw.into_bytes();
            let i = pos.index(bytes.len());
            bytes[i] = byte;
            let _ = parse_head(&bytes, &Limits::default());
        }

        #[test]
        fn chunked_decoder_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let mut out = BytesMut::new();
            let _ = ChunkedDecoder::new(1024).decode(&bytes, &mut out);
        }
    }
}
