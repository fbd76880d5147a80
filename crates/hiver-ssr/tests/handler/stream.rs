//! Streamed pages over a real server: the document head goes out at once, then each chunk as
//! the render produces it; the completed page is cached and served whole; a failed stream is
//! closed early and never cached; a client that leaves cancels the render; a client that
//! does not read holds the render thread only until the time limit.

use std::io::Read;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use hiver::test::{TestClient, TestResponse, TestServer, read_until};
use hiver::trace::TraceLayer;
use hiver_ssr::serve::{PagePolicy, Ssr};
use tracing::Level;

use crate::capture;
use crate::every_engine::{Backend, every_engine};
use crate::support::{brotli, fixtures, manifest, render_no};

fn ssr(e: Backend, time: Duration) -> Ssr {
    let pages = [
        "/s/fast",
        "/s/slow",
        "/s/fail",
        "/s/ticking",
        "/s/endless",
        "/s/bad-status",
    ];
    let mut builder = e
        .ssr()
        .bundle(fixtures().join("stream.js"))
        .manifest(manifest(), "src/main.js")
        .asset_base("/static/")
        .threads(1)
        .time_limit(time)
        .page("/s/state", PagePolicy::new().no_store(true));
    for page in pages {
        builder = builder.page(page, PagePolicy::new());
    }
    builder.build().expect("stream.js loads")
}

/// The bundle's counters, from a render on the (one) render thread.
fn bundle_state(server: &TestServer) -> serde_json::Value {
    let body = server.get("/s/state").send().text();
    let start = body.find("<pre>").expect("state") + "<pre>".len();
    let end = body.find("</pre>").expect("state end");
    serde_json::from_str(&body[start..end]).expect("JSON")
}

/// The React case of `fixtures/stream_expected.json`: props and node's streamed HTML.
fn react_case() -> serde_json::Value {
    let path = fixtures().join("../stream_expected.json");
    let text = std::fs::read_to_string(path).expect("stream_expected.json is readable");
    let cases: Vec<serde_json::Value> = serde_json::from_str(&text).expect("a JSON array");
    cases
        .into_iter()
        .find(|c| c["bundle"] == "react_stream.js")
        .expect("a React case")
}

/// What a client has read so far, as text.
fn text(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).into_owned()
}

fn read_to_end(socket: &mut TcpStream) -> Vec<u8> {
    let mut rest = Vec::new();
    socket.read_to_end(&mut rest).expect("reads to the end");
    rest
}

every_engine! {
    fn a_react_page_streams_its_shell_before_its_suspense_boundary_resolves(e) {
        let case = react_case();
        let mut props = case["props"].clone();
        props["delay"] = 600.into();
        let ssr = e
            .ssr()
            .bundle(fixtures().join("../react_stream.js"))
            .manifest(manifest(), "src/main.js")
            .asset_base("/static/")
            .threads(1)
            .time_limit(Duration::from_secs(5))
            .page("/product/{id}", PagePolicy::new().props(move |_| props.clone()))
            .build()
            .expect("react_stream.js loads");
        let server = TestServer::start(ssr.router());
        let started = Instant::now();
        let mut socket = server.open_get("/product/7");
        let shell = text(&read_until(&mut socket, "Loading reviews"));
        let first = started.elapsed();
        assert!(!shell.contains("would order again"), "{shell}");
        let rest = String::from_utf8(read_to_end(&mut socket)).expect("UTF-8");
        let last = started.elapsed();
        assert!(last - first >= Duration::from_millis(400), "shell {first:?}, boundary {last:?}");
        assert!(last >= Duration::from_millis(600), "the boundary after {last:?}");
        // Node's streamed HTML, whole, in the root element of the cached page.
        let cached = server.get("/product/7").send().text();
        let html = case["html"].as_str().expect("html");
        assert!(cached.contains(&format!(r#"<div id="app">{html}</div>"#)), "{cached}");
        assert!(rest.contains(r#"$RC("B:0","S:0")"#), "{rest}");
    }

    fn a_streamed_page_is_the_document_and_is_then_served_whole_from_the_cache(e) {
        let ssr = ssr(e, Duration::from_secs(2));
        let server = TestServer::start(ssr.router());
        let first = server.get("/s/fast").send();
        assert_eq!(first.status(), 200);
        assert_eq!(first.header("x-hiver-render"), Some("stream"));
        assert_eq!(first.header("x-hiver-cache"), Some("miss"));
        assert_eq!(first.header("transfer-encoding"), Some("chunked"));
        assert_eq!(first.header("cache-control"), Some("private, no-store"));
        assert!(first.header("etag").is_none());
        let body = first.text();
        assert!(body.starts_with("<!doctype html><html lang=\"en\">"), "{body}");
        assert!(body.contains("<title>streamed</title>"), "{body}");
        assert!(body.contains(r#"<script type="module" src="/static/assets/main-abc123.js"></script>"#));
        assert!(
            body.contains(r#"<div id="app"><main><p>render #1</p><p>two</p><p>three €</p></main></div>"#),
            "{body}"
        );
        assert!(body.ends_with("</script></body></html>"), "{body}");
        // Stored once complete (after the last byte went out): the next request is a hit,
        // or, if it came before the page was stored, waits for it; either way it is whole.
        let second = server.get("/s/fast").send();
        let outcome = second.header("x-hiver-cache").unwrap_or("");
        assert!(["hit-l1", "hit-l2", "coalesced"].contains(&outcome), "{outcome}");
        assert_eq!(second.header("x-hiver-render"), None);
        assert!(second.header("etag").is_some());
        assert_eq!(second.text(), body);
        // ... and compressed when it was stored.
        let br = server.get("/s/fast").header("accept-encoding", "br").send();
        assert!(br.header("x-hiver-cache").is_some_and(|o| o.starts_with("hit")));
        assert_eq!(br.header("content-encoding"), Some("br"));
        assert_eq!(brotli(&br.bytes()), body);
        assert_eq!(bundle_state(&server)["renders"], 2, "one render for /s/fast, one for /s/state");
        assert_eq!(ssr.metrics().streamed, 1, "only the miss streamed");
    }

    fn a_streamed_page_for_credentials_is_labelled_bypass_and_not_stored(e) {
        let ssr = ssr(e, Duration::from_secs(2));
        let server = TestServer::start(ssr.router());
        let mine = server.get("/s/fast").header("authorization", "Bearer x").send();
        assert_eq!(mine.header("x-hiver-render"), Some("stream"));
        assert_eq!(mine.header("x-hiver-cache"), Some("bypass"));
        assert_eq!(mine.header("cache-control"), Some("private, no-store"));
        assert_eq!(render_no(&mine.text()), 1);
        let shared = server.get("/s/fast").send();
        assert_eq!(shared.header("x-hiver-cache"), Some("miss"), "the bypass was not stored");
        assert_eq!(render_no(&shared.text()), 2);
        assert_eq!(ssr.metrics().streamed, 2);
    }

    fn a_background_refresh_of_a_streamed_page_joins_the_stream_and_stores_it(e) {
        let policy = PagePolicy::new().ttl(Duration::from_millis(300)).swr(Duration::from_secs(30));
        let ssr = e
            .ssr()
            .bundle(fixtures().join("stream.js"))
            .manifest(manifest(), "src/main.js")
            .asset_base("/static/")
            .threads(1)
            .page("/s/fast", policy)
            .build()
            .expect("stream.js loads");
        let server = TestServer::start(ssr.router());
        assert_eq!(server.get("/s/fast").send().header("x-hiver-render"), Some("stream"));
        std::thread::sleep(Duration::from_millis(400));
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let res = server.get("/s/fast").send();
            assert_eq!(res.header("x-hiver-render"), None, "stale and hits go out whole");
            let outcome = res.header("x-hiver-cache").unwrap_or("").to_owned();
            if render_no(&res.text()) == 2 {
                assert!(outcome.starts_with("hit"), "{outcome}");
                break;
            }
            assert_eq!(outcome, "stale", "until the refresh lands, the stale page");
            assert!(Instant::now() < deadline, "the refresh never landed");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(ssr.metrics().streamed, 1, "the refresh had nobody to stream to");
    }

    fn a_head_request_waits_for_the_whole_page_and_fills_the_cache(e) {
        let ssr = ssr(e, Duration::from_secs(2));
        let server = TestServer::start(ssr.router());
        let head = server.request(http::Method::HEAD, "/s/fast").send();
        assert_eq!(head.status(), 200);
        assert_eq!(head.header("x-hiver-cache"), Some("miss"));
        assert_eq!(head.header("x-hiver-render"), None, "not streamed");
        assert!(head.header("etag").is_some());
        let get = server.get("/s/fast").send();
        assert!(get.header("x-hiver-cache").is_some_and(|o| o.starts_with("hit")));
        assert_eq!(render_no(&get.text()), 1);
    }

    fn the_head_and_shell_arrive_before_the_slow_part_resolves(e) {
        let ssr = ssr(e, Duration::from_secs(2));
        let server = TestServer::start(ssr.router());
        let started = Instant::now();
        let mut socket = server.open_get("/s/slow");
        let head = text(&read_until(&mut socket, "</main>"));
        let first = started.elapsed();
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(head.contains("<title>streamed</title>") && head.contains("main-abc123.js"), "{head}");
        assert!(!head.contains("late"), "{head}");
        let rest = String::from_utf8(read_to_end(&mut socket)).expect("UTF-8");
        let last = started.elapsed();
        assert!(rest.contains("<section>late</section>"), "{rest}");
        assert!(rest.contains("</html>"), "{rest}");
        assert!(last - first >= Duration::from_millis(300), "first bytes {first:?}, all {last:?}");
        assert!(last >= Duration::from_millis(400), "the whole page after {last:?}");
    }

    fn waiters_on_a_streaming_miss_get_the_whole_page(e) {
        let ssr = ssr(e, Duration::from_secs(2));
        let server = TestServer::start(ssr.router());
        let mut leader = server.open_get("/s/slow");
        let first = read_until(&mut leader, "shell render #1");
        let head = text(&first);
        assert!(head.contains("x-hiver-render: stream"), "{head}");
        // The page is streaming now: a second request waits for it, whole.
        let (waited, streamed) = std::thread::scope(|s| {
            let waiter = s.spawn(|| server.get("/s/slow").send());
            let mut raw = first;
            raw.extend(read_to_end(&mut leader));
            (waiter.join().unwrap(), TestResponse::parse(&raw).text())
        });
        assert_eq!(waited.header("x-hiver-cache"), Some("coalesced"));
        assert_eq!(waited.header("x-hiver-render"), None);
        assert_eq!(waited.text(), streamed, "the waiter got the streamed bytes, whole");
        assert_eq!(render_no(&waited.text()), 1);
    }

    fn an_error_after_the_shell_closes_the_page_and_is_never_cached(e) {
        let ssr = ssr(e, Duration::from_secs(2));
        let server = TestServer::start(ssr.router());
        let first = server.get("/s/fail").send();
        assert_eq!(first.status(), 200, "the status went out with the head");
        let body = first.text();
        assert!(body.contains("<main>shell render #1</main></div>"), "{body}");
        assert!(body.ends_with("</script></body></html>"), "closed cleanly: {body}");
        let second = server.get("/s/fail").send();
        assert_eq!(second.header("x-hiver-cache"), Some("miss"));
        assert_eq!(render_no(&second.text()), 2, "rendered again, not cached");
        assert_eq!(ssr.metrics().pool.js_errors, 2);
    }

    fn an_error_after_the_shell_is_logged_in_the_request_span(e) {
        capture::install();
        let ssr = ssr(e, Duration::from_secs(2));
        let client = TestClient::new(ssr.router().layer(TraceLayer::new()));
        let id = format!("stream-error-{}-{}", e.name(), std::process::id());
        let res = client.get("/s/fail").header("x-request-id", id.as_str()).send();
        assert!(res.text().contains("<main>shell render #1</main>"));
        let request = capture::spans()
            .into_iter()
            .find(|s| s.name == "request" && s.field("request_id") == Some(&id))
            .expect("the request's span was recorded");
        let logged: Vec<_> = capture::events()
            .into_iter()
            .filter(|ev| ev.level == Level::ERROR && ev.scope.contains(&request.seq))
            .collect();
        assert_eq!(logged.len(), 1, "one error line: {logged:?}");
        let line = &logged[0];
        assert_eq!(line.field("url"), Some("/s/fail"), "{line:?}");
        assert!(line.field("error").is_some_and(|e| e.contains("data source failed")), "{line:?}");
        assert_eq!(line.field("to_client"), Some("true"), "{line:?}");
    }

    fn a_bad_status_before_the_first_byte_serves_the_shell(e) {
        let ssr = ssr(e, Duration::from_secs(2));
        let server = TestServer::start(ssr.router());
        let res = server.get("/s/bad-status").send();
        assert_eq!(res.status(), 500);
        assert_eq!(res.header("x-hiver-render"), Some("shell"));
    }

    fn a_client_that_leaves_mid_stream_cancels_the_render(e) {
        let ssr = ssr(e, Duration::from_secs(10));
        let server = TestServer::start(ssr.router());
        let mut socket = server.open_get("/s/ticking");
        read_until(&mut socket, "<main>shell</main>");
        drop(socket);
        // hiver notices the closed connection at its next write (the next tick), and the
        // one render thread is free again long before the stream's 10 s.
        let started = Instant::now();
        let state = bundle_state(&server);
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert_eq!(state["cancelled"], 1, "{state}");
        assert_eq!(ssr.metrics().pool.cancelled, 1);
        // Nothing was stored: the next request renders (and streams) again.
        let mut again = server.open_get("/s/ticking");
        let head = text(&read_until(&mut again, "<main>shell</main>"));
        assert!(head.contains("x-hiver-cache: miss"), "{head}");
    }

    fn a_client_that_does_not_read_holds_the_render_only_until_the_time_limit(e) {
        let limit = Duration::from_millis(1000);
        let ssr = ssr(e, limit);
        let server = TestServer::start(ssr.router());
        let mut socket = server.open_get("/s/endless");
        std::thread::sleep(limit + Duration::from_millis(500));
        // The render thread gave up at the limit: it serves the next render at once.
        let started = Instant::now();
        assert_eq!(bundle_state(&server)["cancelled"], 0);
        assert!(started.elapsed() < Duration::from_millis(500), "{:?}", started.elapsed());
        assert_eq!(ssr.metrics().pool.timeouts, 1);
        // What was produced is bounded by the socket buffers and the two channels, far
        // below what an unbounded render would have made in a second.
        let body = read_to_end(&mut socket);
        assert!(body.len() < 24 << 20, "{} bytes", body.len());
        assert!(String::from_utf8_lossy(&body).contains("</html>"), "closed after the limit");
    }
}
