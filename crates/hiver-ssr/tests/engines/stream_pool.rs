//! Streamed renders through the pool: the render thread hands each piece over through a
//! bounded channel; a consumer that leaves cancels the render, one that does not read holds
//! the render thread only until the time limit.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use hiver_ssr::pool::{RenderPool, RenderStream, STREAM_BUFFER, Started};
use serde_json::json;

use crate::every_engine::{Backend, every_engine};

fn pool(e: Backend, time: Duration) -> RenderPool {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/streaming.js");
    e.pool()
        .threads(1)
        .time_limit(time)
        .build_file(path)
        .expect("streaming.js loads")
}

fn start(pool: &RenderPool, url: &str, props: serde_json::Value) -> RenderStream {
    let pending = pool.submit_stream(url, &props).expect("queued");
    match pending.wait() {
        Ok(Started::Stream(stream)) => stream,
        Ok(Started::Whole(page)) => panic!("{url} streams, got a whole page {page:?}"),
        Err(e) => panic!("{url} must start: {e}"),
    }
}

fn text(bytes: &Bytes) -> &str {
    std::str::from_utf8(bytes).expect("UTF-8")
}

fn state(pool: &RenderPool) -> serde_json::Value {
    let page = pool.render_blocking("/state", &json!({})).expect("renders");
    serde_json::from_str(&page.result.html).expect("JSON")
}

every_engine! {
    fn chunks_arrive_in_order_then_the_stream_ends(e) {
        let pool = pool(e, Duration::from_secs(2));
        let mut stream = start(&pool, "/chunks", json!({}));
        assert_eq!((stream.head(), stream.status(), stream.generation()), ("", 200, 1));
        let mut chunks = Vec::new();
        while let Some(piece) = stream.next_blocking() {
            chunks.push(piece.expect("no error"));
        }
        let chunks: Vec<&str> = chunks.iter().map(text).collect();
        assert_eq!(chunks, ["<p>1</p>", "<p>2</p>", "<p>3</p>"]);
    }

    fn a_render_stream_is_an_async_stream(e) {
        let pool = pool(e, Duration::from_secs(2));
        let started = futures_executor::block_on(pool.submit_stream("/object", &json!({})).expect("queued"));
        let Ok(Started::Stream(stream)) = started else { panic!("/object streams") };
        assert_eq!((stream.head(), stream.status()), ("<title>streamed</title>", 201));
        let pieces: Vec<_> = futures_executor::block_on(stream.collect());
        let html: String = pieces.iter().map(|p| text(p.as_ref().expect("no error")).to_owned()).collect();
        assert_eq!(html, "<main>streamed</main>");
    }

    fn a_whole_page_comes_back_whole(e) {
        let pool = pool(e, Duration::from_secs(2));
        let started = pool.submit_stream("/whole", &json!({})).expect("queued").wait();
        let Ok(Started::Whole(page)) = started else { panic!("a string is a whole page") };
        assert_eq!(page.result.html, "<p>whole</p>");
    }

    fn the_shell_arrives_before_the_slow_part_resolves(e) {
        let pool = pool(e, Duration::from_secs(2));
        let started = Instant::now();
        let mut stream = start(&pool, "/slow", json!({ "delay": 300 }));
        let shell = stream.next_blocking().expect("a shell").expect("no error");
        let first = started.elapsed();
        let late = stream.next_blocking().expect("a late part").expect("no error");
        let last = started.elapsed();
        assert_eq!((text(&shell), text(&late)), ("<main>shell</main>", "<section>late</section>"));
        assert!(last - first >= Duration::from_millis(250), "shell {first:?}, late {last:?}");
        assert!(last >= Duration::from_millis(300), "late part after {last:?}");
        assert!(stream.next_blocking().is_none());
    }

    fn an_error_after_the_shell_ends_the_stream_with_it(e) {
        let pool = pool(e, Duration::from_secs(2));
        let mut stream = start(&pool, "/error-after-shell", json!({}));
        let shell = stream.next_blocking().expect("a shell").expect("no error");
        assert_eq!(text(&shell), "<main>shell</main>");
        let err = stream.next_blocking().expect("an error").expect_err("the stream failed");
        assert!(err.is_js() && err.message().contains("data source failed"), "{err}");
        assert!(stream.next_blocking().is_none(), "nothing after the error");
        assert_eq!(pool.metrics().js_errors, 1);
    }

    fn a_consumer_that_leaves_cancels_the_render_and_frees_the_thread(e) {
        let pool = pool(e, Duration::from_secs(10));
        let mut stream = start(&pool, "/hanging", json!({}));
        let shell = stream.next_blocking().expect("a shell").expect("no error");
        assert_eq!(text(&shell), "<main>shell</main>");
        drop(stream);
        let started = Instant::now();
        let page = pool.render_blocking("/whole", &json!({})).expect("the thread is free");
        assert_eq!(page.result.html, "<p>whole</p>");
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
        let state = state(&pool);
        assert_eq!((state["cancelled"].as_u64(), pool.metrics().cancelled), (Some(1), 1), "{state}");
    }

    fn a_consumer_that_does_not_read_holds_the_thread_until_the_time_limit(e) {
        let limit = Duration::from_millis(500);
        let pool = pool(e, limit);
        let started = Instant::now();
        let mut stream = start(&pool, "/endless", json!({}));
        std::thread::sleep(limit + Duration::from_millis(300));
        // The thread gave up at the limit and serves the next render at once.
        let next = Instant::now();
        let page = pool.render_blocking("/whole", &json!({})).expect("the thread is free");
        assert_eq!(page.result.html, "<p>whole</p>");
        assert!(next.elapsed() < Duration::from_millis(400), "{:?}", next.elapsed());
        // Only what the bounded channel holds was produced (the start was taken above, so
        // STREAM_BUFFER chunks); the stream then ends with the time limit.
        let mut chunks = 0;
        let ended = loop {
            match stream.next_blocking() {
                Some(Ok(chunk)) => {
                    assert_eq!(chunk.len(), 1024);
                    chunks += 1;
                }
                Some(Err(err)) => break err,
                None => panic!("an endless stream cannot end cleanly"),
            }
        };
        assert_eq!(chunks, STREAM_BUFFER);
        assert!(ended.is_timeout(), "{ended}");
        assert!(started.elapsed() >= limit);
        assert_eq!(pool.metrics().timeouts, 1);
    }
}
