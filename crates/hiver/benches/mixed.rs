//! P10–P12: mixed workloads over keep-alive loopback connections, per driver.
//!
//! One one-worker `hiver::Server` per driver serves every route; the client is one thread
//! of this process driving K connections with one request in flight on each (write K
//! requests, then read K responses: one iteration). `Throughput::Elements(K)` makes
//! criterion's rate requests per second. BENCHMARKS.md ("Workloads P8–P13") defines the
//! workloads; in short:
//!
//! - P10 read-heavy (`mixed_read_heavy`): 9 in 10 `GET /items/{id}` (a small JSON item),
//!   1 in 10 `POST /items/{id}` with a 1 KiB body; K = 16.
//! - P11 write-heavy (`mixed_write_heavy`): `POST /upload` with 16 KiB bodies
//!   (`Content-Length`) or 64 KiB bodies sent chunked (4 KiB chunks); the handler hashes the
//!   whole body (FNV-1a) and answers with the hash; K = 8.
//! - P12 update-style (`mixed_updates`): TechEmpower's "updates": `GET /updates?queries=N`
//!   reads N random rows of a 10,000-row in-memory table, gives each a new random number,
//!   writes them back and answers the N rows as JSON; N = 1 and 20, K = 16.

mod load;
mod mixed_app;

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hiver::{Driver, ServerHandle};

use load::Load;

/// The servers that could start, one per driver; a refused driver is reported and skipped.
fn start_all() -> Vec<(Driver, ServerHandle)> {
    [Driver::IoUring, Driver::Epoll]
        .into_iter()
        .filter_map(|driver| match mixed_app::start(driver) {
            Ok(server) => Some((driver, server)),
            Err(e) => {
                eprintln!("mixed: skipping {driver}: {e}");
                None
            }
        })
        .collect()
}

/// One workload: `script` over `k` connections, on every server.
fn workload(
    c: &mut Criterion,
    servers: &[(Driver, ServerHandle)],
    (group, case): (&str, &str),
    k: usize,
    script: &[Vec<u8>],
) {
    let mut group = c.benchmark_group(group);
    group
        .throughput(Throughput::Elements(k as u64))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for (driver, server) in servers {
        // Invariant: the server is listening on loopback; a failure is a broken bench.
        let mut load = Load::open(server.local_addr(), k, script.to_vec()).expect("connect");
        group.bench_function(BenchmarkId::new(case, driver), |b| {
            b.iter(|| load.round().expect("responses"))
        });
    }
    group.finish();
}

fn read_heavy(c: &mut Criterion, servers: &[(Driver, ServerHandle)]) {
    let mut script: Vec<Vec<u8>> = (1..=9)
        .map(|i| load::get(&format!("/items/{}", i * 37)))
        .collect();
    script.push(load::post("/items/42", &[b'p'; 1024]));
    workload(
        c,
        servers,
        ("mixed_read_heavy", "get90_post10"),
        16,
        &script,
    );
}

fn write_heavy(c: &mut Criterion, servers: &[(Driver, ServerHandle)]) {
    let body16 = mixed_app::body(16 * 1024);
    let body64 = mixed_app::body(64 * 1024);
    let sized = load::post("/upload", &body16);
    let chunked = load::post_chunked("/upload", &body64, 4 * 1024);
    for (_, server) in servers {
        mixed_app::check_upload(server.local_addr(), &sized, &body16);
        mixed_app::check_upload(server.local_addr(), &chunked, &body64);
    }
    let group = "mixed_write_heavy";
    workload(c, servers, (group, "post_16KiB_length"), 8, &[sized]);
    workload(c, servers, (group, "post_64KiB_chunked"), 8, &[chunked]);
}

fn updates(c: &mut Criterion, servers: &[(Driver, ServerHandle)]) {
    for (_, server) in servers {
        mixed_app::check_updates(server.local_addr());
    }
    for n in [1, 20] {
        let script = [load::get(&format!("/updates?queries={n}"))];
        let case = format!("queries_{n}");
        workload(c, servers, ("mixed_updates", &case), 16, &script);
    }
}

fn mixed(c: &mut Criterion) {
    let servers = start_all();
    read_heavy(c, &servers);
    write_heavy(c, &servers);
    updates(c, &servers);
    for (_, server) in servers {
        server.shutdown();
        server.wait().expect("server stopped cleanly");
    }
}

criterion_group!(benches, mixed);
criterion_main!(benches);
