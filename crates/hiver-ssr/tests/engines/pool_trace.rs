//! The `render` span: one per render, opened on the render thread as a child of the span
//! that submitted the job, naming the URL, the engine and the bundle generation; the
//! bundle's console output lands inside it.

use hiver_ssr::engine::Bundle;
use hiver_ssr::pool::RENDER_TARGET;
use serde_json::json;

use crate::capture::{self, SpanRecord};
use crate::every_engine::every_engine;

/// A bundle that logs the URL it renders and answers with its version.
fn logging(version: u64) -> Bundle {
    let source = format!(
        "globalThis.render = (url) => {{ console.log('rendering ' + url); return 'v{version}'; }};"
    );
    Bundle::from_source(format!("v{version}.js"), source)
}

fn render_spans(matching: impl Fn(&SpanRecord) -> bool) -> Vec<SpanRecord> {
    capture::spans()
        .into_iter()
        .filter(|s| s.name == "render" && matching(s))
        .collect()
}

every_engine! {
    fn each_render_has_a_span_under_the_submitting_span(e) {
        capture::install();
        let pool = e.pool().threads(1).build(logging(1)).expect("v1 loads");
        // Unique per case: the tests of this binary run in parallel and share the recorder.
        let case = format!("{}-{}", e.name(), std::process::id());
        let url = format!("/traced/{case}");
        let caller = tracing::info_span!("caller", case = case.as_str());
        let render = || caller.in_scope(|| pool.submit(url.as_str(), &json!({})));
        assert_eq!(render().expect("room").wait().expect("renders").result.html, "v1");
        assert_eq!(pool.reload(logging(2)).expect("v2 loads"), 2);
        assert_eq!(render().expect("room").wait().expect("renders").result.html, "v2");

        let spans = capture::spans();
        let caller = spans
            .iter()
            .find(|s| s.name == "caller" && s.field("case") == Some(&case))
            .expect("the caller's span was recorded");
        let renders = render_spans(|s| s.parent == Some(caller.seq));
        assert_eq!(renders.len(), 2, "one span per render: {renders:?}");
        for (span, generation) in renders.iter().zip(["1", "2"]) {
            assert_eq!(span.target, RENDER_TARGET);
            assert_eq!(span.field("url"), Some(url.as_str()), "{span:?}");
            assert_eq!(span.field("engine"), Some(e.name()), "{span:?}");
            assert_eq!(span.field("generation"), Some(generation), "{span:?}");
        }
        let logged = capture::events()
            .into_iter()
            .find(|ev| {
                ev.target == "hiver_ssr::js"
                    && ev.field("message") == Some(&format!("rendering {url}"))
            })
            .expect("the bundle's console.log was recorded");
        assert_eq!(
            logged.scope.first(),
            Some(&renders[0].seq),
            "console output is inside the render's span"
        );
    }

    fn a_render_submitted_outside_any_span_has_a_root_span(e) {
        capture::install();
        let pool = e.pool().threads(1).build(logging(1)).expect("v1 loads");
        let url = format!("/untraced/{}-{}", e.name(), std::process::id());
        pool.render_blocking(url.as_str(), &json!({})).expect("renders");
        let renders = render_spans(|s| s.field("url") == Some(url.as_str()));
        assert_eq!(renders.len(), 1, "{renders:?}");
        assert_eq!(renders[0].parent, None);
        assert_eq!(renders[0].field("generation"), Some("1"));
    }
}
