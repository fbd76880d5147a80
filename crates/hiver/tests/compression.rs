//! Compression over real sockets, under both I/O drivers: codings, negotiation, what is
//! left alone, headers, and streams that reach the client as they are produced.

#[macro_use]
mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::stream;
use hiver::http::{HeaderName, HeaderValue, StatusCode};
use hiver::middleware::Compression;
use hiver::routing::get;
use hiver::test::{TestResponse, TestServer};
use hiver::{Body, Bytes, Driver, FileRegion, Response, Router};

both_drivers!(
    each_coding_round_trips,
    q_values_choose_the_coding,
    nothing_acceptable_is_identity,
    small_bodies_untouched,
    images_untouched,
    preset_content_encoding_untouched,
    no_transform_untouched,
    partial_content_untouched,
    head_untouched,
    vary_appended,
    etag_weakened,
    file_bodies_compressed,
    stream_chunks_arrive_before_the_stream_ends,
);

/// A page worth compressing (about 20 KiB of repetitive text).
fn page() -> String {
    (0..400)
        .map(|i| format!("<p>line {i} of a page worth compressing</p>\n"))
        .collect()
}

fn response(status: StatusCode, headers: &[(&'static str, &'static str)], body: Body) -> Response {
    let mut res = Response::new(body);
    *res.status_mut() = status;
    for (name, value) in headers {
        res.headers_mut().append(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    res
}

fn text(headers: &'static [(&'static str, &'static str)]) -> Response {
    response(StatusCode::OK, headers, Body::from(page()))
}

fn app() -> Router {
    Router::new()
        .route(
            "/text",
            get(|| async { text(&[("content-type", "text/html")]) }),
        )
        .route(
            "/small",
            get(|| async {
                response(
                    StatusCode::OK,
                    &[("content-type", "text/plain")],
                    Body::from("short"),
                )
            }),
        )
        .route(
            "/png",
            get(|| async { text(&[("content-type", "image/png")]) }),
        )
        .route(
            "/precompressed",
            get(|| async { text(&[("content-type", "text/html"), ("content-encoding", "gzip")]) }),
        )
        .route(
            "/no-transform",
            get(|| async {
                text(&[
                    ("content-type", "text/html"),
                    ("cache-control", "public, no-transform"),
                ])
            }),
        )
        .route(
            "/partial",
            get(|| async {
                response(
                    StatusCode::PARTIAL_CONTENT,
                    &[
                        ("content-type", "text/html"),
                        ("content-range", "bytes 0-19999/40000"),
                    ],
                    Body::from(page()),
                )
            }),
        )
        .route(
            "/vary",
            get(|| async { text(&[("content-type", "text/html"), ("vary", "Origin")]) }),
        )
        .route(
            "/etag",
            get(|| async { text(&[("content-type", "text/html"), ("etag", "\"v1\"")]) }),
        )
        .route(
            "/weak-etag",
            get(|| async { text(&[("content-type", "text/html"), ("etag", "W/\"v1\"")]) }),
        )
        .route("/file", get(file_page))
        .layer(Compression::new())
}

async fn file_page() -> Response {
    let mut file = tempfile();
    // 200 KiB: several of the layer's file reads.
    let content = page().repeat(10);
    file.write_all(content.as_bytes()).unwrap(); // a fresh temporary file
    let region = FileRegion::whole(Arc::new(file)).unwrap(); // fstat of an open file
    response(
        StatusCode::OK,
        &[("content-type", "text/plain")],
        Body::file(region),
    )
}

/// An anonymous temporary file (unlinked at once).
fn tempfile() -> std::fs::File {
    let path = std::env::temp_dir().join(format!(
        "hiver-compression-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap(); // the temporary directory is writable in tests
    std::fs::remove_file(&path).unwrap();
    file
}

fn get_with(server: &TestServer, path: &str, accept: &str) -> TestResponse {
    server.get(path).header("accept-encoding", accept).send()
}

/// The whole body decoded with the response's `Content-Encoding`.
fn decoded(res: &TestResponse) -> Vec<u8> {
    let mut decoder = Decoder::new(res.header("content-encoding").unwrap_or("identity"));
    decoder.write(&res.bytes());
    decoder.finish()
}

/// A decoder fed as bytes arrive; what it has decoded so far is readable at any time.
enum Decoder {
    Identity(Vec<u8>),
    Gzip(Box<flate2::write::GzDecoder<Vec<u8>>>),
    Brotli(Box<brotli::DecompressorWriter<Vec<u8>>>),
    Zstd(zstd::stream::write::Decoder<'static, Vec<u8>>),
}

impl Decoder {
    fn new(coding: &str) -> Self {
        match coding {
            "identity" => Decoder::Identity(Vec::new()),
            "gzip" => Decoder::Gzip(Box::new(flate2::write::GzDecoder::new(Vec::new()))),
            "br" => Decoder::Brotli(Box::new(brotli::DecompressorWriter::new(Vec::new(), 4096))),
            "zstd" => Decoder::Zstd(zstd::stream::write::Decoder::new(Vec::new()).unwrap()),
            other => panic!("unexpected content-encoding {other}"),
        }
    }

    fn write(&mut self, data: &[u8]) {
        let result = match self {
            Decoder::Identity(out) => out.write_all(data),
            Decoder::Gzip(d) => d.write_all(data).and_then(|()| d.flush()),
            Decoder::Brotli(d) => d.write_all(data).and_then(|()| d.flush()),
            Decoder::Zstd(d) => d.write_all(data).and_then(|()| d.flush()),
        };
        result.expect("the body decodes");
    }

    fn so_far(&self) -> &[u8] {
        match self {
            Decoder::Identity(out) => out,
            Decoder::Gzip(d) => d.get_ref(),
            Decoder::Brotli(d) => d.get_ref(),
            Decoder::Zstd(d) => d.get_ref(),
        }
    }

    fn finish(self) -> Vec<u8> {
        match self {
            Decoder::Identity(out) => out,
            Decoder::Gzip(d) => d.finish().expect("the gzip stream ends"),
            Decoder::Brotli(d) => d.into_inner().expect("the brotli stream ends"),
            Decoder::Zstd(mut d) => {
                d.flush().expect("the zstd stream ends");
                d.into_inner()
            }
        }
    }
}

fn assert_untouched(res: &TestResponse) {
    assert_eq!(res.bytes(), page().as_bytes());
    assert_eq!(res.header("vary"), None);
}

fn each_coding_round_trips(driver: Driver) {
    let server = TestServer::with_driver(app(), driver);
    for coding in ["gzip", "br", "zstd"] {
        let res = get_with(&server, "/text", coding);
        assert_eq!(res.status(), 200);
        assert_eq!(res.header("content-encoding"), Some(coding));
        assert_eq!(res.header("vary"), Some("accept-encoding"));
        assert!(res.bytes().len() < page().len() / 4, "{coding} compresses");
        assert_eq!(decoded(&res), page().as_bytes(), "{coding}");
    }
}

fn q_values_choose_the_coding(driver: Driver) {
    let server = TestServer::with_driver(app(), driver);
    for (accept, chosen) in [
        ("br;q=0.5, gzip", "gzip"),
        ("gzip, deflate, br, zstd", "br"),
        ("*", "br"),
        ("zstd", "zstd"),
        ("gzip;q=0.2, zstd;q=0.9, br;q=0.1", "zstd"),
        ("gzip, identity;q=0", "gzip"),
        ("*;q=0.5, br;q=0", "zstd"),
        ("x-gzip", "gzip"),
    ] {
        let res = get_with(&server, "/text", accept);
        assert_eq!(res.header("content-encoding"), Some(chosen), "{accept}");
        assert_eq!(decoded(&res), page().as_bytes(), "{accept}");
    }
    let only_gzip = Router::new()
        .route(
            "/text",
            get(|| async { text(&[("content-type", "text/html")]) }),
        )
        .layer(Compression::new().no_brotli().no_zstd());
    let server = TestServer::with_driver(only_gzip, driver);
    let res = get_with(&server, "/text", "br, zstd;q=0.9, gzip;q=0.1");
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert_eq!(decoded(&res), page().as_bytes());
}

fn nothing_acceptable_is_identity(driver: Driver) {
    let server = TestServer::with_driver(app(), driver);
    for accept in ["identity;q=0", "*;q=0", "deflate, compress", "identity", ""] {
        let res = get_with(&server, "/text", accept);
        assert_eq!(res.status(), 200, "{accept}");
        assert_eq!(res.header("content-encoding"), None, "{accept}");
        assert_eq!(res.bytes(), page().as_bytes(), "{accept}");
        // It could have been compressed for another client.
        assert_eq!(res.header("vary"), Some("accept-encoding"), "{accept}");
    }
    let res = server.get("/text").send();
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.header("vary"), Some("accept-encoding"));
}

fn small_bodies_untouched(driver: Driver) {
    let server = TestServer::with_driver(app(), driver);
    let res = get_with(&server, "/small", "gzip, br, zstd");
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.header("vary"), None);
    assert_eq!(res.text(), "short");
}

fn images_untouched(driver: Driver) {
    let server = TestServer::with_driver(app(), driver);
    let res = get_with(&server, "/png", "gzip, br, zstd");
    assert_eq!(res.header("content-encoding"), None);
    assert_untouched(&res);
}

fn preset_content_encoding_untouched(driver: Driver) {
    let server = TestServer::with_driver(app(), driver);
    let res = get_with(&server, "/precompressed", "gzip, br, zstd");
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert_untouched(&res);
}

fn no_transform_untouched(driver: Driver) {
    let server = TestServer::with_driver(app(), driver);
    let res = get_with(&server, "/no-transform", "gzip, br, zstd");
    assert_eq!(res.header("content-encoding"), None);
    assert_untouched(&res);
}

fn partial_content_untouched(driver: Driver) {
    let server = TestServer::with_driver(app(), driver);
    let res = get_with(&server, "/partial", "gzip, br, zstd");
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.header("content-range"), Some("bytes 0-19999/40000"));
    assert_untouched(&res);
}

fn head_untouched(driver: Driver) {
    let server = TestServer::with_driver(app(), driver);
    let res = server
        .head("/text")
        .header("accept-encoding", "gzip")
        .send();
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(
        res.header("content-length"),
        Some(page().len().to_string().as_str())
    );
}

fn vary_appended(driver: Driver) {
    let server = TestServer::with_driver(app(), driver);
    for accept in ["gzip", "identity"] {
        let res = get_with(&server, "/vary", accept);
        let vary: Vec<&str> = res
            .headers()
            .get_all("vary")
            .iter()
            .map(|v| v.to_str().unwrap()) // set from ASCII literals
            .collect();
        assert_eq!(vary, ["Origin", "accept-encoding"], "{accept}");
    }
}

fn etag_weakened(driver: Driver) {
    let server = TestServer::with_driver(app(), driver);
    let res = get_with(&server, "/etag", "gzip");
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert_eq!(res.header("etag"), Some("W/\"v1\""));
    // Uncompressed, the representation (and its strong tag) is the handler's.
    let res = get_with(&server, "/etag", "identity");
    assert_eq!(res.header("etag"), Some("\"v1\""));
    let res = get_with(&server, "/weak-etag", "br");
    assert_eq!(res.header("etag"), Some("W/\"v1\""));
}

fn file_bodies_compressed(driver: Driver) {
    let server = TestServer::with_driver(app(), driver);
    for coding in ["gzip", "br", "zstd"] {
        let res = get_with(&server, "/file", coding);
        assert_eq!(res.header("content-encoding"), Some(coding));
        assert_eq!(res.header("transfer-encoding"), Some("chunked"));
        assert_eq!(decoded(&res), page().repeat(10).as_bytes(), "{coding}");
    }
}

/// The first chunk of the streamed page, and the rest (produced after a timer).
const FIRST: &str = "<!doctype html><title>streamed</title><p>shell of the page, sent at once</p>";

fn stream_chunks_arrive_before_the_stream_ends(driver: Driver) {
    for coding in ["gzip", "br", "zstd"] {
        let second_produced = Arc::new(AtomicBool::new(false));
        let flag = second_produced.clone();
        let app = Router::new()
            .route(
                "/stream",
                get(move || {
                    let flag = flag.clone();
                    async move {
                        let chunks = stream::unfold(0, move |step| {
                            let flag = flag.clone();
                            async move {
                                match step {
                                    0 => Some((Ok(Bytes::from_static(FIRST.as_bytes())), 1)),
                                    1 => {
                                        hiver_runtime::time::sleep(Duration::from_millis(800))
                                            .await;
                                        flag.store(true, Ordering::SeqCst);
                                        Some((Ok(Bytes::from(page())), 2))
                                    }
                                    _ => None,
                                }
                            }
                        });
                        response(
                            StatusCode::OK,
                            &[("content-type", "text/html")],
                            Body::stream(chunks),
                        )
                    }
                }),
            )
            .layer(Compression::new());
        let server = TestServer::with_driver(app, driver);
        let mut conn = StreamingClient::get(&server, "/stream", coding);
        assert_eq!(conn.header("content-encoding"), Some(coding.to_owned()));
        assert_eq!(conn.header("transfer-encoding"), Some("chunked".to_owned()));
        assert_eq!(conn.header("content-length"), None);
        let mut decoder = Decoder::new(coding);
        while decoder.so_far().len() < FIRST.len() {
            let chunk = conn.next_chunk().expect("the first chunk arrives");
            decoder.write(&chunk);
        }
        assert!(
            !second_produced.load(Ordering::SeqCst),
            "{coding}: the first chunk decoded before the second was produced"
        );
        assert_eq!(decoder.so_far(), FIRST.as_bytes(), "{coding}");
        while let Some(chunk) = conn.next_chunk() {
            decoder.write(&chunk);
        }
        let mut whole = FIRST.to_owned();
        whole.push_str(&page());
        assert_eq!(decoder.finish(), whole.as_bytes(), "{coding}");
    }
}

/// Reads a chunked response chunk by chunk, as the server sends them.
struct StreamingClient {
    conn: TcpStream,
    head: String,
    buf: Vec<u8>,
}

impl StreamingClient {
    fn get(server: &TestServer, path: &str, accept: &str) -> Self {
        let mut conn = TcpStream::connect(server.addr()).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            conn,
            "GET {path} HTTP/1.1\r\nhost: test\r\naccept-encoding: {accept}\r\nconnection: close\r\n\r\n"
        )
        .unwrap();
        let mut client = StreamingClient {
            conn,
            head: String::new(),
            buf: Vec::new(),
        };
        let end = loop {
            if let Some(end) = find(&client.buf, b"\r\n\r\n") {
                break end;
            }
            assert!(client.fill(), "the head arrives");
        };
        client.head = String::from_utf8(client.buf[..end].to_vec()).unwrap();
        client.buf.drain(..end + 4);
        client
    }

    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    /// The next chunk's data; `None` after the last chunk.
    fn next_chunk(&mut self) -> Option<Vec<u8>> {
        loop {
            if let Some(line) = find(&self.buf, b"\r\n") {
                let size = std::str::from_utf8(&self.buf[..line]).unwrap();
                let size = usize::from_str_radix(size.trim(), 16).unwrap();
                if size == 0 {
                    return None;
                }
                if self.buf.len() >= line + 2 + size + 2 {
                    let data = self.buf[line + 2..line + 2 + size].to_vec();
                    self.buf.drain(..line + 2 + size + 2);
                    return Some(data);
                }
            }
            assert!(self.fill(), "the chunked body ends with a last chunk");
        }
    }

    /// Reads more; `false` at the end of the connection.
    fn fill(&mut self) -> bool {
        let mut tmp = [0; 16 * 1024];
        let n = self.conn.read(&mut tmp).unwrap();
        self.buf.extend_from_slice(&tmp[..n]);
        n > 0
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
