//! monoio benchmark peer: `GET /plaintext` and `GET /json`, TechEmpower style, on monoio's
//! io_uring driver with the settings of monoio's own benchmark (monoio-rs/monoio-benchmark):
//! one `RuntimeBuilder::<IoUringDriver>` runtime per thread with 32768 ring entries, each
//! thread pinned to a core (`monoio::utils::bind_to_cpu_set`, best effort) and accepting on
//! its own SO_REUSEPORT listener. monoio has no HTTP server of its own in the crate; like
//! monoio's examples, HTTP/1.1 is a hand-written loop on httparse: read into a buffer,
//! answer every complete (pipelined) request in it, write all the answers with one write.
//!
//! Keep-alive unless a request says `Connection: close` (or is HTTP/1.0 without
//! `keep-alive`); request bodies with a Content-Length are skipped, chunked ones and
//! unparsable requests get a 400 and the connection closes. Answers carry `Server: monoio`
//! and a `Date` formatted once per second per thread; other paths or methods get 404. JSON
//! goes through serde_json like every other Rust peer.
//!
//! Environment: `PORT` (default 3000), `WORKERS` (default 2) = threads, each with its own
//! runtime and listener. Listens on 127.0.0.1 only.

use std::cell::Cell;
use std::io::{self, Write};
use std::num::NonZeroUsize;
use std::time::{SystemTime, UNIX_EPOCH};

use monoio::buf::IoBufMut;
use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use monoio::net::{ListenerOpts, TcpListener, TcpStream};
use monoio::{IoUringDriver, RuntimeBuilder};
use serde::Serialize;

/// Ring entries per runtime: monoio-benchmark's value.
const RING_ENTRIES: u32 = 32768;
/// Free space offered to each read; the buffer grows by this much when less is left.
const READ_CHUNK: usize = 4096;
/// Unanswered bytes a connection may hold (a request head that never ends): then it closes.
const MAX_PENDING: usize = 64 * 1024;
const MAX_HEADERS: usize = 32;

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

thread_local! {
    /// This thread's `Date` value and the second it was formatted for.
    static DATE: Cell<(u64, [u8; 29])> = const { Cell::new((u64::MAX, [0; 29])) };
}

/// The IMF-fixdate of now, formatted again only when the second changed.
fn http_date() -> [u8; 29] {
    let now = SystemTime::now();
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    DATE.with(|cache| {
        let (cached_secs, cached) = cache.get();
        if cached_secs == secs {
            return cached;
        }
        let mut value = [b' '; 29];
        let formatted = httpdate::fmt_http_date(now);
        let n = formatted.len().min(value.len());
        value[..n].copy_from_slice(&formatted.as_bytes()[..n]);
        cache.set((secs, value));
        value
    })
}

/// Appends one answer with `Server`, `Date`, `Content-Length` and, if given, `Content-Type`.
fn push_answer(
    out: &mut Vec<u8>,
    date: &[u8],
    status: &[u8],
    content_type: Option<&[u8]>,
    body: &[u8],
    close: bool,
) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status);
    out.extend_from_slice(b"\r\nServer: monoio\r\nDate: ");
    out.extend_from_slice(date);
    if let Some(content_type) = content_type {
        out.extend_from_slice(b"\r\nContent-Type: ");
        out.extend_from_slice(content_type);
    }
    if close {
        out.extend_from_slice(b"\r\nConnection: close");
    }
    // Writing into a Vec cannot fail.
    let _ = write!(out, "\r\nContent-Length: {}\r\n\r\n", body.len());
    out.extend_from_slice(body);
}

/// Whether a comma-separated header value lists `token` (ASCII case-insensitive).
fn has_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token))
}

/// What one parsed request head asks of the connection.
struct Framing {
    body_len: usize,
    close: bool,
}

/// Content-Length and Connection of a request; `None` for framing this server refuses
/// (chunked bodies, a Content-Length that is not a number).
fn framing(req: &httparse::Request<'_, '_>) -> Option<Framing> {
    let mut framing = Framing {
        body_len: 0,
        close: req.version == Some(0),
    };
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            framing.body_len = std::str::from_utf8(h.value).ok()?.trim().parse().ok()?;
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            return None;
        } else if h.name.eq_ignore_ascii_case("connection") {
            if has_token(h.value, b"close") {
                framing.close = true;
            } else if has_token(h.value, b"keep-alive") {
                framing.close = false;
            }
        }
    }
    Some(framing)
}

/// Answers every complete request at the front of `input` into `out`. Returns the bytes
/// those requests took and whether the connection closes after the answers are written.
fn answer_all(input: &[u8], out: &mut Vec<u8>, scratch: &mut Vec<u8>) -> (usize, bool) {
    let date = http_date();
    let mut used = 0;
    while used < input.len() {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        let head_len = match req.parse(&input[used..]) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => break,
            Err(_) => {
                push_answer(out, &date, b"400 Bad Request", None, b"", true);
                return (input.len(), true);
            }
        };
        let Some(Framing { body_len, close }) = framing(&req) else {
            push_answer(out, &date, b"400 Bad Request", None, b"", true);
            return (input.len(), true);
        };
        if input.len() - used - head_len < body_len {
            break; // the body has not all arrived yet
        }
        match (req.method, req.path) {
            (Some("GET"), Some("/plaintext")) => push_answer(
                out,
                &date,
                b"200 OK",
                Some(b"text/plain; charset=utf-8"),
                b"Hello, World!",
                close,
            ),
            (Some("GET"), Some("/json")) => {
                scratch.clear();
                let msg = Message {
                    message: "Hello, World!",
                };
                // Serialising a struct of one &str into a Vec cannot fail.
                let _ = serde_json::to_writer(&mut *scratch, &msg);
                push_answer(
                    out,
                    &date,
                    b"200 OK",
                    Some(b"application/json"),
                    scratch,
                    close,
                );
            }
            _ => push_answer(out, &date, b"404 Not Found", None, b"", close),
        }
        used += head_len + body_len;
        if close {
            return (used, true);
        }
    }
    (used, false)
}

async fn serve_connection(mut stream: TcpStream) -> io::Result<()> {
    let mut input: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut out: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut scratch: Vec<u8> = Vec::with_capacity(64);
    loop {
        if input.capacity() - input.len() < READ_CHUNK / 2 {
            input.reserve(READ_CHUNK);
        }
        // Read after what is already there (the start of a request split across reads).
        let filled = input.len();
        let (res, slice) = stream.read(input.slice_mut(filled..)).await;
        input = slice.into_inner();
        if res? == 0 {
            return Ok(());
        }
        let (used, close) = answer_all(&input, &mut out, &mut scratch);
        input.drain(..used);
        if !out.is_empty() {
            let res;
            (res, out) = stream.write_all(out).await;
            res?;
            out.clear();
        }
        if close || input.len() > MAX_PENDING {
            return Ok(());
        }
    }
}

async fn serve(port: u16) -> io::Result<()> {
    let opts = ListenerOpts::new().reuse_port(true).backlog(4096);
    let listener = TcpListener::bind_with_config(("127.0.0.1", port), &opts)?;
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        monoio::spawn(async move {
            // A client that goes away mid-request is not an error worth reporting here.
            let _ = serve_connection(stream).await;
        });
    }
}

fn worker(core: usize, port: u16) -> io::Result<()> {
    // Best effort: under a CPU mask (taskset) the core may not be allowed.
    if let Err(e) = monoio::utils::bind_to_cpu_set([core]) {
        eprintln!("peer-monoio: worker not pinned to core {core}: {e}");
    }
    RuntimeBuilder::<IoUringDriver>::new()
        .with_entries(RING_ENTRIES)
        .build()?
        .block_on(serve(port))
}

fn env_number(name: &str, default: usize) -> io::Result<usize> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .map_err(|_| io::Error::other(format!("{name} must be a whole number, got {v:?}"))),
        Err(_) => Ok(default),
    }
}

fn main() -> io::Result<()> {
    let port = u16::try_from(env_number("PORT", 3000)?).map_err(io::Error::other)?;
    let workers = env_number("WORKERS", 2)?.max(1);
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let threads = (0..workers)
        .map(|i| {
            std::thread::Builder::new()
                .name(format!("monoio-{i}"))
                .spawn(move || {
                    // A worker that fails ends the process, not just its thread.
                    if let Err(e) = worker(i % cores, port) {
                        eprintln!("peer-monoio: worker {i}: {e}");
                        std::process::exit(1);
                    }
                })
        })
        .collect::<io::Result<Vec<_>>>()?;
    for thread in threads {
        thread
            .join()
            .map_err(|_| io::Error::other("a monoio worker panicked"))?;
    }
    Ok(())
}
