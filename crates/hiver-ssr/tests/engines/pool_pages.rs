//! Real pages: Preact and React 19 bundles built with esbuild (see fixtures/README.md). The
//! expected HTML is what Node printed for the same bundle and props.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use hiver_ssr::pool::RenderPool;
use serde_json::json;

use crate::every_engine::{Backend, every_engine};

fn pool(e: Backend, file: &str, threads: usize) -> RenderPool {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(file);
    match e.pool().threads(threads).build_file(path) {
        Ok(pool) => pool,
        Err(e) => panic!("{file} must load: {e}"),
    }
}

fn props() -> serde_json::Value {
    json!({
        "title": "Shop <b>&</b>",
        "items": [
            { "id": 1, "name": "Tea </script>", "price": 3.5 },
            { "id": 2, "name": "Cake", "price": 12 },
        ],
    })
}

/// User + system CPU seconds this process has used (Linux, `CLK_TCK` = 100), for renders per
/// CPU-second: unlike renders per second, it holds up when other processes share the cores.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of stat(5) are utime and stime; `fields` starts at field 3.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Renders per second of one page on N threads. Run in release:
/// `cargo test -p hiver-ssr --release --test engines -- --ignored --nocapture throughput`
fn throughput(e: Backend, file: &str, threads: usize) {
    let pool = pool(e, file, threads);
    let items: Vec<_> = (0..50)
        .map(|i| json!({ "id": i, "name": format!("item {i}"), "price": i }))
        .collect();
    let props = json!({ "title": "Bench", "items": items });
    let run = Duration::from_secs(3);
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let mut renders = 0_u32;
    while started.elapsed() < run {
        let batch: Vec<_> = (0..threads * 4)
            .map(|_| pool.submit("/bench", &props).expect("room in the queue"))
            .collect();
        for pending in batch {
            assert_eq!(pending.wait().expect("renders").result.status, 200);
            renders += 1;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_before;
    let mean = pool.metrics().latency.mean();
    let renders = f64::from(renders);
    println!(
        "{file}: {threads} thread(s): {:.0} renders/s, {:.0} renders per CPU-second, \
         mean render {mean:?}",
        renders / secs,
        renders / cpu,
    );
}

every_engine! {
    fn preact_page_renders_like_node(e) {
        let pool = pool(e, "preact_page.js", 1);
        let page = pool
            .render_blocking("/shop?x=1", &props())
            .expect("renders");
        assert_eq!(
            page.result.html,
            "<main><h1>Shop &lt;b>&amp;&lt;/b></h1><p class=\"path\">/shop?x=1</p><ul>\
             <li class=\"item\" data-id=\"1\">Tea &lt;/script> <span class=\"price\">3.50</span></li>\
             <li class=\"item\" data-id=\"2\">Cake <span class=\"price\">12.00</span></li></ul>\
             <footer>2 items</footer></main>"
        );
        assert_eq!(page.result.head, "<title>Shop &lt;b>&amp;&lt;/b></title>");
        assert_eq!(page.result.status, 200);
        let empty = json!({ "title": "Empty", "items": [] });
        assert_eq!(
            pool.render_blocking("/", &empty).expect("renders").result.status,
            404
        );
    }

    fn react_19_page_renders_like_node(e) {
        let pool = pool(e, "react_page.js", 1);
        let page = pool
            .render_blocking("/shop?x=1", &props())
            .expect("renders");
        assert_eq!(
            page.result.html,
            "<main><h1>Shop &lt;b&gt;&amp;&lt;/b&gt;</h1><p class=\"path\">/shop?x=1</p><ul>\
             <li class=\"item\" data-id=\"1\">Tea &lt;/script&gt;<!-- --> <span class=\"price\">3.50</span></li>\
             <li class=\"item\" data-id=\"2\">Cake<!-- --> <span class=\"price\">12.00</span></li></ul>\
             <footer>2<!-- --> items</footer></main>"
        );
        assert_eq!(page.result.head, "<title>Shop &lt;b&gt;&amp;&lt;/b&gt;</title>");
    }

    #[ignore = "benchmark: run in release with --ignored --nocapture"]
    fn throughput_of_real_pages(e) {
        for file in ["preact_page.js", "react_page.js"] {
            throughput(e, file, 1);
            throughput(e, file, 2);
        }
    }
}
