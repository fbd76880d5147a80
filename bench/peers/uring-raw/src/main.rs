//! The io_uring ceiling of bench/run.sh, not a framework peer: what one thread per worker
//! driving its own ring can do when the "HTTP server" does next to nothing. Built directly
//! on the io-uring crate: each thread has its own SO_REUSEPORT listener and its own ring
//! (SINGLE_ISSUER + DEFER_TASKRUN where the kernel has them, else COOP_TASKRUN), one
//! multishot accept, and per connection one operation at a time: recv into the
//! connection's buffer, then one send of all the answers, then recv again. One
//! `submit_and_wait(1)` per loop turn submits what the last turn queued and reaps.
//!
//! There is no HTTP parser: every "\r\n\r\n" in the received bytes ends one request (so
//! pipelined requests are answered in order, and a head split across receives is kept for
//! the next), and the request line picks one of three precomputed answers: `GET /plaintext `
//! gets "Hello, World!" (text/plain; charset=utf-8), `GET /json ` gets
//! `{"message":"Hello, World!"}` (application/json), anything else a 404. Every answer
//! carries `Server: uring-raw` and a `Date` rewritten in place once per second. Request
//! bodies are not supported (GET only); a head longer than the buffer closes the
//! connection.
//!
//! Environment: `PORT` (default 3000), `WORKERS` (default 2) = threads, each with its own
//! ring and listener. Listens on 127.0.0.1 only.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{SystemTime, UNIX_EPOCH};

use io_uring::{IoUring, SubmissionQueue, Submitter, cqueue, opcode, squeue, types};
use memchr::memmem;
use socket2::{Domain, SockRef, Socket, Type};

/// Submission queue entries per ring.
const RING_ENTRIES: u32 = 4096;
/// Completion queue entries per ring: above the one operation per connection in flight
/// even with the idle section's 10,000 connections on one thread.
const CQ_ENTRIES: u32 = 65536;
/// Receive buffer per connection: 16 pipelined wrk requests take about 1 KiB.
const RECV_BUF: usize = 4096;
const BACKLOG: i32 = 4096;

/// `user_data` of the multishot accept; a connection's operation is `index << 1 | op`.
const ACCEPT: u64 = u64::MAX;
const OP_RECV: u64 = 0;
const OP_SEND: u64 = 1;

/// The three fixed answers, each with its `Date` value at a known offset.
struct Answers {
    plaintext: Vec<u8>,
    json: Vec<u8>,
    not_found: Vec<u8>,
    /// Offset of the 29-byte date in each answer, in the order above.
    date_at: [usize; 3],
    /// The second the dates were written for.
    secs: u64,
}

/// An answer with a 29-byte blank where the date goes, and that blank's offset.
fn answer(status: &str, content_type: Option<&str>, body: &str) -> (Vec<u8>, usize) {
    let mut head = format!("HTTP/1.1 {status}\r\nServer: uring-raw\r\n");
    if let Some(content_type) = content_type {
        head += &format!("Content-Type: {content_type}\r\n");
    }
    head += &format!("Content-Length: {}\r\nDate: ", body.len());
    let date_at = head.len();
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&[b' '; 29]);
    bytes.extend_from_slice(b"\r\n\r\n");
    bytes.extend_from_slice(body.as_bytes());
    (bytes, date_at)
}

impl Answers {
    fn new() -> Self {
        let (plaintext, p) = answer("200 OK", Some("text/plain; charset=utf-8"), "Hello, World!");
        let (json, j) = answer(
            "200 OK",
            Some("application/json"),
            r#"{"message":"Hello, World!"}"#,
        );
        let (not_found, n) = answer("404 Not Found", None, "");
        let mut answers = Self {
            plaintext,
            json,
            not_found,
            date_at: [p, j, n],
            secs: u64::MAX,
        };
        answers.refresh_date();
        answers
    }

    /// Rewrites the dates if the second changed (a vDSO clock read, no system call).
    fn refresh_date(&mut self) {
        let now = SystemTime::now();
        let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        if secs == self.secs {
            return;
        }
        self.secs = secs;
        let date = httpdate::fmt_http_date(now);
        let date = &date.as_bytes()[..date.len().min(29)];
        let answers = [&mut self.plaintext, &mut self.json, &mut self.not_found];
        for (answer, at) in answers.into_iter().zip(self.date_at) {
            answer[at..at + date.len()].copy_from_slice(date);
        }
    }

    /// The answer to one request head.
    fn for_head(&self, mut head: &[u8]) -> &[u8] {
        // Empty lines before a request line are allowed (RFC 9112, 2.2).
        while let [b'\r' | b'\n', rest @ ..] = head {
            head = rest;
        }
        if head.starts_with(b"GET /plaintext ") {
            &self.plaintext
        } else if head.starts_with(b"GET /json ") {
            &self.json
        } else {
            &self.not_found
        }
    }
}

/// One accepted connection. At most one operation (a recv into `input[filled..]` or a send
/// of `out[sent..]`) is in flight for it, and it is dropped only when that operation has
/// completed: its buffers, heap allocations that neither move nor resize meanwhile,
/// outlive every operation that names them.
struct Conn {
    fd: OwnedFd,
    /// Received bytes; the first `filled` are the start of a request not yet complete.
    input: Box<[u8]>,
    filled: usize,
    /// Answers to send; the first `sent` have been.
    out: Vec<u8>,
    sent: usize,
}

/// The submission side of a ring.
struct Queue<'a> {
    submitter: Submitter<'a>,
    sq: SubmissionQueue<'a>,
}

impl Queue<'_> {
    /// Queues `entry`, submitting what is queued first if the queue is full.
    ///
    /// # Safety
    ///
    /// The buffers and descriptor that `entry` names must stay valid until its completion.
    unsafe fn push(&mut self, entry: &squeue::Entry) -> io::Result<()> {
        // SAFETY: the caller keeps what `entry` names valid until its completion.
        while unsafe { self.sq.push(entry) }.is_err() {
            self.sq.sync();
            self.submitter.submit()?;
            self.sq.sync();
        }
        Ok(())
    }
}

struct Worker {
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    answers: Answers,
    end_of_head: memmem::Finder<'static>,
}

impl Worker {
    fn accept(&self, queue: &mut Queue<'_>, listener: &Socket) -> io::Result<()> {
        let entry = opcode::AcceptMulti::new(types::Fd(listener.as_raw_fd()))
            .build()
            .user_data(ACCEPT);
        // SAFETY: accept names no buffer, and the listener lives as long as the ring's loop.
        unsafe { queue.push(&entry) }
    }

    fn recv(&mut self, queue: &mut Queue<'_>, index: usize) -> io::Result<()> {
        let Some(conn) = self.conns.get_mut(index).and_then(Option::as_mut) else {
            return Ok(());
        };
        let free = &mut conn.input[conn.filled..];
        let entry = opcode::Recv::new(
            types::Fd(conn.fd.as_raw_fd()),
            free.as_mut_ptr(),
            u32::try_from(free.len()).unwrap_or(u32::MAX),
        )
        .build()
        .user_data(((index as u64) << 1) | OP_RECV);
        // SAFETY: the buffer and descriptor belong to `conn`, which (see `Conn`) is dropped
        // only after this, its one operation in flight, has completed.
        unsafe { queue.push(&entry) }
    }

    fn send(&mut self, queue: &mut Queue<'_>, index: usize) -> io::Result<()> {
        let Some(conn) = self.conns.get_mut(index).and_then(Option::as_mut) else {
            return Ok(());
        };
        let rest = &conn.out[conn.sent..];
        let entry = opcode::Send::new(
            types::Fd(conn.fd.as_raw_fd()),
            rest.as_ptr(),
            u32::try_from(rest.len()).unwrap_or(u32::MAX),
        )
        .flags(libc::MSG_NOSIGNAL)
        .build()
        .user_data(((index as u64) << 1) | OP_SEND);
        // SAFETY: as in `recv`; `out` is not touched until this send has completed.
        unsafe { queue.push(&entry) }
    }

    fn close(&mut self, index: usize) {
        // Dropping the OwnedFd closes the socket; no operation on it is in flight.
        if self.conns.get_mut(index).and_then(Option::take).is_some() {
            self.free.push(index);
        }
    }

    fn accepted(&mut self, queue: &mut Queue<'_>, result: i32) -> io::Result<()> {
        if result < 0 {
            // EMFILE and the like: this connection is lost, the listener stays.
            return Ok(());
        }
        // SAFETY: a successful accept's result is a new descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(result) };
        // Every peer sets TCP_NODELAY; a failure only costs latency, not correctness.
        let _ = SockRef::from(&fd).set_tcp_nodelay(true);
        let conn = Conn {
            fd,
            input: vec![0; RECV_BUF].into_boxed_slice(),
            filled: 0,
            out: Vec::with_capacity(RECV_BUF),
            sent: 0,
        };
        let index = match self.free.pop() {
            Some(index) => {
                self.conns[index] = Some(conn);
                index
            }
            None => {
                self.conns.push(Some(conn));
                self.conns.len() - 1
            }
        };
        self.recv(queue, index)
    }

    fn received(&mut self, queue: &mut Queue<'_>, index: usize, result: i32) -> io::Result<()> {
        let Some(conn) = self.conns.get_mut(index).and_then(Option::as_mut) else {
            return Ok(());
        };
        let Ok(n @ 1..) = usize::try_from(result) else {
            // 0: the client closed; below 0: an error.
            self.close(index);
            return Ok(());
        };
        conn.filled += n;
        let mut start = 0;
        while let Some(at) = self.end_of_head.find(&conn.input[start..conn.filled]) {
            let end = start + at + 4;
            conn.out
                .extend_from_slice(self.answers.for_head(&conn.input[start..end]));
            start = end;
        }
        conn.input.copy_within(start..conn.filled, 0);
        conn.filled -= start;
        if !conn.out.is_empty() {
            self.send(queue, index)
        } else if conn.filled == conn.input.len() {
            self.close(index); // a request head longer than the buffer
            Ok(())
        } else {
            self.recv(queue, index)
        }
    }

    fn sent(&mut self, queue: &mut Queue<'_>, index: usize, result: i32) -> io::Result<()> {
        let Some(conn) = self.conns.get_mut(index).and_then(Option::as_mut) else {
            return Ok(());
        };
        let Ok(n @ 1..) = usize::try_from(result) else {
            self.close(index);
            return Ok(());
        };
        conn.sent += n;
        if conn.sent < conn.out.len() {
            return self.send(queue, index); // a short send: the rest
        }
        conn.out.clear();
        conn.sent = 0;
        self.recv(queue, index)
    }
}

fn listen(port: u16) -> io::Result<Socket> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.bind(&SocketAddr::from(([127, 0, 0, 1], port)).into())?;
    socket.listen(BACKLOG)?;
    Ok(socket)
}

/// A ring with the cheapest completion delivery the kernel offers, and its name.
fn ring() -> io::Result<(IoUring, &'static str)> {
    let mut builder = IoUring::builder();
    builder
        .setup_cqsize(CQ_ENTRIES)
        .setup_single_issuer()
        .setup_defer_taskrun();
    if let Ok(ring) = builder.build(RING_ENTRIES) {
        return Ok((ring, "SINGLE_ISSUER + DEFER_TASKRUN"));
    }
    let mut builder = IoUring::builder();
    builder.setup_cqsize(CQ_ENTRIES).setup_coop_taskrun();
    if let Ok(ring) = builder.build(RING_ENTRIES) {
        return Ok((ring, "COOP_TASKRUN (no DEFER_TASKRUN)"));
    }
    let ring = IoUring::builder()
        .setup_cqsize(CQ_ENTRIES)
        .build(RING_ENTRIES)?;
    Ok((ring, "default flags (no COOP_TASKRUN)"))
}

fn run(port: u16, announce: bool) -> io::Result<()> {
    // Declared before the ring, so dropped after it (on a panic's unwinding): the buffers
    // of operations in flight outlive the ring.
    let mut worker = Worker {
        conns: Vec::new(),
        free: Vec::new(),
        answers: Answers::new(),
        end_of_head: memmem::Finder::new(b"\r\n\r\n"),
    };
    let listener = listen(port)?;
    let (mut ring, flags) = ring()?;
    if announce {
        eprintln!("peer-uring-raw: rings with {flags}");
    }
    let (submitter, sq, mut cq) = ring.split();
    let mut queue = Queue { submitter, sq };
    worker.accept(&mut queue, &listener)?;
    loop {
        queue.sq.sync();
        match queue.submitter.submit_and_wait(1) {
            Ok(_) => {}
            Err(e) if matches!(e.raw_os_error(), Some(libc::EINTR | libc::EBUSY)) => {}
            Err(e) => return Err(e),
        }
        cq.sync();
        worker.answers.refresh_date();
        for cqe in &mut cq {
            let (user_data, result) = (cqe.user_data(), cqe.result());
            if user_data == ACCEPT {
                worker.accepted(&mut queue, result)?;
                if !cqueue::more(cqe.flags()) {
                    worker.accept(&mut queue, &listener)?; // the multishot accept ended
                }
                continue;
            }
            let index = usize::try_from(user_data >> 1).unwrap_or(usize::MAX);
            if user_data & 1 == OP_SEND {
                worker.sent(&mut queue, index, result)?;
            } else {
                worker.received(&mut queue, index, result)?;
            }
        }
        cq.sync(); // hand the reaped entries back before waiting again
    }
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
    let threads = (0..workers)
        .map(|i| {
            std::thread::Builder::new()
                .name(format!("uring-raw-{i}"))
                .spawn(move || {
                    // A worker that fails ends the process at once: no destructor frees a
                    // buffer that an operation still in flight names.
                    if let Err(e) = run(port, i == 0) {
                        eprintln!("peer-uring-raw: worker {i}: {e}");
                        std::process::exit(1);
                    }
                })
        })
        .collect::<io::Result<Vec<_>>>()?;
    for thread in threads {
        thread
            .join()
            .map_err(|_| io::Error::other("a uring-raw worker panicked"))?;
    }
    Ok(())
}
