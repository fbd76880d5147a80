//! P3: TCP echo round trip over loopback, per I/O driver.
//!
//! A one-worker `hiver_runtime` echo server; the client is a blocking `std` socket on the
//! bench thread that writes 64 bytes on a kept-open connection and reads them back. One
//! iteration is one round trip: the figure is the latency of the runtime's accept-free
//! read → write path plus two loopback hops. A driver the kernel refuses is skipped with
//! a message, not failed.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use compio::io::{AsyncRead, AsyncWriteExt};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hiver_runtime::{Builder, Connection, Driver, ServerHandle};

const MESSAGE: usize = 64;

async fn echo(mut conn: Connection) {
    let mut buf = Vec::with_capacity(4096);
    loop {
        let res = conn.stream_mut().read(buf).await;
        buf = res.1;
        match res.0 {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let res = conn.stream_mut().write_all(buf).await;
                buf = res.1;
                if res.0.is_err() {
                    break;
                }
                buf.clear();
            }
        }
    }
}

fn start(driver: Driver) -> std::io::Result<ServerHandle> {
    Builder::new()
        .workers(1)
        .driver(driver)
        // The client closes before shutdown; this only bounds a run that went wrong.
        .drain_timeout(Duration::from_secs(1))
        .listen("127.0.0.1:0", |_worker| echo)
}

fn round_trips(c: &mut Criterion) {
    let mut group = c.benchmark_group("tcp_echo_64B");
    for driver in [Driver::IoUring, Driver::Epoll] {
        let server = match start(driver) {
            Ok(server) => server,
            Err(e) => {
                eprintln!("tcp_echo: skipping {driver}: {e}");
                continue;
            }
        };
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
        drop(client);
        server.shutdown();
        server.wait().expect("server stopped cleanly");
    }
    group.finish();
}

criterion_group!(benches, round_trips);
criterion_main!(benches);
