//! P4: HTTP/1.1 request/response latency over loopback, per I/O driver.
//!
//! A one-worker `hiver::Server` whose `POST /echo` handler returns the request body; the
//! client is a blocking `std` socket on the bench thread that sends a keep-alive request
//! with a 64-byte body and reads the whole response (head, then `Content-Length` bytes).
//! One iteration is one request on a kept-open connection. The worker pins itself to the
//! first CPU and the client is pinned to the same one (see `pin_client`). A driver the kernel
//! refuses is skipped with a message, not failed.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hiver::routing::post;
use hiver::{Bytes, Driver, Router, Server, ServerHandle};

const BODY: [u8; 64] = [b'x'; 64];

/// A keep-alive client that reads exactly one response per request.
struct Client {
    stream: TcpStream,
    request: Vec<u8>,
    /// Bytes read past the end of a response (none with one request in flight, but a
    /// reader must not assume it).
    buf: Vec<u8>,
}

impl Client {
    fn connect(addr: SocketAddr) -> io::Result<Client> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut request = format!(
            "POST /echo HTTP/1.1\r\nHost: bench\r\nContent-Type: application/octet-stream\r\n\
             Content-Length: {}\r\n\r\n",
            BODY.len()
        )
        .into_bytes();
        request.extend_from_slice(&BODY);
        Ok(Client {
            stream,
            request,
            buf: Vec::with_capacity(4096),
        })
    }

    /// Sends the request and returns the response body's length.
    fn round_trip(&mut self) -> io::Result<usize> {
        self.stream.write_all(&self.request)?;
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            self.fill()?;
        };
        let len = content_length(&self.buf[..head_end])?;
        while self.buf.len() < head_end + len {
            self.fill()?;
        }
        self.buf.drain(..head_end + len);
        Ok(len)
    }

    fn fill(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 4096];
        match self.stream.read(&mut chunk)? {
            0 => Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
        }
    }
}

/// The `Content-Length` of a response head; a missing or bad one is an error.
fn content_length(head: &[u8]) -> io::Result<usize> {
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "no valid Content-Length");
    let head = std::str::from_utf8(head).map_err(|_| bad())?;
    head.split("\r\n")
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .ok_or_else(bad)
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

fn start(driver: Driver) -> Result<ServerHandle, hiver::Error> {
    let app = Router::new().route("/echo", post(|body: Bytes| async move { body }));
    Server::bind("127.0.0.1:0")
        .workers(1)
        .driver(driver)
        // The client closes before shutdown; this only bounds a run that went wrong.
        .drain_timeout(Duration::from_secs(1))
        .start(app)
}

/// The servers that could start, one per driver; a refused driver is reported and skipped.
fn start_all() -> Vec<(Driver, ServerHandle)> {
    [Driver::IoUring, Driver::Epoll]
        .into_iter()
        .filter_map(|driver| match start(driver) {
            Ok(server) => Some((driver, server)),
            Err(e) => {
                eprintln!("http_echo: skipping {driver}: {e}");
                None
            }
        })
        .collect()
}

fn requests(c: &mut Criterion) {
    // Every server starts (and pins its worker) before the client thread is pinned: threads
    // spawned later would inherit the client's affinity and read it as the allowed set.
    let servers = start_all();
    pin_client();
    let mut group = c.benchmark_group("http_echo_64B");
    for (driver, server) in &servers {
        // Invariant: the server is listening on loopback; a failure is a broken bench.
        let mut client = Client::connect(server.local_addr()).expect("connect");
        group.bench_function(BenchmarkId::new("request", driver), |b| {
            b.iter(|| {
                let len = client.round_trip().expect("response");
                assert_eq!(len, BODY.len(), "echo returned another length");
            })
        });
    }
    group.finish();
    for (_, server) in servers {
        server.shutdown();
        server.wait().expect("server stopped cleanly");
    }
}

criterion_group!(benches, requests);
criterion_main!(benches);
