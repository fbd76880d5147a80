//! Cost measurements, ignored by default. Run with
//! `cargo test --release -p hiver-ssr --test cache_measure -- --ignored --nocapture`.

mod cache_support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use futures_executor::block_on;
use hiver_ssr::cache::{
    CacheKey, CachePolicy, Compression, Destination, Encoding, Outcome, Page, PageCache,
};
use http::{HeaderMap, Method};

fn html_60k() -> String {
    let words = [
        "react",
        "hydrate",
        "component",
        "article",
        "lorem",
        "ipsum",
        "cache",
        "worker",
    ];
    let mut html = String::from("<!doctype html><html><head><title>t</title></head><body><ul>");
    let mut i: usize = 0;
    while html.len() < 60_000 {
        let w = words[i * 7 % words.len()];
        html.push_str(&format!(
            "<li class=\"row r{}\" data-id=\"{i}\"><a href=\"/p/{i}\">{w} {}</a></li>",
            i % 13,
            i * 31 % 997
        ));
        i += 1;
    }
    html
}

fn per_op(total: Duration, n: u32) -> f64 {
    total.as_nanos() as f64 / f64::from(n)
}

#[test]
#[ignore = "measurement; run in release with --ignored --nocapture"]
fn lookup_costs() {
    let cache = PageCache::default();
    let w1 = cache.worker();
    let w2 = PageCache::builder().l1_max_entries(0).build();
    let w2_worker = w2.worker();
    let keys: Vec<CacheKey> = (0..512)
        .map(|i| {
            CacheKey::builder(&Method::GET, &format!("/p/{i}"))
                .build()
                .unwrap()
        })
        .collect();
    let (policy, headers) = (CachePolicy::default(), HeaderMap::new());
    let page = Page::builder(html_60k()).build();
    let render = move |_: Destination<'_>| {
        let page = page.clone();
        async move { Ok::<_, std::io::Error>(page) }
    };
    for k in &keys {
        let _ = block_on(w1.serve(k, &policy, &headers, render.clone())).unwrap();
        let _ = block_on(w2_worker.serve(k, &policy, &headers, render.clone())).unwrap();
    }
    const N: u32 = 200_000;
    for (name, worker, want) in [
        ("L1 hit", &w1, Outcome::HitL1),
        ("L2 hit", &w2_worker, Outcome::HitL2),
    ] {
        let start = Instant::now();
        for i in 0..N {
            let k = &keys[i as usize % keys.len()];
            let served = block_on(worker.serve(k, &policy, &headers, render.clone())).unwrap();
            assert_eq!(served.outcome(), want);
            black_box(served.page().body(Encoding::Brotli));
        }
        println!(
            "{name}: {:.0} ns per serve (block_on included)",
            per_op(start.elapsed(), N)
        );
    }
    let start = Instant::now();
    for i in 0..N {
        black_box(
            CacheKey::builder(&Method::GET, &format!("/blog/post-{}", i % 100))
                .build()
                .unwrap(),
        );
    }
    println!(
        "key build (path + format!): {:.0} ns",
        per_op(start.elapsed(), N)
    );
}

#[test]
#[ignore = "measurement; run in release with --ignored --nocapture"]
fn compression_levels_on_60k() {
    let html = html_60k();
    println!("identity: {} bytes", html.len());
    for q in [1, 4, 5, 6, 9, 11] {
        let c = Compression::default().brotli_quality(q).gzip_level(1);
        let (t, page) = timed(|| Page::builder(html.clone()).compression(c).build());
        let br = page.variant(Encoding::Brotli).unwrap().len();
        let gz_part = timed(|| {
            Page::builder(html.clone())
                .compression(c.brotli_quality(0))
                .build()
        })
        .0;
        println!(
            "brotli q{q}: {br} bytes, ~{:.2} ms",
            (t.saturating_sub(gz_part)).as_secs_f64() * 1e3
        );
    }
    for level in [1, 3, 4, 6, 9] {
        let c = Compression::default().gzip_level(level).brotli_quality(0);
        let (t, page) = timed(|| Page::builder(html.clone()).compression(c).build());
        let gz = page.variant(Encoding::Gzip).unwrap().len();
        println!(
            "gzip {level} (+ brotli q0): {gz} bytes, {:.2} ms total",
            t.as_secs_f64() * 1e3
        );
    }
    let (t, page) = timed(|| Page::builder(html.clone()).build());
    assert!(
        page.variant(Encoding::Brotli).unwrap().len() < page.variant(Encoding::Gzip).unwrap().len()
    );
    println!(
        "default build (br q5 + gzip 4 + etag): {:.2} ms",
        t.as_secs_f64() * 1e3
    );
}

/// Median of 9 runs.
fn timed<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::new();
    let mut out = None;
    for _ in 0..9 {
        let start = Instant::now();
        out = Some(black_box(f()));
        times.push(start.elapsed());
    }
    times.sort();
    // Nine runs happened, so `out` is set.
    (times[4], out.expect("ran nine times"))
}
