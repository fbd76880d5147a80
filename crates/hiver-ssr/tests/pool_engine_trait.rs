//! The pool only sees the engine traits: a stand-in backend shows how it creates, uses and
//! replaces contexts without QuickJS.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use hiver_ssr::engine::{Bundle, BundleError, Engine, EngineFactory, Limits, RenderResult};
use hiver_ssr::{RenderError, RenderPool};
use serde_json::json;

/// Echoes the URL with the bundle source and a per-context render count; panics on `/panic`;
/// counts its `idle` calls, and panics in the one after `/idle-fails`.
struct Echo {
    source: String,
    renders: u32,
    idles: Arc<AtomicUsize>,
    fail_idle: bool,
}

impl Engine for Echo {
    fn render(&mut self, url: &str, props_json: &str) -> Result<RenderResult, RenderError> {
        assert_ne!(url, "/panic", "the stand-in engine panics on request");
        self.renders += 1;
        self.fail_idle = url == "/idle-fails";
        let html = format!("{}|{url}|{props_json}|{}", self.source, self.renders);
        Ok(RenderResult {
            html,
            head: String::new(),
            status: 200,
        })
    }

    fn idle(&mut self) -> Result<(), RenderError> {
        self.idles.fetch_add(1, Ordering::SeqCst);
        assert!(!self.fail_idle, "the stand-in engine fails between renders");
        Ok(())
    }
}

#[derive(Clone, Default)]
struct EchoFactory {
    created: Arc<AtomicUsize>,
    /// When set, `create` panics, as a broken backend might.
    broken: Arc<AtomicBool>,
    /// `idle` calls, every context together.
    idles: Arc<AtomicUsize>,
}

impl EngineFactory for EchoFactory {
    fn create(&self, bundle: &Bundle, _: &Limits) -> Result<Box<dyn Engine>, BundleError> {
        assert!(
            !self.broken.load(Ordering::SeqCst),
            "the stand-in factory is broken"
        );
        self.created.fetch_add(1, Ordering::SeqCst);
        let source = bundle.source().to_owned();
        Ok(Box::new(Echo {
            source,
            renders: 0,
            idles: Arc::clone(&self.idles),
            fail_idle: false,
        }))
    }

    fn name(&self) -> &'static str {
        "echo"
    }
}

/// A pool of `threads` render threads on `factory`, loaded with the bundle `A`.
fn pool(factory: &EchoFactory, threads: usize) -> RenderPool {
    RenderPool::builder()
        .threads(threads)
        .engine(factory.clone())
        .build(Bundle::from_source("b.js", "A"))
        .expect("builds")
}

#[test]
fn one_context_per_thread_plus_one_to_validate() {
    let factory = EchoFactory::default();
    let pool = pool(&factory, 2);
    assert_eq!(factory.created.load(Ordering::SeqCst), 3);
    let page = pool
        .render_blocking("/x", &json!({ "k": "v" }))
        .expect("renders");
    assert_eq!(page.result.html, "A|/x|{\"k\":\"v\"}|1");
    pool.reload(Bundle::from_source("b.js", "B"))
        .expect("reloads");
    assert_eq!(factory.created.load(Ordering::SeqCst), 4);
    let page = pool.render_blocking("/y", &json!(null)).expect("renders");
    assert_eq!(
        (page.result.html.as_str(), page.generation),
        ("B|/y|null|1", 2)
    );
}

#[test]
fn a_panicking_engine_is_a_crash_error_and_its_context_is_replaced() {
    let factory = EchoFactory::default();
    let pool = pool(&factory, 1);
    assert!(
        pool.render_blocking("/a", &json!({}))
            .expect("ok")
            .result
            .html
            .ends_with("|1")
    );
    assert!(
        pool.render_blocking("/a", &json!({}))
            .expect("ok")
            .result
            .html
            .ends_with("|2")
    );
    let err = pool
        .render_blocking("/panic", &json!({}))
        .expect_err("panics");
    assert!(err.is_crash(), "{err}");
    // The fresh context counts from 1 again.
    assert!(
        pool.render_blocking("/a", &json!({}))
            .expect("ok")
            .result
            .html
            .ends_with("|1")
    );
    let m = pool.metrics();
    assert_eq!((m.crashes, m.context_replacements), (1, 1));
    assert_eq!(factory.created.load(Ordering::SeqCst), 3);
}

#[test]
fn a_factory_that_panics_while_rebuilding_does_not_kill_the_thread() {
    let factory = EchoFactory::default();
    let pool = pool(&factory, 1);
    factory.broken.store(true, Ordering::SeqCst);
    // The engine panics, then rebuilding it panics too.
    let err = pool
        .render_blocking("/panic", &json!({}))
        .expect_err("panics");
    assert!(err.is_crash(), "{err}");
    let err = pool
        .render_blocking("/a", &json!({}))
        .expect_err("no context");
    assert!(err.is_crash(), "{err}");
    factory.broken.store(false, Ordering::SeqCst);
    let page = pool
        .render_blocking("/a", &json!({}))
        .expect("the same thread recovered");
    assert_eq!(page.result.html, "A|/a|{}|1");
}

#[test]
fn an_engine_without_streaming_answers_a_streamed_submit_whole() {
    let pool = pool(&EchoFactory::default(), 1);
    let started = pool.submit_stream("/s", &json!(1)).expect("queued").wait();
    let Ok(hiver_ssr::pool::Started::Whole(page)) = started else {
        panic!("the default render_streaming renders whole: {started:?}")
    };
    assert_eq!(page.result.html, "A|/s|1|1");
}

#[test]
fn the_engine_idles_after_each_render_and_a_panicking_idle_replaces_its_context() {
    let factory = EchoFactory::default();
    let pool = pool(&factory, 1);
    for n in 1..=3 {
        let page = pool.render_blocking("/a", &json!({})).expect("renders");
        assert!(
            page.result.html.ends_with(&format!("|{n}")),
            "{}",
            page.result.html
        );
    }
    // The one thread idles after handing each page over, so by the time the third page is
    // back the first two idles are done.
    assert!(factory.idles.load(Ordering::SeqCst) >= 2);
    let page = pool
        .render_blocking("/idle-fails", &json!({}))
        .expect("the page is fine");
    assert!(page.result.html.ends_with("|4"));
    // The context whose idle panicked is replaced before the next job: it counts from 1.
    let page = pool.render_blocking("/a", &json!({})).expect("renders");
    assert!(page.result.html.ends_with("|1"), "{}", page.result.html);
    assert_eq!(pool.metrics().context_replacements, 1);
    assert!(factory.idles.load(Ordering::SeqCst) >= 4);
}
