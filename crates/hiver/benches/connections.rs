//! P8: 10,000 open keep-alive connections: memory per connection and throughput while
//! they are held.
//!
//! The server is a one-worker `hiver::Server` in this process, per driver; the client is
//! this binary re-executed as a helper (`HIVER_BENCH_P8_CLIENT=<addr>`), because 10,000
//! client plus 10,000 server sockets do not fit under one process's file limit. Per driver:
//!
//! 1. `idle_0`: throughput with 64 active connections and nothing else open;
//! 2. the helper opens 10,000 more connections, each sends one `GET /plaintext` and reads
//!    its response, then stays open and silent; the server's `VmRSS` before and after
//!    gives the memory per connection;
//! 3. `idle_10000`: the same throughput measurement while the 10,000 are held.
//!
//! One iteration is one request on each of the 64 active connections (64 in flight,
//! written by one client thread, then all read). The memory figures are printed and
//! written to `target/criterion/connections_10k/memory-<driver>.json`.

mod load;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group};
use hiver::routing::get;
use hiver::{Driver, Http1Config, Router, Server, ServerHandle};
use serde_json::json;

use load::{Child, Conn, Load};

const CLIENT_ENV: &str = "HIVER_BENCH_P8_CLIENT";
const IDLE: usize = 10_000;
const ACTIVE: usize = 64;
const GROUP: &str = "connections_10k";

fn main() {
    if let Ok(addr) = std::env::var(CLIENT_ENV) {
        if let Err(e) = client(&addr) {
            eprintln!("{GROUP} client: {e}");
            std::process::exit(1);
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}

/// The helper: `open N` adds N idle connections (one request each), `run R K` runs R
/// rounds on K active connections, `close` drops every connection.
fn client(addr: &str) -> std::io::Result<()> {
    load::raise_fd_limit()?;
    let addr: SocketAddr = addr.parse().map_err(std::io::Error::other)?;
    let request = load::get("/plaintext");
    let mut idle: Vec<Conn> = Vec::new();
    let mut active: Option<Load> = None;
    load::announce("client")?;
    load::serve_commands(|line| {
        let words: Vec<&str> = line.split(' ').collect();
        let num = |i: usize| -> std::io::Result<usize> {
            let word = words.get(i).copied().unwrap_or("");
            word.parse()
                .map_err(|_| std::io::Error::other(format!("bad number {word:?}")))
        };
        match words[0] {
            "open" => {
                for _ in 0..num(1)? {
                    let mut conn = Conn::connect(addr)?;
                    conn.round_trip(&request)?.ok()?;
                    idle.push(conn);
                }
                Ok(idle.len().to_string())
            }
            "run" => {
                let (rounds, k) = (num(1)?, num(2)?);
                if active.as_ref().is_none_or(|l| l.width() != k) {
                    active = Some(Load::open(addr, k, vec![request.clone()])?);
                }
                let load = active
                    .as_mut()
                    .ok_or_else(|| std::io::Error::other("no load"))?;
                (0..rounds).try_for_each(|_| load.round())?;
                Ok(rounds.to_string())
            }
            "close" => {
                idle.clear();
                active = None;
                Ok(String::new())
            }
            other => Err(std::io::Error::other(format!("unknown command {other:?}"))),
        }
    })
}

fn start(driver: Driver) -> Result<ServerHandle, hiver::Error> {
    let app = Router::new().route("/plaintext", get(|| async { "Hello, World!" }));
    // Idle connections must outlive the whole measurement (default idle limit 60 s).
    let http1 = Http1Config::builder()
        .keep_alive_timeout(Duration::from_secs(600))
        .build();
    Server::bind("127.0.0.1:0")
        .workers(1)
        .driver(driver)
        .http1(http1)
        // 25,000 is the default; stated so the bench does not depend on it.
        .max_connections_per_worker(2 * IDLE)
        .drain_timeout(Duration::from_secs(1))
        .start(app)
}

fn rss() -> u64 {
    // Invariant: Linux exposes VmRSS for the running process; benches need /proc.
    load::proc_status_bytes(None, "VmRSS").expect("VmRSS in /proc/self/status")
}

/// Waits until the server counts `n` open connections (the helper's last connection may
/// be answered before the worker's counter is read).
fn wait_for_connections(server: &ServerHandle, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.open_connections().iter().sum::<usize>() < n {
        assert!(
            Instant::now() < deadline,
            "server never saw {n} connections"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn bench_rounds(
    group: &mut BenchmarkGroup<'_, WallTime>,
    client: &mut Child,
    name: &str,
    driver: Driver,
) {
    group.bench_function(BenchmarkId::new(name, driver), |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            // Invariant: the helper serves loopback requests; a failure is a broken bench.
            client
                .command(&format!("run {iters} {ACTIVE}"))
                .expect("helper ran the rounds");
            start.elapsed()
        })
    });
}

/// One driver's run: the two throughput cases around the memory measurement.
fn run_driver(group: &mut BenchmarkGroup<'_, WallTime>, driver: Driver, server: &ServerHandle) {
    // Invariant: the helper is this binary; it starts unless the system is out of processes.
    let mut client =
        Child::spawn(CLIENT_ENV, &server.local_addr().to_string()).expect("spawn client");
    client.answer().expect("client ready");
    bench_rounds(group, &mut client, "idle_0", driver);
    // One untimed round opens the active connections even if a filter skipped `idle_0`.
    client
        .command(&format!("run 1 {ACTIVE}"))
        .expect("helper ran a round");
    wait_for_connections(server, ACTIVE);
    let before = rss();
    let opened = client
        .command(&format!("open {IDLE}"))
        .expect("open idle connections");
    wait_for_connections(server, IDLE + ACTIVE);
    let with_idle = rss();
    bench_rounds(group, &mut client, &format!("idle_{IDLE}"), driver);
    let after_run = rss();
    let per_conn = with_idle.saturating_sub(before) / IDLE as u64;
    println!(
        "{GROUP}/{driver}: RSS {} before, {} with {opened} idle connections \
         ({per_conn} B per connection), {} after the run",
        load::mib(before),
        load::mib(with_idle),
        load::mib(after_run),
    );
    let report = json!({
        "bench": "P8",
        "driver": driver.to_string(),
        "workers": 1,
        "idle_connections": IDLE,
        "active_connections": ACTIVE,
        "rss_before_bytes": before,
        "rss_with_idle_bytes": with_idle,
        "bytes_per_idle_connection": per_conn,
        "rss_after_run_bytes": after_run,
        "vm_hwm_bytes": load::proc_status_bytes(None, "VmHWM").ok(),
    });
    if let Err(e) = load::write_report(GROUP, &format!("memory-{driver}.json"), &report) {
        eprintln!("{GROUP}: could not write the memory report: {e}");
    }
    client.command("close").expect("close connections");
    client.finish().expect("client exited cleanly");
}

fn connections(c: &mut Criterion) {
    match load::raise_fd_limit() {
        Ok(limit) if limit < (IDLE + ACTIVE + 256) as u64 => {
            eprintln!("{GROUP}: open-file limit {limit} is too low for {IDLE} connections");
            return;
        }
        Ok(_) => {}
        Err(e) => eprintln!("{GROUP}: could not raise the open-file limit: {e}"),
    }
    let mut group = c.benchmark_group(GROUP);
    group
        .throughput(Throughput::Elements(ACTIVE as u64))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8));
    for driver in [Driver::IoUring, Driver::Epoll] {
        let server = match start(driver) {
            Ok(server) => server,
            Err(e) => {
                eprintln!("{GROUP}: skipping {driver}: {e}");
                continue;
            }
        };
        run_driver(&mut group, driver, &server);
        server.shutdown();
        server.wait().expect("server stopped cleanly");
    }
    group.finish();
}

criterion_group!(benches, connections);
