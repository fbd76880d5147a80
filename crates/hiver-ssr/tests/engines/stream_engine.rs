//! Streamed renders through an engine alone: a bundle whose `render` returns a
//! `ReadableStream` or an async iterator, read into a [`RenderSink`] piece by piece.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use hiver_ssr::engine::{Bundle, Delivery, Engine, Limits, RenderError, RenderSink};
use serde_json::json;

use crate::every_engine::{Backend, every_engine};

fn engine(e: Backend, time: Duration) -> Box<dyn Engine> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/streaming.js");
    let bundle = Bundle::from_file(path).expect("fixture exists");
    let mut limits = Limits::default();
    limits.time = time;
    match e.create(&bundle, &limits) {
        Ok(engine) => engine,
        Err(e) => panic!("streaming.js must load: {e}"),
    }
}

/// Records what the engine handed over and when; can stop the render after some chunks.
#[derive(Default)]
struct Recorder {
    started: Option<(String, u16)>,
    chunks: Vec<(Instant, String)>,
    /// After this many chunks the consumer "goes away".
    leave_after: Option<usize>,
}

impl RenderSink for Recorder {
    fn start(&mut self, head: String, status: u16) -> Result<(), RenderError> {
        assert!(self.started.is_none(), "start is called once");
        self.started = Some((head, status));
        Ok(())
    }

    fn chunk(&mut self, html: String) -> Result<(), RenderError> {
        assert!(self.started.is_some(), "start comes before any chunk");
        assert!(!html.is_empty(), "chunks are never empty");
        self.chunks.push((Instant::now(), html));
        Ok(())
    }

    fn is_cancelled(&self) -> bool {
        self.leave_after.is_some_and(|n| self.chunks.len() >= n)
    }
}

impl Recorder {
    fn texts(&self) -> Vec<&str> {
        self.chunks.iter().map(|(_, c)| c.as_str()).collect()
    }
}

fn stream(e: Backend, url: &str, props: serde_json::Value) -> Recorder {
    let mut sink = Recorder::default();
    let delivery = engine(e, Duration::from_secs(2))
        .render_streaming(url, &props.to_string(), &mut sink)
        .unwrap_or_else(|err| panic!("{url} must stream: {err}"));
    assert_eq!(delivery, Delivery::Streamed, "{url}");
    sink
}

fn state(engine: &mut Box<dyn Engine>) -> serde_json::Value {
    let page = engine.render("/state", "{}").expect("state renders");
    serde_json::from_str(&page.html).expect("JSON")
}

every_engine! {
    fn a_stream_hands_over_its_chunks_in_order(e) {
        let sink = stream(e, "/chunks", json!({}));
        assert_eq!(sink.started, Some((String::new(), 200)));
        assert_eq!(sink.texts(), ["<p>1</p>", "<p>2</p>", "<p>3</p>"]);
    }

    fn a_whole_page_does_not_touch_the_sink(e) {
        let mut sink = Recorder::default();
        let delivery = engine(e, Duration::from_secs(2))
            .render_streaming("/whole", "{}", &mut sink)
            .expect("renders");
        let Delivery::Whole(page) = delivery else { panic!("a string is a whole page") };
        assert_eq!(page.html, "<p>whole</p>");
        assert!(sink.started.is_none() && sink.chunks.is_empty());
    }

    fn byte_chunks_are_decoded_across_split_characters(e) {
        let sink = stream(e, "/bytes", json!({}));
        assert_eq!(sink.texts().concat(), "<p>a\u{20ac}\u{1F600}b</p>");
    }

    fn an_async_iterator_streams(e) {
        let sink = stream(e, "/iterator", json!({}));
        assert_eq!(sink.texts(), ["<li>1</li>", "<li>2</li>", "<li>3</li>"]);
    }

    fn a_promise_of_a_pull_driven_byte_stream_streams(e) {
        let sink = stream(e, "/promise", json!({}));
        assert_eq!(sink.texts(), ["<i>1</i>", "<i>2</i>", "<i>3</i>"]);
    }

    fn an_object_with_a_stream_as_html_keeps_its_head_and_status(e) {
        let sink = stream(e, "/object", json!({}));
        assert_eq!(sink.started, Some(("<title>streamed</title>".to_owned(), 201)));
        assert_eq!(sink.texts().concat(), "<main>streamed</main>");
    }

    fn render_joins_a_stream_into_one_page(e) {
        let page = engine(e, Duration::from_secs(2)).render("/object", "{}").expect("renders");
        assert_eq!(page.html, "<main>streamed</main>");
        assert_eq!((page.head.as_str(), page.status), ("<title>streamed</title>", 201));
    }

    fn the_shell_is_handed_over_before_a_slow_part_resolves(e) {
        let started = Instant::now();
        let sink = stream(e, "/slow", json!({ "delay": 300 }));
        assert_eq!(sink.texts(), ["<main>shell</main>", "<section>late</section>"]);
        let first = sink.chunks[0].0 - started;
        let last = sink.chunks[1].0 - started;
        // Relative to the late part, so a loaded machine cannot make it flaky: the shell came
        // (almost) the whole delay earlier.
        assert!(last - first >= Duration::from_millis(250), "shell {first:?}, late {last:?}");
        assert!(last >= Duration::from_millis(300), "late part after {last:?}");
    }

    fn timers_wait_their_delay_and_run_in_due_order(e) {
        let started = Instant::now();
        let page = engine(e, Duration::from_secs(2)).render("/timer-order", "{}").expect("renders");
        assert_eq!(page.html, "a,b,c");
        assert!(started.elapsed() >= Duration::from_millis(40), "{:?}", started.elapsed());
    }

    fn an_error_after_the_shell_ends_the_render_with_the_error(e) {
        let mut engine = engine(e, Duration::from_secs(2));
        let mut sink = Recorder::default();
        let err = engine
            .render_streaming("/error-after-shell", "{}", &mut sink)
            .expect_err("the stream errors");
        assert!(err.is_js(), "{err}");
        assert!(err.message().contains("data source failed"), "{err}");
        assert_eq!(sink.texts(), ["<main>shell</main>"]);
        assert_eq!(engine.render("/whole", "{}").expect("next render").html, "<p>whole</p>");
    }

    fn a_chunk_that_is_not_text_or_bytes_is_a_type_error(e) {
        let mut sink = Recorder::default();
        let err = engine(e, Duration::from_secs(2))
            .render_streaming("/bad-chunk", "{}", &mut sink)
            .expect_err("42 is no chunk");
        assert!(err.is_js() && err.message().starts_with("TypeError"), "{err}");
    }

    fn a_consumer_that_goes_away_cancels_the_stream_at_once(e) {
        let mut engine = engine(e, Duration::from_secs(5));
        let mut sink = Recorder { leave_after: Some(1), ..Recorder::default() };
        let started = Instant::now();
        let err = engine
            .render_streaming("/hanging", "{}", &mut sink)
            .expect_err("the consumer left");
        assert!(err.is_cancelled(), "{err}");
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
        let state = state(&mut engine);
        assert_eq!(state["cancelled"], 1, "{state}");
    }

    fn the_memory_limit_covers_the_whole_stream(e) {
        let mut engine = engine(e, Duration::from_secs(10));
        let mut sink = Recorder::default();
        let err = engine
            .render_streaming("/hoard", "{}", &mut sink)
            .expect_err("the heap outgrows its limit");
        assert!(err.is_memory(), "{err}");
        assert!(sink.chunks.len() > 1, "it failed part-way, after {} chunks", sink.chunks.len());
    }

    fn a_stream_that_never_ends_stops_at_the_time_limit(e) {
        let mut engine = engine(e, Duration::from_millis(300));
        let mut sink = Recorder::default();
        let started = Instant::now();
        let err = engine
            .render_streaming("/hanging", "{}", &mut sink)
            .expect_err("the stream outlives the budget");
        assert!(err.is_timeout(), "{err}");
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(300) && took < Duration::from_secs(2), "{took:?}");
        assert_eq!(sink.texts(), ["<main>shell</main>"]);
    }
}
