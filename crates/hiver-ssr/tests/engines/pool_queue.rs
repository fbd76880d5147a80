//! The bounded queue, the async submit path, start-up validation and shutdown.

use std::future::Future;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::{Duration, Instant};

use hiver_ssr::pool::{PendingRender, RenderPool};
use serde_json::json;

use crate::every_engine::{Backend, every_engine};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn pool(e: Backend, threads: usize, capacity: usize) -> RenderPool {
    let built = e
        .pool()
        .threads(threads)
        .queue_capacity(capacity)
        .build_file(fixture("basic.js"));
    match built {
        Ok(pool) => pool,
        Err(e) => panic!("basic.js must load: {e}"),
    }
}

/// Waits until the render threads have taken every queued job and started rendering it.
fn until_queue_empty(pool: &RenderPool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while pool.metrics().queue_depth > 0 || pool.metrics().in_flight == 0 {
        assert!(Instant::now() < deadline, "queue never drained");
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn busy(pool: &RenderPool, ms: u64) -> PendingRender {
    match pool.submit("/busy", &json!({ "ms": ms })) {
        Ok(pending) => pending,
        Err(e) => panic!("submit: {e}"),
    }
}

struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// A minimal executor: the pool's futures need no particular async runtime.
fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}

#[test]
fn pool_and_pending_renders_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<RenderPool>();
    send::<PendingRender>();
    send::<hiver_ssr::RenderError>();
}

every_engine! {
    fn full_queue_fails_at_once(e) {
        let pool = pool(e, 1, 1);
        let holding = busy(&pool, 400);
        until_queue_empty(&pool); // the only thread is now inside the slow render
        let queued = pool
            .submit("/string", &json!({ "name": "q" }))
            .expect("one slot");
        let started = Instant::now();
        let err = pool
            .submit("/string", &json!({ "name": "x" }))
            .expect_err("full");
        assert!(err.is_queue_full(), "{err}");
        assert!(started.elapsed() < Duration::from_millis(50));
        assert_eq!(pool.metrics().queue_full_rejections, 1);
        assert_eq!(holding.wait().expect("slow render finishes").result.html, "done");
        assert_eq!(
            queued.wait().expect("queued render runs").result.html,
            "<h1>Hello q</h1>"
        );
    }

    fn default_queue_holds_512_renders(e) {
        // Only the time limit is set: the endless loop below then holds the only thread for
        // exactly that long, whatever the machine's load.
        let pool = e
            .pool()
            .threads(1)
            .time_limit(Duration::from_secs(1))
            .build_file(fixture("basic.js"))
            .expect("basic.js loads");
        let looping = pool.submit("/loop", &json!({})).expect("room");
        until_queue_empty(&pool);
        let queued: Vec<PendingRender> = (0..512)
            .map(|i| match pool.submit("/string", &json!({ "name": i })) {
                Ok(pending) => pending,
                Err(e) => panic!("render {i} of 512 must be queued: {e}"),
            })
            .collect();
        assert_eq!(pool.metrics().queue_depth, 512);
        let started = Instant::now();
        let err = pool
            .submit("/string", &json!({ "name": 512 }))
            .expect_err("the 513th finds the queue full");
        assert!(err.is_queue_full(), "{err}");
        assert!(started.elapsed() < Duration::from_millis(50));
        assert!(looping.wait().expect_err("loops").is_timeout());
        for (i, pending) in queued.into_iter().enumerate() {
            let page = pending.wait().expect("a queued render runs");
            assert_eq!(page.result.html, format!("<h1>Hello {i}</h1>"));
        }
    }

    fn submitted_renders_are_plain_futures(e) {
        let pool = pool(e, 2, 64);
        let pending: Vec<_> = (0..20)
            .map(|i| {
                pool.submit("/promise", &json!({ "name": i }))
                    .expect("room")
            })
            .collect();
        for (i, render) in pending.into_iter().enumerate() {
            let page = block_on(render).expect("renders");
            assert_eq!(page.result.html, format!("<p>async {i}</p>"));
            assert_eq!(page.generation, 1);
        }
    }

    fn dropping_the_pool_answers_queued_renders_with_shut_down(e) {
        let pool = pool(e, 1, 8);
        let running = busy(&pool, 200);
        until_queue_empty(&pool);
        let queued = pool
            .submit("/string", &json!({ "name": "late" }))
            .expect("room");
        drop(pool);
        assert_eq!(
            running.wait().expect("running render finishes").result.html,
            "done"
        );
        let err = queued.wait().expect_err("never ran");
        assert!(err.is_shut_down(), "{err}");
    }

    fn bad_bundles_fail_at_construction_with_file_line_and_message(e) {
        let cases = [
            ("bad_syntax.js", "bad_syntax.js:3: SyntaxError: "),
            (
                "throws_at_load.js",
                "throws_at_load.js:2: Error: cannot start",
            ),
            ("no_render.js", "no_render.js: the bundle did not define"),
            ("does_not_exist.js", "does_not_exist.js: "),
        ];
        for (file, expected) in cases {
            let err = e.pool()
                .threads(1)
                .build_file(fixture(file))
                .expect_err(file);
            assert!(err.to_string().contains(expected), "{file}: {err}");
        }
    }

    fn defaults_use_the_available_cores(e) {
        let pool = e.pool()
            .build_file(fixture("basic.js"))
            .expect("loads");
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(pool.threads(), cores);
        assert_eq!(pool.generation(), 1);
    }
}
