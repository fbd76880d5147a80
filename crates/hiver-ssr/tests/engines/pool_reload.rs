//! Reloading the bundle while renders run, rejecting bad bundles, and the file watcher.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hiver_ssr::engine::Bundle;
use hiver_ssr::pool::RenderPool;
use serde_json::json;

use crate::every_engine::{Backend, every_engine};

/// A bundle whose page names its version, so a page shows which bundle rendered it.
fn versioned(version: u64) -> Bundle {
    let source = format!("globalThis.render = (url, props) => 'v{version}:' + props.n;\n");
    Bundle::from_source(format!("v{version}.js"), source)
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn start(e: Backend, threads: usize) -> Arc<RenderPool> {
    let built = e.pool().threads(threads).build(versioned(1));
    Arc::new(built.expect("v1 loads"))
}

fn scratch_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hiver-ssr-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("bundle.js")
}

fn wait_for(pool: &RenderPool, html: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let page = pool
            .render_blocking("/", &json!({ "n": 0 }))
            .expect("renders");
        if page.result.html == html {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still {} after 5 s",
            page.result.html
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

every_engine! {
    fn reload_under_load_drops_nothing_and_switches_output_and_generation(e) {
        let pool = start(e, 2);
        let stop = Arc::new(AtomicBool::new(false));
        let submitters: Vec<_> = (0..4)
            .map(|_| {
                let (pool, stop) = (Arc::clone(&pool), Arc::clone(&stop));
                std::thread::spawn(move || {
                    let (mut renders, mut last_generation) = (0_u64, 0);
                    while !stop.load(Ordering::Relaxed) {
                        let page = pool.render_blocking("/", &json!({ "n": renders }));
                        let page = page.unwrap_or_else(|e| panic!("render failed during reload: {e}"));
                        // Each bundle vN is loaded as generation N.
                        assert_eq!(page.result.html, format!("v{}:{renders}", page.generation));
                        assert!(page.generation >= last_generation, "generation went back");
                        last_generation = page.generation;
                        renders += 1;
                    }
                    (renders, last_generation)
                })
            })
            .collect();
        for version in 2..=6 {
            std::thread::sleep(Duration::from_millis(60));
            assert_eq!(
                pool.reload(versioned(version)).expect("valid bundle"),
                version
            );
        }
        std::thread::sleep(Duration::from_millis(60));
        stop.store(true, Ordering::Relaxed);
        let mut total = 0;
        for submitter in submitters {
            let (renders, last_generation) = submitter.join().expect("no render failed");
            assert_eq!(
                last_generation, 6,
                "every submitter ended on the newest bundle"
            );
            total += renders;
        }
        assert!(total > 50, "only {total} renders ran");
        let metrics = pool.metrics();
        assert_eq!(metrics.reloads, 5);
        assert_eq!(metrics.renders, total);
        assert_eq!(metrics.js_errors + metrics.timeouts + metrics.crashes, 0);
        let page = pool
            .render_blocking("/", &json!({ "n": 0 }))
            .expect("renders");
        assert_eq!((page.result.html.as_str(), page.generation), ("v6:0", 6));
    }

    fn bad_reload_is_rejected_and_the_old_bundle_keeps_serving(e) {
        let pool = start(e, 1);
        let err = pool.reload_file(fixture("bad_syntax.js")).expect_err("bad");
        assert!(err.is_js());
        assert!(
            err.to_string().contains("bad_syntax.js:3: SyntaxError"),
            "{err}"
        );
        let err = pool.reload_file(fixture("no_render.js")).expect_err("bad");
        assert!(err.is_missing_render());
        let err = pool.reload_file(fixture("missing.js")).expect_err("bad");
        assert!(err.is_io());
        assert_eq!(pool.generation(), 1);
        let page = pool
            .render_blocking("/", &json!({ "n": 7 }))
            .expect("renders");
        assert_eq!((page.result.html.as_str(), page.generation), ("v1:7", 1));
        assert_eq!(pool.metrics().reloads, 0);
    }

    fn watch_reloads_a_changed_file_and_ignores_a_broken_one(e) {
        let path = scratch_file(&format!("watch-{e:?}"));
        std::fs::write(&path, versioned(1).source()).expect("write");
        let pool = e.pool()
            .threads(1)
            .build_file(&path)
            .expect("loads");
        let watcher = pool
            .watch(&path, Duration::from_millis(10))
            .expect("spawns");
        std::fs::write(&path, versioned(2).source().replace("'v2:'", "'second:'")).expect("write");
        wait_for(&pool, "second:0");
        assert_eq!(pool.generation(), 2);
        std::fs::write(&path, "globalThis.render = (;").expect("write");
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(pool.generation(), 2, "a broken bundle must not be loaded");
        wait_for(&pool, "second:0");
        drop(watcher);
        std::fs::write(&path, versioned(3).source()).expect("write");
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(pool.generation(), 2, "a dropped watcher stops reloading");
        let _ = std::fs::remove_dir_all(path.parent().expect("has a parent"));
    }
}
