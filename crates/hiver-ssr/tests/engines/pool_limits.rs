//! Budgets through the pool: a context that blew its time, memory or stack budget is replaced
//! and the same (single) render thread keeps serving.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use hiver_ssr::pool::RenderPool;
use serde_json::json;

use crate::every_engine::{Backend, every_engine};

fn one_thread_pool(e: Backend) -> RenderPool {
    let bundle = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic.js");
    let built = e
        .pool()
        .threads(1)
        .time_limit(Duration::from_millis(300))
        .memory_limit(16 << 20)
        .stack_limit(256 << 10)
        .build_file(bundle);
    match built {
        Ok(pool) => pool,
        Err(e) => panic!("basic.js must load: {e}"),
    }
}

fn html(pool: &RenderPool, url: &str) -> String {
    match pool.render_blocking(url, &json!({ "name": "Ada" })) {
        Ok(page) => page.result.html,
        Err(e) => panic!("{url} must render: {e}"),
    }
}

every_engine! {
    fn infinite_loop_times_out_and_the_same_thread_serves_the_next_render(e) {
        let pool = one_thread_pool(e);
        assert_eq!(html(&pool, "/count"), "1");
        assert_eq!(html(&pool, "/count"), "2");
        let started = Instant::now();
        let err = pool
            .render_blocking("/loop", &json!({}))
            .expect_err("loops");
        assert!(err.is_timeout(), "{err}");
        assert!(started.elapsed() < Duration::from_secs(2));
        // A fresh context: the bundle's module state starts over.
        assert_eq!(html(&pool, "/count"), "1");
        let m = pool.metrics();
        assert_eq!((m.timeouts, m.context_replacements, m.renders), (1, 1, 4));
    }

    fn runaway_allocation_hits_the_memory_limit_and_the_pool_recovers(e) {
        let pool = one_thread_pool(e);
        let err = pool
            .render_blocking("/alloc", &json!({}))
            .expect_err("allocates");
        assert!(err.is_memory(), "{err}");
        assert_eq!(html(&pool, "/string"), "<h1>Hello Ada</h1>");
        let m = pool.metrics();
        assert_eq!((m.memory_limit_hits, m.context_replacements), (1, 1));
    }

    fn deep_recursion_hits_the_stack_limit_cleanly(e) {
        let pool = one_thread_pool(e);
        let err = pool
            .render_blocking("/recurse", &json!({}))
            .expect_err("recurses");
        assert!(err.is_stack_overflow(), "{err}");
        assert!(err.js_stack().expect("stack").contains("basic.js"));
        assert_eq!(html(&pool, "/string"), "<h1>Hello Ada</h1>");
        assert_eq!(pool.metrics().stack_overflows, 1);
    }

    fn js_error_keeps_the_context(e) {
        let pool = one_thread_pool(e);
        assert_eq!(html(&pool, "/count"), "1");
        let err = pool
            .render_blocking("/throw", &json!({}))
            .expect_err("throws");
        assert!(err.is_js());
        assert!(err.to_string().contains("basic.js:"), "{err}");
        assert_eq!(html(&pool, "/count"), "2");
        let m = pool.metrics();
        assert_eq!((m.js_errors, m.context_replacements), (1, 0));
    }

    fn latency_histogram_counts_every_render(e) {
        let pool = one_thread_pool(e);
        for _ in 0..5 {
            html(&pool, "/string");
        }
        let latency = pool.metrics().latency;
        assert_eq!(latency.count(), 5);
        assert!(latency.mean() > Duration::ZERO && latency.mean() < Duration::from_millis(300));
    }
}
