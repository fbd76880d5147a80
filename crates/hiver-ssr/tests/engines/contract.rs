//! Each engine on its own: the JS contract, the prelude's globals, budgets and load errors.

use std::path::PathBuf;
use std::time::Duration;

use hiver_ssr::engine::{Bundle, Engine, Limits, RenderResult};
use serde_json::json;

use crate::capture::logged_by;
use crate::every_engine::{Backend, every_engine};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.time = Duration::from_millis(300);
    limits
}

fn engine(e: Backend) -> Box<dyn Engine> {
    let bundle = Bundle::from_file(fixture("basic.js")).expect("fixture exists");
    match e.create(&bundle, &limits()) {
        Ok(engine) => engine,
        Err(e) => panic!("basic.js must load: {e}"),
    }
}

fn render(engine: &mut Box<dyn Engine>, url: &str, props: serde_json::Value) -> RenderResult {
    match engine.render(url, &props.to_string()) {
        Ok(page) => page,
        Err(e) => panic!("{url} must render: {e}"),
    }
}

/// The 1-based line of the first line of `file` containing `needle`.
fn line_of(file: &str, needle: &str) -> u32 {
    let text = std::fs::read_to_string(fixture(file)).expect("fixture exists");
    let index = text
        .lines()
        .position(|l| l.contains(needle))
        .expect("needle");
    u32::try_from(index + 1).expect("small file")
}

fn load_error(e: Backend, file: &str) -> hiver_ssr::engine::BundleError {
    let bundle = Bundle::from_file(fixture(file)).expect("fixture exists");
    match e.create(&bundle, &limits()) {
        Ok(_) => panic!("{file} must not load"),
        Err(e) => e,
    }
}

/// Read before any engine exists, so one case covers every backend.
#[test]
fn missing_file_names_the_file() {
    let err = Bundle::from_file(fixture("does_not_exist.js")).expect_err("missing");
    assert!(err.is_io());
    assert!(err.to_string().contains("does_not_exist.js: "), "{err}");
}

every_engine! {
    fn string_result(e) {
        let page = render(&mut engine(e), "/string", json!({ "name": "Ada" }));
        assert_eq!(page.html, "<h1>Hello Ada</h1>");
        assert_eq!((page.head.as_str(), page.status), ("", 200));
    }

    fn promise_result(e) {
        let page = render(&mut engine(e), "/promise", json!({ "name": "Ada" }));
        assert_eq!(page.html, "<p>async Ada</p>");
    }

    fn object_result_with_head_and_status(e) {
        let page = render(&mut engine(e), "/object", json!({}));
        assert_eq!(page.html, "<main>missing</main>");
        assert_eq!(page.head, "<title>Not found</title>");
        assert_eq!(page.status, 404);
    }

    fn hostile_props_arrive_intact_as_data(e) {
        let hostile =
            "\"'`${globalThis.x = 1}`</script><script>alert(1)</script>\\ \u{2028}\u{2029} \0 é 😀";
        let props = json!({ "text": hostile, "nested": { "k`${1}`": [hostile] } });
        let page = render(&mut engine(e), "/echo", props.clone());
        let echoed: serde_json::Value = serde_json::from_str(&page.html).expect("echo is JSON");
        assert_eq!(echoed, json!({ "url": "/echo", "props": props }));
    }

    fn timers_run_after_microtasks_and_clear_timeout_works(e) {
        let page = render(&mut engine(e), "/timers", json!({}));
        assert_eq!(page.html, "sync,microtask,timeout");
    }

    fn text_encoder_and_decoder_round_trip_utf8(e) {
        let text = "aé€😀\u{2028}";
        let page = render(&mut engine(e), "/text", json!({ "text": text }));
        assert_eq!(page.html, format!("{text}|{}", text.len()));
    }

    fn prelude_globals_without_browser_globals(e) {
        let page = render(&mut engine(e), "/globals", json!({}));
        let globals: serde_json::Value = serde_json::from_str(&page.html).expect("JSON");
        assert_eq!(
            globals,
            json!({
                "window": "undefined", "self": "undefined", "document": "undefined",
                "env": "production", "encoder": "function", "decoder": "function",
                "microtask": "function",
            })
        );
    }

    fn console_calls_do_not_break_rendering(e) {
        let page = render(&mut engine(e), "/console", json!({}));
        assert_eq!(page.html, "logged");
    }

    fn thrown_error_is_js_with_file_line_and_stack(e) {
        let err = engine(e).render("/throw", "{}").expect_err("throws");
        assert!(err.is_js(), "{err}");
        assert_eq!(err.message(), "TypeError: bad props");
        assert!(err.file().expect("file").ends_with("basic.js"));
        assert_eq!(err.line(), Some(line_of("basic.js", "bad props")));
        assert!(err.js_stack().expect("stack").contains("basic.js"));
    }

    fn rejected_promise_is_js_error(e) {
        let err = engine(e).render("/reject", "{}").expect_err("rejects");
        assert!(err.is_js());
        assert_eq!(err.message(), "Error: async failure");
    }

    fn non_page_result_is_js_error(e) {
        let err = engine(e)
            .render("/bad-result", "{}")
            .expect_err("42 is no page");
        assert!(err.is_js());
        assert!(err.message().contains("got number"), "{}", err.message());
    }

    fn promise_that_never_settles_is_a_timeout(e) {
        let err = engine(e).render("/never", "{}").expect_err("never settles");
        assert!(err.is_timeout(), "{err}");
    }

    fn promise_kept_pending_by_endless_timers_ends_at_the_deadline(e) {
        let started = std::time::Instant::now();
        let err = engine(e)
            .render("/timer-loop", "{}")
            .expect_err("never settles");
        assert!(err.is_timeout(), "{err}");
        assert!(started.elapsed() >= Duration::from_millis(300));
    }

    fn infinite_loop_ends_at_the_deadline(e) {
        let started = std::time::Instant::now();
        let err = engine(e).render("/loop", "{}").expect_err("loops");
        assert!(err.is_timeout(), "{err}");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(300) && took < Duration::from_secs(2),
            "{took:?}"
        );
    }

    fn infinite_loop_inside_a_microtask_ends_at_the_deadline(e) {
        let err = engine(e).render("/loop-async", "{}").expect_err("loops");
        assert!(err.is_timeout(), "{err}");
    }

    fn syntax_error_names_file_line_and_message(e) {
        let err = load_error(e, "bad_syntax.js");
        assert!(err.is_js());
        assert!(err.file().ends_with("bad_syntax.js"));
        assert_eq!(err.line(), Some(3));
        assert!(
            err.message().starts_with("SyntaxError: "),
            "{}",
            err.message()
        );
        assert!(
            err.to_string().contains("bad_syntax.js:3: SyntaxError: "),
            "{err}"
        );
    }

    fn throw_at_load_names_file_line_and_message(e) {
        let err = load_error(e, "throws_at_load.js");
        assert!(err.is_js());
        assert_eq!(err.line(), Some(2));
        assert!(
            err.to_string()
                .ends_with("throws_at_load.js:2: Error: cannot start: missing config"),
            "{err}"
        );
    }

    fn missing_render_function_is_reported(e) {
        let err = load_error(e, "no_render.js");
        assert!(err.is_missing_render());
        assert!(err.to_string().contains("no_render.js: "), "{err}");
    }

    fn infinite_loop_at_load_is_a_timeout(e) {
        let bundle = Bundle::from_source("spin.js", "while (true) {}\nglobalThis.render = () => ''");
        let err = e.create(&bundle, &limits()).err().expect("spins");
        assert!(err.is_timeout(), "{err}");
        assert_eq!(err.file(), "spin.js");
    }

    fn bundle_source_from_memory_uses_its_name_in_errors(e) {
        let bundle = Bundle::from_source("inline.js", "\n\nglobalThis.render = () => {;");
        let err = e
            .create(&bundle, &limits())
            .err()
            .expect("bad syntax");
        assert!(
            err.to_string().starts_with("inline.js:3: SyntaxError"),
            "{err}"
        );
    }

    fn console_is_routed_to_tracing_at_matching_levels(e) {
        let mut engine = engine(e);
        let logged = logged_by(|| {
            render(&mut engine, "/console", json!({}));
        });
        assert!(
            logged.contains("INFO hiver_ssr::js: log {\"a\":1}"),
            "{logged}"
        );
        assert!(
            logged.contains("ERROR hiver_ssr::js: Error: shown"),
            "{logged}"
        );
    }

    fn the_same_context_renders_again_after_a_timeout(e) {
        let mut engine = engine(e);
        let err = engine.render("/loop", "{}").expect_err("loops");
        assert!(err.is_timeout(), "{err}");
        let page = render(&mut engine, "/string", json!({ "name": "Ada" }));
        assert_eq!(page.html, "<h1>Hello Ada</h1>");
    }

    fn thrown_non_error_value_is_shown(e) {
        let bundle = Bundle::from_source("t.js", "globalThis.render = () => { throw 'oops' }");
        let mut engine = e.create(&bundle, &limits()).expect("loads");
        let err = engine.render("/", "{}").expect_err("throws");
        assert!(err.is_js());
        assert_eq!(err.message(), "uncaught exception: oops");
    }

    fn runaway_allocation_at_load_is_a_memory_error(e) {
        let source = "const hoard = [];\nwhile (true) hoard.push(new Array(100000).fill(1));";
        let bundle = Bundle::from_source("hog.js", source);
        let mut small = limits();
        small.memory = 16 << 20;
        small.time = Duration::from_secs(5);
        let err = e.create(&bundle, &small).err().expect("allocates without end");
        assert!(err.is_memory(), "{err}");
        assert_eq!(err.file(), "hog.js");
    }

    fn deep_recursion_is_a_stack_overflow_not_a_crash(e) {
        let mut engine = engine(e);
        let err = engine.render("/recurse", "{}").expect_err("recurses");
        assert!(err.is_stack_overflow(), "{err}");
        assert!(err.js_stack().expect("stack").contains("basic.js"));
    }

    fn the_stack_limit_sets_how_deep_javascript_recurses_on_quickjs_only(e) {
        let source = "globalThis.render = () => {\n  let depth = 0;\n  const down = () => { depth++; down(); };\n  try { down(); } catch (_) {}\n  return String(depth);\n};";
        let bundle = Bundle::from_source("depth.js", source);
        let depth = |stack: usize| -> u64 {
            let mut limits = limits();
            limits.stack = stack;
            let mut engine = e.create(&bundle, &limits).expect("loads");
            let page = engine.render("/", "{}").expect("the RangeError is caught in JS");
            page.html.parse().expect("a number")
        };
        let (small, large) = (depth(128 << 10), depth(1 << 20));
        match e {
            Backend::QuickJs => assert!(small > 10 && small * 4 < large, "{small} vs {large}"),
            // V8 keeps its own limit (see the engine docs): the depth does not follow.
            // (Frames differ in size as code tiers up, so depths vary a little, not 8-fold.)
            #[cfg(feature = "v8")]
            Backend::V8 => assert!(small > 1000 && large < small * 2, "{small} vs {large}"),
        }
    }
}
