//! The io_uring driver.
//!
//! - Each stream has one multishot receive armed for its whole life, reading into a ring
//!   of provided buffers (`BufRing`): no submission per read, and a `read` just copies what
//!   has arrived into the caller's buffer and gives the ring buffers back.
//!   A stream holding `STREAM_BUFFERS` unread buffers has its receive cancelled (TCP then
//!   pushes back on the peer) until its reader takes them. A stream whose receive found
//!   the ring empty (`ENOBUFS`) reads straight from its socket (`recv` with `MSG_DONTWAIT`,
//!   a one-shot `POLLIN` to wait) until the ring has buffers again: no re-arm spin, and no
//!   stream waits on buffers that others hold.
//! - Each listener has one multishot accept armed; it is cancelled while `ACCEPT_QUEUE`
//!   accepted connections wait untaken (a worker at its connection limit), so that later
//!   ones wait in the kernel's backlog as on epoll.
//! - Sends are `IORING_OP_SENDMSG` (with `MSG_NOSIGNAL`) of the caller's `Bytes` as they
//!   are (no copy), or `IORING_OP_SEND` when there is one; their memory is owned by the
//!   operation until its completion.
//! - File reads (`crate::fs::read_at`) are `IORING_OP_READ` into the spare room of the
//!   caller's buffer; the operation owns the buffer and the file until its completion.
//! - Everything queued during a loop turn is submitted by the one `io_uring_enter` that
//!   also waits for completions. Rings are COOP_TASKRUN, or SINGLE_ISSUER + DEFER_TASKRUN
//!   when the configuration asks and the kernel allows it (completions are then posted only
//!   when the worker asks for them); both with TASKRUN_FLAG, so the worker is never
//!   interrupted per completion.

use std::{
    alloc::{Layout, alloc, alloc_zeroed, dealloc},
    cell::{Cell, RefCell, UnsafeCell},
    collections::VecDeque,
    fs::File,
    io, mem,
    os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd},
    ptr::NonNull,
    sync::{
        Arc,
        atomic::{AtomicU16, Ordering},
    },
    task::{Context, Poll, Waker},
    time::{Duration, Instant},
};

use bytes::{Bytes, BytesMut};
use io_uring::{
    IoUring, cqueue, opcode,
    types::{BufRingEntry, CancelBuilder, Fd, SubmitArgs, Timespec},
};

use super::{Notifier, pacer::Pacer};
use crate::{
    driver::DriverConfig,
    slab::{Key, Slab},
};

/// Submission queue entries per ring (the completion queue gets twice as many).
const ENTRIES: u32 = 1024;
/// Provided buffers per ring and their size: 512 KiB per worker, touched only as traffic
/// uses it. The kernel takes the buffers in ring order, so every one of them is written in
/// turn: with 1,024 (4 MiB) each receive landed in memory the TLB and the caches had long
/// lost, and the kernel's copy into it (`_copy_to_iter`) took 7–9 % of a worker's samples
/// against under 2 % on epoll, where reads go into the connection's own, hot buffer. 128
/// measured 1.06–1.12× the requests per CPU-second of 1,024 (`bench/pair.sh`, plaintext at
/// 64 and 256 connections and pipelined). 64 and 32 were at most a few percent above 128
/// in single probes, and at 256 connections 64 sent readers to the `ENOBUFS` fallback
/// (0.47 syscalls per request against 0.21).
const BUFFERS: u16 = 128;
const BUFFER_SIZE: u32 = 4096;
/// The buffer group of the ring's provided buffers.
const GROUP: u16 = 0;
/// Received buffers one stream may hold unread: at this many its multishot receive is
/// cancelled (the socket's own buffer then fills and TCP pushes back on the peer), and it
/// is armed again once its reader has taken them. Without the cap one connection whose
/// handler does not read could take every buffer of the worker.
const STREAM_BUFFERS: usize = 16;
/// Accepted connections a listener may hold that nobody took yet (a worker at its
/// connection limit stops taking them): at this many its multishot accept is cancelled,
/// and further connections wait in the kernel's backlog, as they do on epoll, instead of
/// holding descriptors here. Armed again when the queue is taken.
const ACCEPT_QUEUE: usize = 64;
/// The most bytes one `read` copies out of the provided buffers.
const READ_MAX: usize = 64 * 1024;
/// The most pieces one send takes (the kernel's `UIO_MAXIOV` is 1024).
pub(crate) const MAX_IOVECS: usize = 1024;
/// With a batch wait: this many ready completions end the wait before the batch wait does.
const BATCH_WAKE: usize = 64;
/// With a batch wait, the overall timeout of a wait that has no timer to wait for (the
/// kernel needs one; the worker waits again when it passes).
const IDLE_WAIT: Duration = Duration::from_secs(3600);

/// What a completion's user data refers to (its top two bits).
const TAG_SOURCE: u64 = 0;
const TAG_OP: u64 = 1 << 62;
const TAG_NOTIFY: u64 = 2 << 62;
const TAG_IGNORE: u64 = 3 << 62;
const TAG_MASK: u64 = 3 << 62;

pub(crate) struct Uring {
    /// Declared first so it is dropped (closed) before the memory its operations use.
    ring: RefCell<IoUring>,
    sources: RefCell<Slab<Source>>,
    ops: RefCell<Slab<Op>>,
    bufs: RefCell<BufRing>,
    /// Submitted entries whose last completion has not been seen (multishots count once).
    inflight: Cell<usize>,
    /// Set by `drop` before it cancels everything: the eventfd read is not re-armed.
    closing: Cell<bool>,
    notify_fd: OwnedFd,
    /// Where the armed eventfd read writes; never read by us.
    notify_buf: Box<UnsafeCell<u64>>,
    /// Completions copied out of the queue before they are handled (handling pushes new
    /// entries, which needs the ring).
    cqes: RefCell<Vec<(u64, i32, u32)>>,
    woken: RefCell<Vec<Waker>>,
    /// `DriverConfig::batch_wait` in µs, or 0 where it is off or the ring cannot do it.
    batch_wait_us: u32,
    /// Whether a wait uses the batch wait (see `pacer`).
    pacer: Pacer,
}

enum Source {
    Stream(Stream),
    Listener(Listener),
}

struct Stream {
    fd: RawFd,
    /// Received data not yet read: (buffer id, length), in order.
    queue: VecDeque<(u16, u32)>,
    /// How much of the front buffer was already read.
    offset: usize,
    eof: bool,
    error: Option<i32>,
    /// The multishot receive is armed (its final completion not yet seen).
    armed: bool,
    /// Its cancel is queued because the stream holds `STREAM_BUFFERS` (cleared with
    /// `armed` by the final completion).
    cancelling: bool,
    /// The receive ended for want of a provided buffer (`ENOBUFS`): reads go straight to
    /// the socket until the ring has buffers again, rather than re-arming a receive that
    /// would fail at once (a spin) or waiting for buffers other streams may hold for long.
    starved: bool,
    /// While starved: the one-shot `POLLIN` wait for the socket.
    poll_op: Option<Key>,
    reader: Option<Waker>,
}

struct Listener {
    fd: RawFd,
    accepted: VecDeque<Result<OwnedFd, i32>>,
    armed: bool,
    /// Its cancel is queued because `ACCEPT_QUEUE` connections wait (cleared with `armed`
    /// by the final completion).
    cancelling: bool,
    waiter: Option<Waker>,
}

/// A one-shot operation (a send, a file read, a poll) and the memory it owns until it
/// completes.
struct Op {
    result: Option<i32>,
    waker: Option<Waker>,
    payload: Payload,
    /// Its future was dropped: free it on completion.
    orphaned: bool,
}

/// The memory an operation's kernel side uses: kept by the `Op` until the completion, even
/// when its future is dropped first.
enum Payload {
    /// A poll: nothing.
    None,
    Send(Box<SendPayload>),
    Read(ReadPayload),
}

/// A file read's buffer (the kernel writes into its spare room) and the file, held open
/// until the read completes.
pub(crate) struct ReadPayload {
    pub file: Arc<File>,
    pub buf: Vec<u8>,
}

/// A send's pieces and the `msghdr` and iovecs that point into them. Boxed, so the
/// addresses the kernel holds stay put while the box moves between owners.
pub(crate) struct SendPayload {
    pub pieces: Vec<Bytes>,
    iovecs: Vec<libc::iovec>,
    msg: libc::msghdr,
}

impl SendPayload {
    pub fn new() -> Box<SendPayload> {
        Box::new(SendPayload {
            pieces: Vec::new(),
            iovecs: Vec::new(),
            // SAFETY: msghdr is a plain C struct for which all zeroes is a valid value
            // (null pointers, zero lengths).
            msg: unsafe { mem::zeroed() },
        })
    }

    /// Points the iovecs and the header at the first `MAX_IOVECS` pieces.
    fn prepare(&mut self) {
        self.iovecs.clear();
        self.iovecs
            .extend(self.pieces.iter().take(MAX_IOVECS).map(|b| libc::iovec {
                iov_base: b.as_ptr() as *mut libc::c_void,
                iov_len: b.len(),
            }));
        self.msg.msg_iov = self.iovecs.as_mut_ptr();
        self.msg.msg_iovlen = self.iovecs.len();
    }
}

impl Uring {
    pub fn new(cfg: &DriverConfig, notifier: &Notifier) -> io::Result<Uring> {
        check_kernel()?;
        let batching = !cfg.batch_wait.is_zero();
        let (ring, deferred) = build_ring(cfg.defer_taskrun || batching)?;
        if !ring.params().is_feature_ext_arg() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "io_uring without EXT_ARG (Linux 5.11)",
            ));
        }
        let count = if cfg.ring_buffers == 0 {
            BUFFERS
        } else {
            cfg.ring_buffers
        };
        let bufs = BufRing::new(count, BUFFER_SIZE)?;
        // SAFETY: the ring memory is valid for `count` entries and outlives the ring: the
        // `Uring` drops `ring` first, and leaks `bufs` if operations are still in flight.
        unsafe {
            ring.submitter().register_buf_ring_with_flags(
                bufs.entries.as_ptr() as u64,
                count,
                GROUP,
                0,
            )?;
        }
        let batch_wait_us = batch_wait_us(cfg.batch_wait, deferred, &ring);
        let uring = Uring {
            ring: RefCell::new(ring),
            sources: RefCell::new(Slab::default()),
            ops: RefCell::new(Slab::default()),
            bufs: RefCell::new(bufs),
            inflight: Cell::new(0),
            closing: Cell::new(false),
            notify_fd: notifier.fd().try_clone_to_owned()?,
            notify_buf: Box::new(UnsafeCell::new(0)),
            cqes: RefCell::new(Vec::with_capacity(256)),
            woken: RefCell::new(Vec::new()),
            batch_wait_us,
            pacer: Pacer::new(),
        };
        uring.arm_notify();
        Ok(uring)
    }

    fn push(&self, entry: io_uring::squeue::Entry) {
        let mut ring = self.ring.borrow_mut();
        loop {
            // SAFETY: every entry pushed here points only at memory that outlives its
            // completion: provided buffers and the notify buffer live as long as the ring
            // (or are leaked), send payloads, read buffers and the files read are owned by
            // their `Op` until completion.
            if unsafe { ring.submission().push(&entry) }.is_ok() {
                return;
            }
            // Full: hand what is queued to the kernel and try again.
            if let Err(e) = ring.submit() {
                tracing::error!(error = %e, "io_uring submit failed");
            }
        }
    }

    fn push_counted(&self, entry: io_uring::squeue::Entry) {
        self.inflight.set(self.inflight.get() + 1);
        self.push(entry);
    }

    fn arm_notify(&self) {
        let entry = opcode::Read::new(
            Fd(self.notify_fd.as_raw_fd()),
            self.notify_buf.get().cast(),
            8,
        )
        .build()
        .user_data(TAG_NOTIFY);
        self.push_counted(entry);
    }

    fn arm_recv(&self, key: Key, fd: RawFd) {
        let entry = opcode::RecvMulti::new(Fd(fd), GROUP)
            .build()
            .user_data(TAG_SOURCE | key.to_u64());
        self.push_counted(entry);
    }

    /// Accepted sockets are non-blocking, as epoll's are: io_uring's own operations do not
    /// mind, and the calls made outside the ring (`sendfile`, reads of a starved stream)
    /// must never block the worker.
    fn arm_accept(&self, key: Key, fd: RawFd) {
        let entry = opcode::AcceptMulti::new(Fd(fd))
            .flags(libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK)
            .build()
            .user_data(TAG_SOURCE | key.to_u64());
        self.push_counted(entry);
    }

    fn cancel(&self, user_data: u64) {
        let entry = opcode::AsyncCancel::new(user_data)
            .build()
            .user_data(TAG_IGNORE);
        self.push(entry);
    }

    /// Registers a connected socket; its multishot receive starts at once.
    pub fn register_stream(&self, fd: RawFd) -> Key {
        let key = self.sources.borrow_mut().insert(Source::Stream(Stream {
            fd,
            queue: VecDeque::new(),
            offset: 0,
            eof: false,
            error: None,
            armed: true,
            cancelling: false,
            starved: false,
            poll_op: None,
            reader: None,
        }));
        self.arm_recv(key, fd);
        key
    }

    /// Registers a listening socket; its multishot accept starts at once.
    pub fn register_listener(&self, fd: RawFd) -> Key {
        let key = self.sources.borrow_mut().insert(Source::Listener(Listener {
            fd,
            accepted: VecDeque::new(),
            armed: true,
            cancelling: false,
            waiter: None,
        }));
        self.arm_accept(key, fd);
        key
    }

    /// Forgets a socket before it is closed: cancels its multishot operation and gives its
    /// unread buffers back (connections accepted and not yet taken are closed).
    pub fn deregister(&self, key: Key) {
        let Some(source) = self.sources.borrow_mut().remove(key) else {
            return;
        };
        let armed = match source {
            Source::Stream(s) => {
                let mut bufs = self.bufs.borrow_mut();
                s.queue.iter().for_each(|&(bid, _)| bufs.give_back(bid));
                if let Some(op) = s.poll_op {
                    drop(bufs);
                    self.drop_op(op);
                }
                s.armed
            }
            Source::Listener(l) => l.armed,
        };
        if armed {
            self.cancel(TAG_SOURCE | key.to_u64());
        }
    }

    #[cfg(test)]
    pub fn free_buffers(&self) -> usize {
        self.bufs.borrow().free
    }

    /// Connections a listener holds that nobody took yet.
    #[cfg(test)]
    pub fn accepted_waiting(&self, key: Key) -> usize {
        match self.sources.borrow_mut().get_mut(key) {
            Some(Source::Listener(l)) => l.accepted.len(),
            _ => 0,
        }
    }

    /// Copies received data into `buf`: `Ok(0)` at end of stream. `fd` is the stream's
    /// socket, read directly while the ring has no buffer for it.
    pub fn poll_read(
        &self,
        key: Key,
        fd: BorrowedFd<'_>,
        buf: &mut BytesMut,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<usize>> {
        let mut sources = self.sources.borrow_mut();
        let Some(Source::Stream(s)) = sources.get_mut(key) else {
            return Poll::Ready(Err(io::ErrorKind::NotConnected.into()));
        };
        if !s.queue.is_empty() {
            return Poll::Ready(Ok(self.copy_out(s, buf)));
        }
        if let Some(errno) = s.error.take() {
            return Poll::Ready(Err(io::Error::from_raw_os_error(errno)));
        }
        if s.eof {
            return Poll::Ready(Ok(0));
        }
        if s.starved && !s.armed {
            match self.read_starved(s, fd, buf, cx) {
                Some(ready) => return ready,
                None if s.poll_op.is_some() => return Poll::Pending,
                None => {}
            }
        }
        set_waker(&mut s.reader, cx);
        if !s.armed {
            s.armed = true;
            let fd = s.fd;
            drop(sources);
            self.arm_recv(key, fd);
        }
        Poll::Pending
    }

    /// Moves the front of a stream's queued buffers into `buf` (at most `READ_MAX` bytes)
    /// and gives the emptied buffers back.
    fn copy_out(&self, s: &mut Stream, buf: &mut BytesMut) -> usize {
        let mut bufs = self.bufs.borrow_mut();
        let mut copied = 0;
        while let Some(&(bid, len)) = s.queue.front() {
            let data = &bufs.data(bid, len)[s.offset..];
            let n = data.len().min(READ_MAX - copied);
            buf.extend_from_slice(&data[..n]);
            copied += n;
            s.offset += n;
            if s.offset < len as usize {
                break;
            }
            s.queue.pop_front();
            s.offset = 0;
            bufs.give_back(bid);
        }
        copied
    }

    /// A read of a starved stream: straight from the socket. `None` when the socket has
    /// nothing: then either the ring has buffers again (the caller re-arms the receive) or
    /// a `POLLIN` wait is pending (`s.poll_op` is set).
    fn read_starved(
        &self,
        s: &mut Stream,
        fd: BorrowedFd<'_>,
        buf: &mut BytesMut,
        cx: &mut Context<'_>,
    ) -> Option<Poll<io::Result<usize>>> {
        loop {
            if let Some(op) = s.poll_op {
                match self.poll_bare_op(op, cx) {
                    Poll::Pending => return None,
                    Poll::Ready(_) => s.poll_op = None,
                }
            }
            match super::recv_spare(fd, buf) {
                Ok((n, _)) => {
                    s.eof = n == 0;
                    return Some(Poll::Ready(Ok(n)));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() != io::ErrorKind::WouldBlock => {
                    return Some(Poll::Ready(Err(e)));
                }
                Err(_) => {}
            }
            if self.bufs.borrow().free > 0 {
                s.starved = false;
                return None;
            }
            s.poll_op = Some(self.submit_poll(s.fd, libc::POLLIN));
        }
    }

    /// The next accepted connection, or the accept error.
    pub fn poll_accept(&self, key: Key, cx: &mut Context<'_>) -> Poll<io::Result<OwnedFd>> {
        let mut sources = self.sources.borrow_mut();
        let Some(Source::Listener(l)) = sources.get_mut(key) else {
            return Poll::Ready(Err(io::ErrorKind::NotConnected.into()));
        };
        if let Some(r) = l.accepted.pop_front() {
            return Poll::Ready(r.map_err(io::Error::from_raw_os_error));
        }
        set_waker(&mut l.waiter, cx);
        if !l.armed {
            l.armed = true;
            let fd = l.fd;
            drop(sources);
            self.arm_accept(key, fd);
        }
        Poll::Pending
    }

    /// Starts sending `payload.pieces` (the first `MAX_IOVECS` of them), with `MSG_MORE`
    /// when `more` (more data follows at once).
    pub fn submit_send(&self, fd: RawFd, mut payload: Box<SendPayload>, more: bool) -> Key {
        // One piece (a batch of small responses copied together) is an `IORING_OP_SEND`
        // of its bytes, which spares the kernel the `msghdr` and the iovec table.
        let single = match payload.pieces.as_slice() {
            [one] => Some((one.as_ptr(), u32::try_from(one.len()).unwrap_or(u32::MAX))),
            _ => None,
        };
        let msg: *const libc::msghdr = if single.is_none() {
            payload.prepare();
            &payload.msg
        } else {
            std::ptr::null()
        };
        let key = self.ops.borrow_mut().insert(Op {
            result: None,
            waker: None,
            payload: Payload::Send(payload),
            orphaned: false,
        });
        // The bytes a `Send` points at are the heap buffer of the payload's one `Bytes`,
        // which the `Op` owns until the completion (moving the box or the `Bytes` handle
        // does not move that buffer), as the iovecs of a `SendMsg` point into the pieces.
        let flags = if more {
            libc::MSG_NOSIGNAL | libc::MSG_MORE
        } else {
            libc::MSG_NOSIGNAL
        };
        let entry = match single {
            Some((ptr, len)) => opcode::Send::new(Fd(fd), ptr, len).flags(flags).build(),
            None => opcode::SendMsg::new(Fd(fd), msg)
                .flags(flags as u32)
                .build(),
        }
        .user_data(TAG_OP | key.to_u64());
        self.push_counted(entry);
        key
    }

    /// Starts reading up to `len` bytes of `payload.file` at `offset` into the spare room
    /// of `payload.buf` (which must have that much).
    pub fn submit_read_at(&self, mut payload: ReadPayload, offset: u64, len: u32) -> Key {
        debug_assert!(payload.buf.capacity() - payload.buf.len() >= len as usize);
        let fd = payload.file.as_raw_fd();
        let spare = payload.buf.spare_capacity_mut().as_mut_ptr().cast::<u8>();
        let key = self.ops.borrow_mut().insert(Op {
            result: None,
            waker: None,
            payload: Payload::Read(payload),
            orphaned: false,
        });
        // The buffer's heap memory stays put while the `Vec` handle moves into the
        // `Op`; the `Op` keeps it, and the file open, until the completion.
        let entry = opcode::Read::new(Fd(fd), spare, len)
            .offset(offset)
            .build()
            .user_data(TAG_OP | key.to_u64());
        self.push_counted(entry);
        key
    }

    /// Starts waiting until `fd` is writable (a non-blocking `connect` finished, or
    /// failed). It owns no memory the kernel uses.
    pub fn submit_poll_out(&self, fd: RawFd) -> Key {
        self.submit_poll(fd, libc::POLLOUT)
    }

    /// A one-shot poll of `fd` for `events`, completed through `poll_bare_op`.
    fn submit_poll(&self, fd: RawFd, events: libc::c_short) -> Key {
        let key = self.ops.borrow_mut().insert(Op {
            result: None,
            waker: None,
            payload: Payload::None,
            orphaned: false,
        });
        let entry = opcode::PollAdd::new(Fd(fd), events as u32)
            .build()
            .user_data(TAG_OP | key.to_u64());
        self.push_counted(entry);
        key
    }

    /// The result of an operation and the memory it owned, once it completed (the entry is
    /// then removed); until then the waker is kept for the completion.
    fn take_completed(&self, key: Key, cx: &mut Context<'_>) -> Poll<(i32, Payload)> {
        let mut ops = self.ops.borrow_mut();
        let Some(op) = ops.get_mut(key) else {
            // Invariant: an op is removed only here (after completion) or when orphaned.
            unreachable!("operation polled after it completed or was dropped");
        };
        let Some(res) = op.result else {
            set_waker(&mut op.waker, cx);
            return Poll::Pending;
        };
        let Some(op) = ops.remove(key) else {
            unreachable!("the entry was just found");
        };
        Poll::Ready((res, op.payload))
    }

    /// The result of an operation without a payload (`submit_poll_out`): the poll mask or
    /// the error.
    pub fn poll_bare_op(&self, key: Key, cx: &mut Context<'_>) -> Poll<io::Result<u32>> {
        self.take_completed(key, cx)
            .map(|(res, _)| op_result(res).map(|mask| mask as u32))
    }

    /// The result of a send, with its payload back, once it completed.
    pub fn poll_op(
        &self,
        key: Key,
        cx: &mut Context<'_>,
    ) -> Poll<(io::Result<usize>, Box<SendPayload>)> {
        self.take_completed(key, cx).map(|(res, payload)| {
            let Payload::Send(payload) = payload else {
                unreachable!("poll_op is only called on sends");
            };
            (op_result(res), payload)
        })
    }

    /// The result of a file read, with its buffer back (grown by what was read), once it
    /// completed.
    pub fn poll_read_op(
        &self,
        key: Key,
        cx: &mut Context<'_>,
    ) -> Poll<(io::Result<usize>, ReadPayload)> {
        self.take_completed(key, cx).map(|(res, payload)| {
            let Payload::Read(mut payload) = payload else {
                unreachable!("poll_read_op is only called on reads");
            };
            let res = op_result(res);
            if let Ok(n) = res {
                let len = payload.buf.len() + n;
                assert!(
                    len <= payload.buf.capacity(),
                    "the kernel read past the buffer"
                );
                // SAFETY: the completed read wrote `n` bytes into the spare room that
                // started at the old length (`submit_read_at` pointed it there and the
                // buffer was not touched meanwhile: the `Op` owned it), so they are
                // initialised; the assert keeps the length within the capacity.
                unsafe { payload.buf.set_len(len) };
            }
            (res, payload)
        })
    }

    /// Drops an operation whose future went away: if it is still in flight, it is
    /// cancelled and its payload freed on completion.
    pub fn drop_op(&self, key: Key) {
        let mut ops = self.ops.borrow_mut();
        let Some(op) = ops.get_mut(key) else {
            return;
        };
        if op.result.is_some() {
            ops.remove(key);
            return;
        }
        op.orphaned = true;
        op.waker = None;
        drop(ops);
        self.cancel(TAG_OP | key.to_u64());
    }

    /// One loop turn: submit what is queued; with a non-zero timeout wait for at least one
    /// completion (or the timeout); then handle every completion.
    ///
    /// With a batch wait, while the pacer sees completions trickle in, a wait that sees a
    /// completion within the batch wait of its start lasts the whole batch wait (or until
    /// `BATCH_WAKE` completions are ready), so the completions that arrive meanwhile are
    /// handled in the same turn; one that sees none ends at the first completion after it,
    /// as without.
    pub fn turn(&self, timeout: Option<Duration>) {
        // Whether this turn blocks, and if so whether with the batch wait.
        let mut blocked = None;
        {
            let ring = self.ring.borrow();
            let submitter = ring.submitter();
            let batch = Duration::from_micros(self.batch_wait_us.into());
            let res = match timeout {
                // Nothing to hand over and no deferred completions waiting: no syscall.
                Some(d) if d.is_zero() && ring_idle(&ring) => Ok(0),
                Some(d) if d.is_zero() => submitter.submit(),
                // The kernel ends a batch wait without a longer overall timeout at the batch
                // wait, completions or not; an idle worker would wake every few µs.
                _ if !batch.is_zero()
                    && timeout.is_none_or(|d| d > batch)
                    && self.pacer.batch() =>
                {
                    blocked = Some(true);
                    let ts = timespec(timeout.unwrap_or(IDLE_WAIT));
                    let args = SubmitArgs::new()
                        .timespec(&ts)
                        .min_wait_usec(self.batch_wait_us);
                    submitter.submit_with_args(BATCH_WAKE, &args)
                }
                Some(d) => {
                    blocked = Some(false);
                    submitter.submit_with_args(1, &SubmitArgs::new().timespec(&timespec(d)))
                }
                None => {
                    blocked = Some(false);
                    submitter.submit_and_wait(1)
                }
            };
            match res {
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.raw_os_error(),
                        Some(libc::ETIME | libc::EINTR | libc::EBUSY)
                    ) => {}
                Err(e) => tracing::error!(error = %e, "io_uring_enter failed"),
            }
        }
        let handled = self.reap();
        if let Some(batched) = blocked
            && self.batch_wait_us > 0
        {
            self.pacer.record(batched, handled);
        }
    }

    /// Handles every completion in the queue; returns how many there were.
    fn reap(&self) -> usize {
        let mut cqes = mem::take(&mut *self.cqes.borrow_mut());
        {
            let mut ring = self.ring.borrow_mut();
            cqes.extend(
                ring.completion()
                    .map(|c| (c.user_data(), c.result(), c.flags())),
            );
        }
        let mut woken = mem::take(&mut *self.woken.borrow_mut());
        for &(user_data, res, flags) in &cqes {
            self.complete(user_data, res, flags, &mut woken);
        }
        let handled = cqes.len();
        cqes.clear();
        *self.cqes.borrow_mut() = cqes;
        woken.drain(..).for_each(Waker::wake);
        *self.woken.borrow_mut() = woken;
        handled
    }

    fn complete(&self, user_data: u64, res: i32, flags: u32, woken: &mut Vec<Waker>) {
        let tag = user_data & TAG_MASK;
        if tag == TAG_IGNORE {
            return;
        }
        let more = cqueue::more(flags);
        if !more {
            self.inflight.set(self.inflight.get().saturating_sub(1));
        }
        let key = Key::from_u64(user_data);
        match tag {
            TAG_NOTIFY => {
                if res != -libc::ECANCELED && !self.closing.get() {
                    self.arm_notify();
                }
            }
            TAG_OP => {
                let mut ops = self.ops.borrow_mut();
                let Some(op) = ops.get_mut(key) else {
                    return;
                };
                if op.orphaned {
                    ops.remove(key);
                    return;
                }
                op.result = Some(res);
                woken.extend(op.waker.take());
            }
            _ => self.complete_source(key, res, flags, more, woken),
        }
    }

    fn complete_source(&self, key: Key, res: i32, flags: u32, more: bool, woken: &mut Vec<Waker>) {
        let mut sources = self.sources.borrow_mut();
        match sources.get_mut(key) {
            None => {
                // A completion of a socket already deregistered: only its buffer matters.
                match cqueue::buffer_select(flags) {
                    Some(bid) => {
                        let mut bufs = self.bufs.borrow_mut();
                        bufs.taken();
                        bufs.give_back(bid);
                    }
                    // A receive's data always comes in a buffer, so this is a connection
                    // its listener's accept took before the cancel: close it. (0 is a
                    // receive's end of stream here, never an accept: descriptor 0 is open.)
                    // SAFETY: a successful accept's result is a descriptor nothing owns.
                    None if res > 0 => drop(unsafe { OwnedFd::from_raw_fd(res) }),
                    None => {}
                }
            }
            Some(Source::Stream(s)) => {
                let mut cancel = false;
                if res > 0 {
                    match cqueue::buffer_select(flags) {
                        Some(bid) => {
                            self.bufs.borrow_mut().taken();
                            s.queue.push_back((bid, res as u32));
                            cancel = more && !s.cancelling && s.queue.len() >= STREAM_BUFFERS;
                        }
                        None => s.error = Some(libc::EIO),
                    }
                } else if res == 0 {
                    s.eof = true;
                } else if res == -libc::ENOBUFS {
                    s.starved = true;
                } else if res != -libc::ECANCELED {
                    s.error = Some(-res);
                }
                if !more {
                    s.armed = false;
                    s.cancelling = false;
                }
                s.cancelling |= cancel;
                woken.extend(s.reader.take());
                if cancel {
                    drop(sources);
                    self.cancel(TAG_SOURCE | key.to_u64());
                }
            }
            Some(Source::Listener(l)) => {
                if res >= 0 {
                    // SAFETY: a successful accept completion's result is a new descriptor
                    // that nothing else owns.
                    l.accepted
                        .push_back(Ok(unsafe { OwnedFd::from_raw_fd(res) }));
                } else if res != -libc::ECANCELED {
                    l.accepted.push_back(Err(-res));
                }
                let cancel = more && !l.cancelling && l.accepted.len() >= ACCEPT_QUEUE;
                if !more {
                    l.armed = false;
                    l.cancelling = false;
                }
                l.cancelling |= cancel;
                woken.extend(l.waiter.take());
                if cancel {
                    drop(sources);
                    self.cancel(TAG_SOURCE | key.to_u64());
                }
            }
        }
    }
}

impl Drop for Uring {
    fn drop(&mut self) {
        // Cancel everything and wait (briefly) until the kernel is done with our memory.
        self.closing.set(true);
        let entry = opcode::AsyncCancel2::new(CancelBuilder::any())
            .build()
            .user_data(TAG_IGNORE);
        self.push(entry);
        let deadline = Instant::now() + Duration::from_secs(1);
        while self.inflight.get() > 0 && Instant::now() < deadline {
            self.turn(Some(Duration::from_millis(10)));
        }
        if self.inflight.get() > 0 {
            // Still in use by the kernel: leak it rather than free it under a write.
            tracing::warn!(
                inflight = self.inflight.get(),
                "io_uring operations outlived their ring"
            );
            mem::forget(mem::take(&mut *self.ops.borrow_mut()));
            let bufs = mem::replace(&mut *self.bufs.borrow_mut(), BufRing::empty());
            mem::forget(bufs);
            mem::forget(mem::replace(
                &mut self.notify_buf,
                Box::new(UnsafeCell::new(0)),
            ));
        }
    }
}

/// Whether a non-blocking turn can skip `io_uring_enter`: nothing queued to submit and no
/// task work the kernel is waiting to run for us.
fn ring_idle(ring: &IoUring) -> bool {
    // SAFETY: reading the submission queue's length and flags through a shared borrow of
    // the ring; nothing is pushed meanwhile (the ring is borrowed, single-threaded).
    let sq = unsafe { ring.submission_shared() };
    sq.is_empty() && !sq.taskrun() && !sq.cq_overflow()
}

/// An operation in flight, as a future: ready with what `poll` makes of its completion.
/// Dropped before that, it cancels the operation, whose memory the `Op` keeps until the
/// kernel is done with it.
pub(crate) struct InFlight<'a, T> {
    uring: &'a Uring,
    key: Key,
    poll: fn(&Uring, Key, &mut Context<'_>) -> Poll<T>,
    done: bool,
}

impl Uring {
    /// The operation `key` (just submitted) as a future; `poll` is the `poll_*op` that
    /// matches its kind.
    pub fn in_flight<T>(
        &self,
        key: Key,
        poll: fn(&Uring, Key, &mut Context<'_>) -> Poll<T>,
    ) -> InFlight<'_, T> {
        InFlight {
            uring: self,
            key,
            poll,
            done: false,
        }
    }
}

impl<T> std::future::Future for InFlight<'_, T> {
    type Output = T;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let res = (self.poll)(self.uring, self.key, cx);
        if res.is_ready() {
            self.done = true;
        }
        res
    }
}

impl<T> Drop for InFlight<'_, T> {
    fn drop(&mut self) {
        if !self.done {
            self.uring.drop_op(self.key);
        }
    }
}

/// A completion's result: a count, or the error it carries negated.
fn op_result(res: i32) -> io::Result<usize> {
    if res < 0 {
        Err(io::Error::from_raw_os_error(-res))
    } else {
        Ok(res as usize)
    }
}

/// `d` rounded up to whole milliseconds.
fn timespec(d: Duration) -> Timespec {
    let nsec = d.subsec_nanos().div_ceil(1_000_000) * 1_000_000;
    if nsec >= 1_000_000_000 {
        Timespec::new().sec(d.as_secs() + 1)
    } else {
        Timespec::new().sec(d.as_secs()).nsec(nsec)
    }
}

/// The batch wait the ring can apply: it needs the kernel's minimum wait (Linux 6.12) and
/// deferred task work, without which every completion wakes the waiting worker anyway
/// (measured on COOP_TASKRUN: erratic, 0.7–1.5 of the requests per CPU-second without it).
fn batch_wait_us(wanted: Duration, deferred: bool, ring: &IoUring) -> u32 {
    if wanted.is_zero() {
        return 0;
    }
    if !deferred || !ring.params().is_feature_min_timeout() {
        tracing::debug!(
            "io_uring batch wait needs DEFER_TASKRUN and Linux 6.12's minimum wait; not applied"
        );
        return 0;
    }
    u32::try_from(wanted.as_micros()).unwrap_or(u32::MAX).max(1)
}

fn set_waker(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(w) if w.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

/// Multishot receive with provided-buffer rings needs Linux 6.0.
fn check_kernel() -> io::Result<()> {
    let uname = rustix::system::uname();
    let release = uname.release().to_string_lossy();
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    if (major, minor) < (6, 0) {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!("Linux {release} lacks multishot receive (needs 6.0)"),
        ));
    }
    Ok(())
}

/// SINGLE_ISSUER + DEFER_TASKRUN if asked and the kernel takes it, else COOP_TASKRUN;
/// TASKRUN_FLAG with both, so a submit without waiting still collects deferred work. The
/// flag says whether the ring defers task work.
fn build_ring(defer_taskrun: bool) -> io::Result<(IoUring, bool)> {
    if defer_taskrun {
        let mut b = IoUring::builder();
        b.setup_single_issuer()
            .setup_defer_taskrun()
            .setup_taskrun_flag()
            .setup_submit_all();
        match b.build(ENTRIES) {
            Ok(ring) => return Ok((ring, true)),
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                tracing::debug!("io_uring without DEFER_TASKRUN; using COOP_TASKRUN");
            }
            Err(e) => return Err(e),
        }
    }
    let mut b = IoUring::builder();
    b.setup_coop_taskrun()
        .setup_taskrun_flag()
        .setup_submit_all();
    Ok((b.build(ENTRIES)?, false))
}

/// The provided-buffer ring: `count` buffers of `size` bytes and the ring of entries
/// through which they are handed to the kernel. The kernel takes entries from the head;
/// we give buffers back at the tail.
struct BufRing {
    entries: NonNull<BufRingEntry>,
    entries_layout: Layout,
    data: NonNull<u8>,
    data_layout: Layout,
    size: u32,
    mask: u16,
    tail: u16,
    /// Buffers handed to the kernel and not yet come back in a completion: none means a
    /// receive would fail with `ENOBUFS`.
    free: usize,
}

impl BufRing {
    fn new(count: u16, size: u32) -> io::Result<BufRing> {
        debug_assert!(count.is_power_of_two());
        let oom = || io::Error::from(io::ErrorKind::OutOfMemory);
        let entries_layout =
            Layout::from_size_align(count as usize * mem::size_of::<BufRingEntry>(), 4096)
                .map_err(|_| oom())?;
        // Not zeroed: only bytes the kernel wrote are ever read, and an untouched allocation
        // of this size (fresh pages from mmap) costs no resident memory until traffic uses
        // it. (Zeroing an over-aligned one writes every page: 4 MiB of RSS per worker.)
        let data_layout =
            Layout::from_size_align(count as usize * size as usize, 64).map_err(|_| oom())?;
        // SAFETY: both layouts have a non-zero size.
        let entries = NonNull::new(unsafe { alloc_zeroed(entries_layout) }.cast::<BufRingEntry>())
            .ok_or_else(oom)?;
        // SAFETY: as above.
        let Some(data) = NonNull::new(unsafe { alloc(data_layout) }) else {
            // SAFETY: allocated just above with this layout.
            unsafe { dealloc(entries.as_ptr().cast(), entries_layout) };
            return Err(oom());
        };
        let mut ring = BufRing {
            entries,
            entries_layout,
            data,
            data_layout,
            size,
            mask: count - 1,
            tail: 0,
            free: 0,
        };
        (0..count).for_each(|bid| ring.give_back(bid));
        Ok(ring)
    }

    /// A ring that owns nothing, left in place of one that had to be leaked.
    fn empty() -> BufRing {
        BufRing {
            entries: NonNull::dangling(),
            entries_layout: Layout::new::<()>(),
            data: NonNull::dangling(),
            data_layout: Layout::new::<()>(),
            size: 0,
            mask: 0,
            tail: 0,
            free: 0,
        }
    }

    /// The first `len` bytes of buffer `bid`, which the kernel filled and handed to us.
    fn data(&self, bid: u16, len: u32) -> &[u8] {
        let bid = bid & self.mask;
        let len = len.min(self.size) as usize;
        // SAFETY: `bid` is masked into range, so the slice lies inside the allocation; the
        // kernel wrote these bytes before posting the completion that gave us `bid`, and
        // does not touch the buffer again until `give_back` returns it to the ring.
        unsafe {
            std::slice::from_raw_parts(
                self.data.as_ptr().add(bid as usize * self.size as usize),
                len,
            )
        }
    }

    /// Counts a buffer the kernel filled and handed to us.
    fn taken(&mut self) {
        self.free = self.free.saturating_sub(1);
    }

    /// Hands buffer `bid` (back) to the kernel.
    fn give_back(&mut self, bid: u16) {
        if self.size == 0 {
            return;
        }
        let bid = bid & self.mask;
        // SAFETY: the slot index is masked into the ring; the kernel reads only entries
        // between its head and the published tail, and this slot is past the tail until
        // the store below publishes it.
        unsafe {
            let entry = &mut *self.entries.as_ptr().add((self.tail & self.mask) as usize);
            entry.set_addr(self.data.as_ptr().add(bid as usize * self.size as usize) as u64);
            entry.set_len(self.size);
            entry.set_bid(bid);
        }
        self.tail = self.tail.wrapping_add(1);
        self.free += 1;
        // SAFETY: the tail field lies inside the first entry (valid, 2-byte aligned), and
        // the kernel reads it concurrently, so it is written atomically with release order.
        unsafe {
            let tail = BufRingEntry::tail(self.entries.as_ptr()).cast_mut();
            AtomicU16::from_ptr(tail).store(self.tail, Ordering::Release);
        }
    }
}

impl Drop for BufRing {
    fn drop(&mut self) {
        if self.size == 0 {
            return;
        }
        // SAFETY: allocated in `new` with these layouts; the ring that used them is closed
        // and every operation finished (otherwise `Uring::drop` leaked this instead).
        unsafe {
            dealloc(self.entries.as_ptr().cast(), self.entries_layout);
            dealloc(self.data.as_ptr(), self.data_layout);
        }
    }
}
