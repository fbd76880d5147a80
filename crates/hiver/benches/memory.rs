//! P9: memory footprint: idle RSS after start-up and peak RSS under load, per driver.
//!
//! The server runs alone in a helper process (this binary re-executed with
//! `HIVER_BENCH_P9_SERVER=<driver>`), so its memory is not mixed with criterion's: a
//! default `hiver::Server` (one worker per core) with a small JSON route and an upload
//! route. The bench reads the helper's `/proc/<pid>/status`:
//!
//! - idle `VmRSS` once the server is accepting (and 200 ms later, settled);
//! - peak `VmHWM` after the load, and `VmRSS` after it (what is kept).
//!
//! The timed part is the load: one iteration is one request on each of 256 keep-alive
//! connections (8 in 10 `GET /json`, 2 in 10 `POST /upload` with a 16 KiB body). The
//! figures are printed and written to `target/criterion/memory_footprint/memory-<driver>.json`.

mod load;

use std::net::SocketAddr;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use hiver::routing::{get, post};
use hiver::{Bytes, Driver, Json, Router, Server};
use serde_json::json;

use load::{Child, Load};

const SERVER_ENV: &str = "HIVER_BENCH_P9_SERVER";
const GROUP: &str = "memory_footprint";
const CONNECTIONS: usize = 256;
const UPLOAD: usize = 16 * 1024;

fn main() {
    if let Ok(driver) = std::env::var(SERVER_ENV) {
        if let Err(e) = server(&driver) {
            eprintln!("{GROUP} server: {e}");
            std::process::exit(1);
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}

fn app() -> Router {
    Router::new()
        .route(
            "/json",
            get(|| async { Json(json!({ "message": "Hello, World!" })) }),
        )
        .route(
            "/upload",
            post(|body: Bytes| async move { body.len().to_string() }),
        )
}

/// The helper: serves until its stdin closes, then shuts down gracefully. It answers
/// `ok <addr>` once accepting, or `err <why>` if the driver cannot start.
fn server(driver: &str) -> std::io::Result<()> {
    load::raise_fd_limit()?;
    let driver: Driver = driver.parse().map_err(std::io::Error::other)?;
    let handle = match Server::bind("127.0.0.1:0")
        .driver(driver)
        .drain_timeout(Duration::from_secs(1))
        .start(app())
    {
        Ok(handle) => handle,
        Err(e) => return load::announce_error(&e),
    };
    load::announce(&handle.local_addr().to_string())?;
    load::serve_commands(|line| Err(std::io::Error::other(format!("unknown command {line:?}"))))?;
    handle.shutdown();
    handle.wait()
}

fn script() -> Vec<Vec<u8>> {
    let upload = load::post("/upload", &[b'u'; UPLOAD]);
    let mut script = vec![load::get("/json"); 8];
    script.extend([upload.clone(), upload]);
    script
}

/// The helper's `field` in bytes.
fn status(pid: u32, field: &str) -> u64 {
    // Invariant: the helper is alive until `finish`, and Linux exposes these fields.
    load::proc_status_bytes(Some(pid), field).expect("helper's /proc status")
}

fn footprint(c: &mut Criterion) {
    let mut group = c.benchmark_group(GROUP);
    group
        .throughput(Throughput::Elements(CONNECTIONS as u64))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8));
    for driver in [Driver::IoUring, Driver::Epoll] {
        // Invariant: the helper is this binary; it starts unless the system is out of processes.
        let mut helper = Child::spawn(SERVER_ENV, driver.as_str()).expect("spawn server");
        let addr: SocketAddr = match helper.answer() {
            // Invariant: the helper prints its listener's address, a valid SocketAddr.
            Ok(addr) => addr.parse().expect("server address"),
            Err(e) => {
                eprintln!("{GROUP}: skipping {driver}: {e}");
                if let Err(e) = helper.finish() {
                    eprintln!("{GROUP}: the {driver} helper: {e}");
                }
                continue;
            }
        };
        let pid = helper.pid();
        let started = status(pid, "VmRSS");
        std::thread::sleep(Duration::from_millis(200));
        let idle = status(pid, "VmRSS");
        // Invariant: the server is listening on loopback.
        let mut load = Load::open(addr, CONNECTIONS, script()).expect("connect");
        group.bench_function(BenchmarkId::new("load_256_connections", driver), |b| {
            b.iter(|| load.round().expect("responses"))
        });
        let peak = status(pid, "VmHWM");
        let loaded = status(pid, "VmRSS");
        drop(load);
        std::thread::sleep(Duration::from_millis(200));
        let after = status(pid, "VmRSS");
        helper.finish().expect("server exited cleanly");
        println!(
            "{GROUP}/{driver}: idle RSS {} ({} at start), peak {} under load, {} at the end \
             of the load, {} after its connections closed",
            load::mib(idle),
            load::mib(started),
            load::mib(peak),
            load::mib(loaded),
            load::mib(after),
        );
        let report = json!({
            "bench": "P9",
            "driver": driver.to_string(),
            "workers": "one per available core",
            "connections": CONNECTIONS,
            "rss_at_start_bytes": started,
            "rss_idle_bytes": idle,
            "vm_hwm_peak_bytes": peak,
            "rss_end_of_load_bytes": loaded,
            "rss_after_close_bytes": after,
        });
        if let Err(e) = load::write_report(GROUP, &format!("memory-{driver}.json"), &report) {
            eprintln!("{GROUP}: could not write the memory report: {e}");
        }
    }
    group.finish();
}

criterion_group!(benches, footprint);
