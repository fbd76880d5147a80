//! What a fresh context costs: creating it (prelude + bundle compiled and run) and its first
//! render, for the storefront's React and Preact bundles: the process's first context for the
//! bundle apart from the later ones (which on V8 start from its code cache). Run in an optimised build:
//! `cargo test -p hiver-ssr --profile bench --test engines -- --ignored --nocapture start_up`
//! (add `--features v8` for the V8 rows).

use std::path::Path;
use std::time::{Duration, Instant};

use hiver_ssr::engine::{Bundle, Limits};
use serde_json::json;

use crate::every_engine::{Backend, every_engine};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn measure(e: Backend, fw: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/storefront/web/dist")
        .join(fw)
        .join("server.js");
    let bundle = Bundle::from_file(&path).expect("the committed bundle exists");
    let props = json!({ "path": "/", "query": {}, "cart": { "count": 0 } }).to_string();
    let (mut creates, mut firsts, mut seconds) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..7 {
        let started = Instant::now();
        let mut engine = e.create(&bundle, &Limits::default()).expect("loads");
        creates.push(started.elapsed());
        for samples in [&mut firsts, &mut seconds] {
            let started = Instant::now();
            let page = engine.render("/", &props).expect("renders");
            samples.push(started.elapsed());
            assert_eq!(page.status, 200);
        }
    }
    // The process's first context for a bundle compiles it; on V8 the later ones start from
    // the code cache that the first one's load and first render stored.
    let (first_create, first_render) = (creates[0], firsts[0]);
    println!(
        "{e:?} {fw}: first context: create {first_create:?}, first render {first_render:?}; \
         the 6 later ones (medians): create {:?}, first render {:?}, second render {:?}",
        median(creates[1..].to_vec()),
        median(firsts[1..].to_vec()),
        median(seconds[1..].to_vec())
    );
}

every_engine! {
    #[ignore = "measurement: run optimised with --ignored --nocapture"]
    fn start_up_and_first_render(e) {
        measure(e, "preact");
        measure(e, "react");
    }
}
