//! Real React and Preact streaming renderers (`fixtures/react_stream.js` and
//! `react_stream_browser.js`, React's edge and browser builds; `fixtures/preact_stream.js`:
//! `renderToReadableStream` with a Suspense boundary whose data
//! arrives from a timer) streamed by every engine give, chunks joined, byte for byte what
//! node's own streaming renderers gave for the same bundle, props and data timing
//! (`fixtures/stream_expected.json`, written by `fixtures/src/stream_expected.mjs`); and the
//! shell, with the Suspense fallback, comes in an earlier chunk than the late data.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use hiver_ssr::engine::{Bundle, Delivery, Limits, RenderError, RenderSink};
use serde_json::Value;

use crate::every_engine::{Backend, every_engine};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Collects the chunks and when each came.
#[derive(Default)]
struct Chunks {
    head: Option<(String, u16)>,
    chunks: Vec<(Instant, String)>,
}

impl RenderSink for Chunks {
    fn start(&mut self, head: String, status: u16) -> Result<(), RenderError> {
        self.head = Some((head, status));
        Ok(())
    }

    fn chunk(&mut self, html: String) -> Result<(), RenderError> {
        self.chunks.push((Instant::now(), html));
        Ok(())
    }

    fn is_cancelled(&self) -> bool {
        false
    }
}

fn case(bundle: &str) -> Value {
    let text = std::fs::read_to_string(fixtures().join("stream_expected.json"))
        .expect("stream_expected.json is readable");
    let cases: Vec<Value> = serde_json::from_str(&text).expect("a JSON array");
    cases
        .into_iter()
        .find(|c| c["bundle"] == bundle)
        .unwrap_or_else(|| panic!("stream_expected.json has no case for {bundle}"))
}

fn streams_as_node_does(e: Backend, bundle: &str) {
    let case = case(bundle);
    let source = Bundle::from_file(fixtures().join(bundle)).expect("fixture exists");
    let mut limits = Limits::default();
    limits.time = Duration::from_secs(10);
    let mut engine = e.create(&source, &limits).expect("the bundle loads");
    let url = case["url"].as_str().expect("url");
    let mut sink = Chunks::default();
    let started = Instant::now();
    let delivery = engine
        .render_streaming(url, &case["props"].to_string(), &mut sink)
        .unwrap_or_else(|err| panic!("{bundle} must stream: {err}"));
    assert_eq!(delivery, Delivery::Streamed);
    let head = case["head"].as_str().expect("head");
    assert_eq!(sink.head, Some((head.to_owned(), 200)));
    let joined: String = sink.chunks.iter().map(|(_, c)| c.as_str()).collect();
    assert_eq!(joined, case["html"].as_str().expect("html"), "{bundle}");
    let (first, last) = (&sink.chunks[0], &sink.chunks[sink.chunks.len() - 1]);
    assert!(
        first.1.contains("Loading reviews"),
        "the shell first: {}",
        first.1
    );
    assert!(
        !first.1.contains("would order again"),
        "the data later: {}",
        first.1
    );
    let delay = Duration::from_millis(case["props"]["delay"].as_u64().expect("delay"));
    assert!(last.0 - started >= delay, "the data after its delay");
}

every_engine! {
    fn react_streams_byte_for_byte_as_node_does(e) {
        streams_as_node_does(e, "react_stream.js");
    }

    fn react_on_its_browser_build_streams_byte_for_byte_as_node_does(e) {
        // react-dom/server.browser schedules its work through MessageChannel.
        streams_as_node_does(e, "react_stream_browser.js");
    }

    fn preact_streams_byte_for_byte_as_node_does(e) {
        streams_as_node_does(e, "preact_stream.js");
    }
}
