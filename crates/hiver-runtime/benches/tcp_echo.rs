//! P3: TCP echo round trip over loopback, per I/O driver.
//!
//! A one-worker `hiver_runtime` echo server; the client is a blocking `std` socket on the
//! bench thread that writes 64 bytes on a kept-open connection and reads them back. One
//! iteration is one round trip: the figure is the latency of the runtime's accept-free
//! read → write path plus two loopback hops. The worker pins itself to the first CPU and
//! the client is pinned to the same one (see `pin_client`). A driver the kernel refuses is
//! skipped with a message, not failed.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use bytes::BytesMut;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hiver_runtime::{Builder, Connection, Driver, ServerHandle};

const MESSAGE: usize = 64;

async fn echo(mut conn: Connection) {
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        match conn.stream_mut().read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let data = buf.split().freeze();
                if conn.stream_mut().write_all(data).await.is_err() {
                    break;
                }
            }
        }
    }
}

/// Pins the bench thread (the client) to the first CPU this process may use, the one the
/// worker pins itself to. Measured on a 2-core VM: with client and worker on one CPU a
/// round trip repeats within a few µs; across CPUs every hop waits for the hypervisor to
/// wake an idle vCPU (4–5× slower, and faster whenever other load keeps it awake); left
/// to the scheduler it swings between the two from run to run. Sharing a CPU measures the
/// server's code and syscalls rather than the VM's wake-up latency. Best effort: without
/// affinity support it does nothing.
fn pin_client() {
    let Some(cpu) = first_allowed_cpu() else {
        return;
    };
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    if let Err(e) = rustix::thread::sched_setaffinity(None, &set) {
        eprintln!("could not pin the client to CPU {cpu}: {e}");
    }
}

/// The first CPU in `/proc/self/status`'s `Cpus_allowed_list` (e.g. `0-1`), as the
/// runtime's worker pinning reads it.
fn first_allowed_cpu() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let list = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))?;
    list.trim().split([',', '-']).next()?.parse().ok()
}

fn start(driver: Driver) -> std::io::Result<ServerHandle> {
    Builder::new()
        .workers(1)
        .driver(driver)
        // The client closes before shutdown; this only bounds a run that went wrong.
        .drain_timeout(Duration::from_secs(1))
        .listen("127.0.0.1:0", |_worker| echo)
}

/// The servers that could start, one per driver; a refused driver is reported and skipped.
fn start_all() -> Vec<(Driver, ServerHandle)> {
    [Driver::IoUring, Driver::Epoll]
        .into_iter()
        .filter_map(|driver| match start(driver) {
            Ok(server) => Some((driver, server)),
            Err(e) => {
                eprintln!("tcp_echo: skipping {driver}: {e}");
                None
            }
        })
        .collect()
}

fn round_trips(c: &mut Criterion) {
    // Every server starts (and pins its worker) before the client thread is pinned: threads
    // spawned later would inherit the client's affinity and read it as the allowed set.
    let servers = start_all();
    pin_client();
    let mut group = c.benchmark_group("tcp_echo_64B");
    for (driver, server) in &servers {
        // Invariants: the server is listening on loopback; a failure here is a broken bench.
        let mut client = TcpStream::connect(server.local_addr()).expect("connect");
        client.set_nodelay(true).expect("TCP_NODELAY");
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("read timeout");
        let out = [0x5a_u8; MESSAGE];
        let mut back = [0_u8; MESSAGE];
        group.bench_function(BenchmarkId::new("round_trip", driver), |b| {
            b.iter(|| {
                client.write_all(&out).expect("write");
                client.read_exact(&mut back).expect("read echo");
            })
        });
        assert_eq!(back, out, "echo returned other bytes");
    }
    group.finish();
    for (_, server) in servers {
        server.shutdown();
        server.wait().expect("server stopped cleanly");
    }
}

criterion_group!(benches, round_trips);
criterion_main!(benches);
