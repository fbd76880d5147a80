//! P13: an SSR mix: 90 % requests for pages already in the cache, 10 % for pages that are
//! not and render.
//!
//! The demo storefront's Preact bundle (`examples/storefront/web/dist/preact`) behind an
//! [`Ssr`] with the storefront's routes and props, rendered by QuickJS on the default
//! render pool (one thread per core), served by a one-worker `hiver::Server` (driver from
//! `HIVER_DRIVER`, else io_uring where allowed). 16 client threads, one keep-alive
//! connection each, share a batch of 200 requests: every tenth is a miss, the rest hits.
//!
//! - Hits: 10 listing URLs (`/`, pages 2–5, four categories, one category's page 2),
//!   rendered once before the measurement; each answer must say `x-hiver-cache: hit…`.
//! - Misses: product pages `/product/1` … `/product/500` in turn, each not in the cache;
//!   each answer must say `miss`. When all 500 have been served, `purge_prefix("/product/")`
//!   empties them again, outside the timed part.
//!
//! `Throughput::Elements(200)`: criterion's rate is requests per second. `hit100` runs the
//! same batches with hits only: the ceiling the misses pull the mix down from.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hiver::{Server, ServerHandle};
use hiver_ssr::serve::{PagePolicy, RequestParts};
use hiver_ssr::{Ssr, SsrError};
use serde_json::{Map, Value, json};

mod client;

use client::Conn;

const LISTING_QUERY: [&str; 5] = ["category", "min_price", "max_price", "sort", "page"];
const HITS: [&str; 10] = [
    "/",
    "/?page=2",
    "/?page=3",
    "/?page=4",
    "/?page=5",
    "/?category=audio",
    "/?category=books",
    "/?category=garden",
    "/?category=home",
    "/?category=home&page=2",
];
const PRODUCTS: usize = 500;
const CLIENTS: usize = 16;
const BATCH: usize = 200;
/// Every `MISS_EVERY`-th request of a batch is a miss.
const MISS_EVERY: usize = 10;
const MISSES_PER_BATCH: usize = BATCH / MISS_EVERY;

/// The storefront's props: `{ path, query: { declared parameters }, cart: { count: 0 } }`
/// (examples/storefront/src/pages.rs).
fn props(req: &RequestParts<'_>) -> Value {
    let query: Map<String, Value> = LISTING_QUERY
        .iter()
        .filter_map(|name| Some(((*name).to_owned(), Value::from(req.query(name)?))))
        .collect();
    json!({ "path": req.path(), "query": query, "cart": { "count": 0 } })
}

fn ssr() -> Result<Ssr, SsrError> {
    let dist =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/storefront/web/dist/preact");
    // Long enough that no hit expires during a run.
    let ttl = Duration::from_secs(3600);
    Ssr::builder()
        .bundle(dist.join("server.js"))
        .manifest(dist.join(".vite/manifest.json"), "src/preact/client.jsx")
        .page(
            "/",
            PagePolicy::new().query(LISTING_QUERY).ttl(ttl).props(props),
        )
        .page("/product/{id}", PagePolicy::new().ttl(ttl).props(props))
        .build()
}

fn start(ssr: &Ssr) -> Result<ServerHandle, hiver::Error> {
    Server::bind("127.0.0.1:0")
        .workers(1)
        .drain_timeout(Duration::from_secs(1))
        .start(ssr.router())
}

/// Request `i` of a batch whose misses (if `misses`) start at product `first_miss`: its
/// path and whether it must miss.
fn nth_request(i: usize, misses: bool, first_miss: usize) -> (String, bool) {
    if misses && i % MISS_EVERY == MISS_EVERY - 1 {
        (format!("/product/{}", first_miss + i / MISS_EVERY), true)
    } else {
        (HITS[i % HITS.len()].to_owned(), false)
    }
}

/// One batch: client `t` sends requests `t`, `t + CLIENTS`, … on its own connection.
fn batch(conns: &mut [Conn], misses: bool, first_miss: usize) {
    std::thread::scope(|s| {
        for (t, conn) in conns.iter_mut().enumerate() {
            s.spawn(move || {
                for i in (t..BATCH).step_by(CLIENTS) {
                    let (path, miss) = nth_request(i, misses, first_miss);
                    // Invariant: the server answers every page; anything else breaks the bench.
                    let outcome = conn.get(&path).expect("page served");
                    let expected = if miss { "miss" } else { "hit" };
                    assert!(outcome.starts_with(expected), "{path}: {outcome}");
                }
            });
        }
    });
}

fn warm(addr: SocketAddr) {
    // Invariant: the server is listening on loopback.
    let mut conn = Conn::connect(addr).expect("connect");
    for path in HITS {
        let first = conn.get(path).expect("page served");
        assert_eq!(first, "miss", "{path} was cached before the bench");
        let second = conn.get(path).expect("page served");
        assert!(second.starts_with("hit"), "{path}: {second}");
    }
}

fn ssr_mix(c: &mut Criterion) {
    // Invariant: the bundle and manifest are committed in examples/storefront/web/dist.
    let ssr = ssr().expect("storefront bundle loads");
    // Invariant: binding 127.0.0.1:0 with the auto driver works wherever the benches run.
    let server = start(&ssr).expect("server starts");
    warm(server.local_addr());
    let mut conns: Vec<Conn> = (0..CLIENTS)
        .map(|_| Conn::connect(server.local_addr()).expect("connect"))
        .collect();
    let mut next_miss = 1;
    let mut group = c.benchmark_group("ssr_mix");
    group
        .throughput(Throughput::Elements(BATCH as u64))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(15));
    // The ceiling: the same clients and hit pages, no misses.
    let name = format!("hit100/{}", server.driver());
    group.bench_function(name, |b| b.iter(|| batch(&mut conns, false, 0)));
    let name = format!("hit90_miss10/{}", server.driver());
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                if next_miss + MISSES_PER_BATCH > PRODUCTS + 1 {
                    // Invariant: a literal prefix is a valid purge key.
                    ssr.purge_prefix("/product/").expect("purge");
                    next_miss = 1;
                }
                let start = Instant::now();
                batch(&mut conns, true, next_miss);
                timed += start.elapsed();
                next_miss += MISSES_PER_BATCH;
            }
            timed
        })
    });
    group.finish();
    let metrics = ssr.metrics();
    println!(
        "ssr_mix: {} renders, cache {:?}",
        metrics.pool.renders, metrics.cache
    );
    drop(conns);
    server.shutdown();
    server.wait().expect("server stopped cleanly");
}

criterion_group!(benches, ssr_mix);
criterion_main!(benches);
