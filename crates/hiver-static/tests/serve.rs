//! Static files over a real socket, under both I/O drivers.

mod common;

use common::Fixture;
use hiver::Driver;
use hiver::http::Method;
use hiver::test::{TestResponse, TestServer};

both_drivers!(
    content_types,
    validators_are_sent,
    if_none_match_gives_304,
    if_modified_since_gives_304,
    if_none_match_wins_over_if_modified_since,
    if_match_fails_with_412,
    head_has_headers_and_no_body,
    single_range_gives_206,
    unsatisfiable_range_gives_416,
    several_ranges_give_200,
    if_range,
    index_and_slash_redirect,
    precompressed_siblings,
    precompressed_q_values,
    immutable_and_default_cache_control,
    methods_other_than_get_and_head,
    big_file_is_intact,
    single_file,
    missing_files,
    nested_fallback_and_construction_errors,
    open_file_cache_keeps_what_it_saw,
);

/// `GET /assets/plain.txt` (the 20-byte `0123456789abcdefghij`) with one header.
fn plain(server: &TestServer, name: &str, value: &str) -> TestResponse {
    server.get("/assets/plain.txt").header(name, value).send()
}

fn server(driver: Driver) -> (Fixture, TestServer) {
    let fixture = Fixture::new();
    let server = TestServer::with_driver(fixture.app(), driver);
    (fixture, server)
}

fn content_types(driver: Driver) {
    let (_f, server) = server(driver);
    let ct = |path: &str| {
        let res = server.get(path).send();
        assert_eq!(res.status(), 200, "{path}");
        res.header("content-type").unwrap().to_owned()
    };
    assert_eq!(ct("/assets/style.css"), "text/css; charset=utf-8");
    assert_eq!(ct("/assets/index.html"), "text/html; charset=utf-8");
    assert_eq!(ct("/assets/plain.txt"), "text/plain; charset=utf-8");
    assert!(ct("/assets/app-B3d1xYz9.js").contains("javascript"));
    assert!(ct("/assets/data.json").starts_with("application/json"));
    assert_eq!(ct("/assets/big.bin"), "application/octet-stream");
}

fn validators_are_sent(driver: Driver) {
    let (_f, server) = server(driver);
    let res = server.get("/assets/plain.txt").send();
    let etag = res.header("etag").unwrap();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let modified = res.header("last-modified").unwrap();
    assert!(modified.ends_with(" GMT"), "{modified}");
    assert_eq!(res.header("accept-ranges"), Some("bytes"));
    assert_eq!(res.header("content-length"), Some("20"));
    // Same file, same validators.
    assert_eq!(
        server.get("/assets/plain.txt").send().header("etag"),
        Some(etag)
    );
}

fn if_none_match_gives_304(driver: Driver) {
    let (_f, server) = server(driver);
    let etag = server
        .get("/assets/plain.txt")
        .send()
        .header("etag")
        .unwrap()
        .to_owned();
    let res = plain(&server, "if-none-match", &etag);
    assert_eq!(res.status(), 304);
    assert!(res.bytes().is_empty());
    assert_eq!(res.header("etag"), Some(etag.as_str()));
    // Weak comparison: a W/ tag matches.
    let weak = format!("\"nope\", W/{etag}");
    let res = plain(&server, "if-none-match", &weak);
    assert_eq!(res.status(), 304);
    let res = plain(&server, "if-none-match", "\"other\"");
    assert_eq!(res.status(), 200);
}

fn if_modified_since_gives_304(driver: Driver) {
    let (_f, server) = server(driver);
    let res = server.get("/assets/plain.txt").send();
    let modified = res.header("last-modified").unwrap().to_owned();
    let res = plain(&server, "if-modified-since", &modified);
    assert_eq!(res.status(), 304);
    let old = "Sat, 01 Jan 2000 00:00:00 GMT";
    let res = plain(&server, "if-modified-since", old);
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "0123456789abcdefghij");
}

fn if_none_match_wins_over_if_modified_since(driver: Driver) {
    let (_f, server) = server(driver);
    let res = server.get("/assets/plain.txt").send();
    let (etag, modified) = (
        res.header("etag").unwrap(),
        res.header("last-modified").unwrap(),
    );
    // A date that would give 304, but a tag that does not match: 200.
    let res = server
        .get("/assets/plain.txt")
        .header("if-none-match", "\"stale\"")
        .header("if-modified-since", modified)
        .send();
    assert_eq!(res.status(), 200);
    // A matching tag and an old date: 304.
    let res = server
        .get("/assets/plain.txt")
        .header("if-none-match", etag)
        .header("if-modified-since", "Sat, 01 Jan 2000 00:00:00 GMT")
        .send();
    assert_eq!(res.status(), 304);
}

fn if_match_fails_with_412(driver: Driver) {
    let (_f, server) = server(driver);
    let res = plain(&server, "if-match", "\"stale\"");
    assert_eq!(res.status(), 412);
    let etag = server
        .get("/assets/plain.txt")
        .send()
        .header("etag")
        .unwrap()
        .to_owned();
    let res = plain(&server, "if-match", &etag);
    assert_eq!(res.status(), 200);
}

fn head_has_headers_and_no_body(driver: Driver) {
    let (_f, server) = server(driver);
    let res = server.head("/assets/plain.txt").send();
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("content-length"), Some("20"));
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert!(res.header("etag").is_some());
    assert!(res.bytes().is_empty());
    // HEAD through a route that takes every method, and with a Range (ignored for HEAD).
    let res = server
        .head("/any/plain.txt")
        .header("range", "bytes=0-1")
        .send();
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("content-length"), Some("20"));
}

fn single_range_gives_206(driver: Driver) {
    let (_f, server) = server(driver);
    let res = plain(&server, "range", "bytes=2-5");
    assert_eq!(res.status(), 206);
    assert_eq!(res.header("content-range"), Some("bytes 2-5/20"));
    assert_eq!(res.header("content-length"), Some("4"));
    assert_eq!(res.text(), "2345");
    let res = plain(&server, "range", "bytes=-3");
    assert_eq!(res.status(), 206);
    assert_eq!(res.header("content-range"), Some("bytes 17-19/20"));
    assert_eq!(res.text(), "hij");
    let res = plain(&server, "range", "bytes=15-");
    assert_eq!(res.text(), "fghij");
}

fn unsatisfiable_range_gives_416(driver: Driver) {
    let (_f, server) = server(driver);
    let res = plain(&server, "range", "bytes=20-");
    assert_eq!(res.status(), 416);
    assert_eq!(res.header("content-range"), Some("bytes */20"));
}

fn several_ranges_give_200(driver: Driver) {
    let (_f, server) = server(driver);
    let res = plain(&server, "range", "bytes=0-1, 4-5");
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "0123456789abcdefghij");
    let res = plain(&server, "range", "bytes=oops");
    assert_eq!(res.status(), 200);
}

fn if_range(driver: Driver) {
    let (_f, server) = server(driver);
    let res = server.get("/assets/plain.txt").send();
    let (etag, modified) = (
        res.header("etag").unwrap(),
        res.header("last-modified").unwrap(),
    );
    let ranged = |if_range: &str| {
        server
            .get("/assets/plain.txt")
            .header("range", "bytes=0-0")
            .header("if-range", if_range)
            .send()
    };
    assert_eq!(ranged(etag).status(), 206);
    assert_eq!(ranged(modified).status(), 206);
    let stale = ranged("\"stale\"");
    assert_eq!(stale.status(), 200);
    assert_eq!(stale.text(), "0123456789abcdefghij");
    assert_eq!(ranged(&format!("W/{etag}")).status(), 200);
    assert_eq!(ranged("Sat, 01 Jan 2000 00:00:00 GMT").status(), 200);
}

fn index_and_slash_redirect(driver: Driver) {
    let (_f, server) = server(driver);
    let res = server.get("/").send();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "<h1>home</h1>");
    let res = server.get("/assets/docs/").send();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "<h1>docs</h1>");
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    let res = server.get("/assets/docs").send();
    assert_eq!(res.status(), 307);
    assert_eq!(res.header("location"), Some("./docs/"));
    let res = server.get("/docs").send();
    assert_eq!(res.status(), 307);
    assert_eq!(res.header("location"), Some("./docs/"));
    assert_eq!(server.get("/assets/empty/").send().status(), 404);
}

fn precompressed_siblings(driver: Driver) {
    let (_f, server) = server(driver);
    let get = |accept: Option<&str>| {
        let mut req = server.get("/assets/app-B3d1xYz9.js");
        if let Some(accept) = accept {
            req = req.header("accept-encoding", accept);
        }
        req.send()
    };
    let res = get(Some("gzip, deflate, br, zstd"));
    assert_eq!(res.header("content-encoding"), Some("br"));
    assert_eq!(res.header("vary"), Some("accept-encoding"));
    assert!(res.header("content-type").unwrap().contains("javascript"));
    assert_eq!(res.text(), "brotli js");
    let res = get(Some("gzip"));
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert_eq!(res.text(), "gzip js");
    let identity = get(None);
    assert_eq!(identity.header("content-encoding"), None);
    assert_eq!(identity.header("vary"), Some("accept-encoding"));
    assert_eq!(identity.text(), "identity js");
    // Each representation has its own tag.
    assert_ne!(res.header("etag"), identity.header("etag"));
    // A coding without a sibling is not chosen.
    let res = server
        .get("/assets/only-gz.js")
        .header("accept-encoding", "br")
        .send();
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.text(), "identity");
}

fn precompressed_q_values(driver: Driver) {
    let (_f, server) = server(driver);
    let with = |accept: &str| {
        let res = server
            .get("/assets/app-B3d1xYz9.js")
            .header("accept-encoding", accept)
            .send();
        res.header("content-encoding").map(str::to_owned)
    };
    assert_eq!(with("br;q=0.5, gzip;q=0.8").as_deref(), Some("gzip"));
    assert_eq!(with("br;q=0, gzip").as_deref(), Some("gzip"));
    assert_eq!(with("br;q=0, gzip;q=0").as_deref(), None);
    assert_eq!(with("*;q=0.5, br;q=0.1").as_deref(), Some("gzip"));
    assert_eq!(with("identity").as_deref(), None);
}

fn immutable_and_default_cache_control(driver: Driver) {
    let (_f, server) = server(driver);
    let cc = |path: &str| {
        server
            .get(path)
            .send()
            .header("cache-control")
            .map(str::to_owned)
    };
    assert_eq!(
        cc("/assets/app-B3d1xYz9.js").as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(cc("/assets/plain.txt").as_deref(), Some("no-cache"));
    assert_eq!(cc("/").as_deref(), Some("no-cache"));
}

fn methods_other_than_get_and_head(driver: Driver) {
    let (_f, server) = server(driver);
    for path in ["/any/plain.txt", "/assets/plain.txt", "/plain.txt", "/one"] {
        let res = server.request(Method::POST, path).body("x").send();
        assert_eq!(res.status(), 405, "{path}");
        let allow = res.header("allow").unwrap();
        assert!(
            allow.contains("GET") && allow.contains("HEAD"),
            "{path}: {allow}"
        );
        let res = server.request(Method::DELETE, path).send();
        assert_eq!(res.status(), 405, "{path}");
    }
}

fn big_file_is_intact(driver: Driver) {
    let (_f, server) = server(driver);
    let res = server.get("/assets/big.bin").send();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.header("content-length"),
        Some(common::BIG.to_string().as_str())
    );
    assert!(res.bytes() == common::big_bytes(), "body differs");
    let start = 1024 * 1024 - 3;
    let range = format!("bytes={start}-");
    let res = server.get("/assets/big.bin").header("range", range).send();
    assert_eq!(res.status(), 206);
    assert!(res.bytes() == common::big_bytes()[start..], "range differs");
}

fn single_file(driver: Driver) {
    let (_f, server) = server(driver);
    let res = server.get("/one").send();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "0123456789abcdefghij");
    let etag = res.header("etag").unwrap();
    let res = server.get("/one").header("if-none-match", etag).send();
    assert_eq!(res.status(), 304);
}

fn missing_files(driver: Driver) {
    let (_f, server) = server(driver);
    assert_eq!(server.get("/assets/nope.txt").send().status(), 404);
    assert_eq!(server.get("/assets/plain.txt/x").send().status(), 404);
    assert_eq!(server.get("/nope").send().status(), 404);
}

fn nested_fallback_and_construction_errors(driver: Driver) {
    let fixture = Fixture::new();
    let dir = hiver_static::ServeDir::new(&fixture.root).unwrap();
    let app = hiver::Router::new().nest("/static", hiver::Router::new().fallback(dir));
    let server = TestServer::with_driver(app, driver);
    let res = server.get("/static/docs/page.html").send();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "<p>page</p>");
    assert_eq!(server.get("/static/%2e%2e/secret.txt").send().status(), 404);
    let missing = fixture.root.join("missing");
    let e = hiver_static::ServeDir::new(&missing).unwrap_err();
    assert!(e.is_not_found(), "{e}");
    assert!(
        e.to_string().contains(&missing.display().to_string()),
        "{e}"
    );
    let e = hiver_static::ServeDir::new(fixture.root.join("plain.txt")).unwrap_err();
    assert!(e.is_not_a_directory(), "{e}");
    let e = hiver_static::ServeFile::new(fixture.root.join("docs")).unwrap_err();
    assert!(e.is_not_a_file(), "{e}");
}

fn open_file_cache_keeps_what_it_saw(driver: Driver) {
    use hiver::Router;
    use hiver::routing::get;
    use hiver_static::ServeDir;
    use std::time::Duration;

    let fixture = Fixture::new();
    let cached = ServeDir::builder(&fixture.root)
        .open_file_cache(Duration::from_millis(300))
        .build()
        .unwrap();
    let app = Router::new()
        .route("/cached/{*path}", get(cached))
        .route("/live/{*path}", get(ServeDir::new(&fixture.root).unwrap()));
    // One worker: the second request meets the first one's entries.
    let handle = hiver::Server::bind("127.0.0.1:0")
        .driver(driver)
        .workers(1)
        .handle_signals(false)
        .start(app)
        .unwrap();
    let get = |path: &str| {
        use std::io::{Read, Write};
        let mut conn = std::net::TcpStream::connect(handle.local_addr()).unwrap();
        write!(
            conn,
            "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        answer
    };
    let body = "0123456789abcdefghij";
    let ok = |answer: String| answer.starts_with("HTTP/1.1 200") && answer.ends_with(body);
    assert!(ok(get("/cached/plain.txt")));
    std::fs::remove_file(fixture.root.join("plain.txt")).unwrap();
    // Removed on disk: the uncached directory says so at once, the cached one serves the
    // file it holds open until its entry is 300 ms old.
    assert!(get("/live/plain.txt").starts_with("HTTP/1.1 404"));
    assert!(ok(get("/cached/plain.txt")));
    std::thread::sleep(Duration::from_millis(400));
    assert!(get("/cached/plain.txt").starts_with("HTTP/1.1 404"));
    handle.shutdown();
    handle.wait().unwrap();
}
