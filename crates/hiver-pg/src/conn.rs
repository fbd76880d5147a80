//! The connection task: one per [`Client`](crate::Client), on the client's runtime. It
//! (re)connects, writes the requests the client encoded, splits the answers at each
//! `ReadyForQuery` and hands them, in order, to the requests waiting for them.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::BytesMut;
use hiver_runtime::net::TcpStream;
use hiver_runtime::time;

use crate::config::Config;
use crate::error::{Error, Kind};
use crate::startup;

/// At most this much is written before the task looks at the socket for answers again, so a
/// long pipeline never has both sides blocked writing to each other.
const WRITE_CHUNK: usize = 16 * 1024;
const READ_RESERVE: usize = 64 * 1024;
const MAX_BACKOFF: Duration = Duration::from_secs(1);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// Opening a connection: requests queue and go out once it is ready.
    Connecting,
    Ready,
    /// Waiting before the next attempt: requests fail at once.
    Down,
}

/// What the client handle and the connection task share (one thread; `Rc`).
pub(crate) struct Shared {
    pub(crate) config: Config,
    /// Set by the task; read by the client to fail fast while `Down`.
    pub(crate) state: Cell<State>,
    /// Bumped by the task each time a ready connection is lost; statements carry the
    /// generation they were prepared in.
    pub(crate) generation: Cell<u64>,
    /// Requests encoded by the client, not yet written by the task.
    pub(crate) out: RefCell<BytesMut>,
    /// One slot per request written or queued (each ends with a `Sync`), in order: the task
    /// fills the front one at each `ReadyForQuery`.
    pub(crate) pending: RefCell<VecDeque<Rc<Slot>>>,
    /// The task's waker while it waits for the socket or for requests; the client wakes it.
    pub(crate) task_waker: RefCell<Option<Waker>>,
    /// Prepared statements by SQL text, for `prepare_cached`; cleared with each new connection.
    pub(crate) statements: RefCell<std::collections::HashMap<String, crate::Statement>>,
    /// The next statement name's number (names are unique per client).
    pub(crate) next_statement: Cell<u64>,
}

impl Shared {
    pub(crate) fn new(config: Config) -> Shared {
        Shared {
            config,
            state: Cell::new(State::Connecting),
            generation: Cell::new(0),
            out: RefCell::new(BytesMut::with_capacity(16 * 1024)),
            pending: RefCell::new(VecDeque::new()),
            task_waker: RefCell::new(None),
            statements: RefCell::new(Default::default()),
            next_statement: Cell::new(0),
        }
    }

    /// Queues a slot for a request the caller just encoded into `out`, and wakes the task.
    pub(crate) fn push(&self) -> Response {
        let slot = Rc::new(Slot::default());
        self.pending.borrow_mut().push_back(slot.clone());
        if let Some(w) = self.task_waker.borrow_mut().take() {
            w.wake();
        }
        Response { slot }
    }

    fn fail_all(&self, err: &Error) {
        self.out.borrow_mut().clear();
        let pending = std::mem::take(&mut *self.pending.borrow_mut());
        for slot in pending {
            slot.fill(Err(err.clone()));
        }
    }
}

/// Where the answer to one request lands.
#[derive(Default)]
pub(crate) struct Slot {
    result: RefCell<Option<Result<BytesMut, Error>>>,
    waker: RefCell<Option<Waker>>,
}

impl Slot {
    fn fill(&self, result: Result<BytesMut, Error>) {
        *self.result.borrow_mut() = Some(result);
        if let Some(w) = self.waker.borrow_mut().take() {
            w.wake();
        }
    }
}

/// The answer to one request: its messages up to and including `ReadyForQuery`.
pub(crate) struct Response {
    slot: Rc<Slot>,
}

impl Future for Response {
    type Output = Result<BytesMut, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(result) = self.slot.result.borrow_mut().take() {
            return Poll::Ready(result);
        }
        let mut waker = self.slot.waker.borrow_mut();
        match &*waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => *waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

/// The task: connect, serve until the connection is lost, fail what was in flight, wait a
/// little (nothing the first time), connect again. Ends when the client drops its handle.
pub(crate) async fn drive(shared: Rc<Shared>) {
    let mut backoff = Duration::ZERO;
    loop {
        shared.state.set(State::Connecting);
        let opened =
            time::timeout(shared.config.connect_timeout, startup::open(&shared.config)).await;
        let err = match opened {
            Ok(Ok(opened)) => {
                backoff = Duration::ZERO;
                shared.state.set(State::Ready);
                let err = serve(&shared, opened.stream, opened.leftover).await;
                shared.generation.set(shared.generation.get() + 1);
                shared.statements.borrow_mut().clear();
                err
            }
            Ok(Err(e)) => e,
            Err(elapsed) => Error::new(Kind::Connect, "connecting timed out").with_source(elapsed),
        };
        shared.state.set(State::Down);
        shared.fail_all(&err);
        if !backoff.is_zero() {
            time::sleep(backoff).await;
        }
        backoff = (backoff * 2).clamp(Duration::from_millis(50), MAX_BACKOFF);
    }
}

enum Turn {
    Read(std::io::Result<usize>),
    Write,
    TimedOut,
}

/// The query timeout's timer: armed while answers are owed, from the last time the server
/// sent something.
struct Silence {
    limit: Duration,
    timer: time::Sleep,
    armed: bool,
}

impl Silence {
    fn poll(&mut self, owed: bool, cx: &mut Context<'_>) -> Poll<()> {
        if !owed {
            self.armed = false;
            return Poll::Pending;
        }
        if !self.armed {
            self.timer.reset(time::now() + self.limit);
            self.armed = true;
        }
        Pin::new(&mut self.timer).poll(cx)
    }
}

/// Runs one connection until it fails; returns why, as the error the requests in flight get.
async fn serve(shared: &Shared, mut stream: TcpStream, mut rbuf: BytesMut) -> Error {
    let mut scanned = 0;
    let mut silence = shared.config.query_timeout.map(|limit| Silence {
        limit,
        timer: time::sleep(limit),
        armed: false,
    });
    loop {
        if let Err(e) = dispatch(shared, &mut rbuf, &mut scanned) {
            return e;
        }
        if rbuf.capacity() - rbuf.len() < READ_RESERVE / 4 {
            rbuf.reserve(READ_RESERVE);
        }
        let turn = {
            // Answers first: a read that is ready wins, so the server is never left blocked
            // writing to us while we write to it.
            let mut read = pin!(stream.read(&mut rbuf));
            poll_fn(|cx| {
                if let Poll::Ready(r) = read.as_mut().poll(cx) {
                    return Poll::Ready(Turn::Read(r));
                }
                if !shared.out.borrow().is_empty() {
                    return Poll::Ready(Turn::Write);
                }
                let owed = !shared.pending.borrow().is_empty();
                let silent = silence.as_mut().map(|s| s.poll(owed, cx));
                if let Some(Poll::Ready(())) = silent {
                    return Poll::Ready(Turn::TimedOut);
                }
                *shared.task_waker.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            })
            .await
        };
        match turn {
            Turn::Read(Ok(0)) => return closed("the server closed the connection", None),
            Turn::Read(Err(e)) => return closed("the connection was lost", Some(e)),
            Turn::Read(Ok(_)) => {
                if let Some(s) = &mut silence {
                    s.armed = false;
                }
            }
            Turn::TimedOut => return timed_out(),
            Turn::Write => {
                let chunk = {
                    let mut out = shared.out.borrow_mut();
                    let n = out.len().min(WRITE_CHUNK);
                    out.split_to(n).freeze()
                };
                let written = match &silence {
                    Some(s) => match time::timeout(s.limit, stream.write_all(chunk)).await {
                        Ok(r) => r,
                        Err(_) => return timed_out(),
                    },
                    None => stream.write_all(chunk).await,
                };
                if let Err(e) = written {
                    return closed("the connection was lost", Some(e));
                }
            }
        }
    }
}

fn timed_out() -> Error {
    Error::new(
        Kind::Timeout,
        "the server sent nothing within the query timeout; the connection was dropped",
    )
}

fn closed(why: &str, source: Option<std::io::Error>) -> Error {
    let e = Error::new(Kind::Closed, why);
    match source {
        Some(s) => e.with_source(s),
        None => e,
    }
}

/// Splits complete answers off `rbuf` (each ends with a `ReadyForQuery`, `Z`) and hands them
/// to the pending requests in order. `scanned` is how far `rbuf` has been read as whole
/// messages that belong to the answer not yet complete.
fn dispatch(shared: &Shared, rbuf: &mut BytesMut, scanned: &mut usize) -> Result<(), Error> {
    while rbuf.len() - *scanned >= 5 {
        let at = *scanned;
        let tag = rbuf[at];
        let len = i32::from_be_bytes([rbuf[at + 1], rbuf[at + 2], rbuf[at + 3], rbuf[at + 4]]);
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l >= 4)
            .ok_or_else(|| {
                Error::new(
                    Kind::Protocol,
                    format!("message {:?} with a bad length {len}", tag as char),
                )
            })?;
        let end = at + 1 + len;
        if rbuf.len() < end {
            // Room for the rest of this message, however long.
            rbuf.reserve(end - rbuf.len());
            break;
        }
        *scanned = end;
        if tag == b'Z' {
            let answer = rbuf.split_to(end);
            *scanned = 0;
            let slot = shared.pending.borrow_mut().pop_front();
            match slot {
                Some(slot) => slot.fill(Ok(answer)),
                None => return Err(Error::new(Kind::Protocol, "an answer to no request")),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use bytes::BufMut;

    use super::*;

    fn message(buf: &mut BytesMut, tag: u8, body: &[u8]) {
        buf.put_u8(tag);
        buf.put_i32(4 + body.len() as i32);
        buf.put_slice(body);
    }

    fn answer(n: u8) -> BytesMut {
        let mut a = BytesMut::new();
        message(&mut a, b'2', b"");
        message(&mut a, b'D', &[0, 1, 0, 0, 0, 1, n]);
        message(&mut a, b'C', b"SELECT 1\0");
        message(&mut a, b'Z', b"I");
        a
    }

    fn take(response: &mut Response) -> Option<Result<BytesMut, Error>> {
        let mut cx = Context::from_waker(Waker::noop());
        match Pin::new(response).poll(&mut cx) {
            Poll::Ready(r) => Some(r),
            Poll::Pending => None,
        }
    }

    #[test]
    fn answers_split_anywhere_reach_their_requests_in_order() {
        let mut wire = BytesMut::new();
        // A notice between answers belongs to the next one; the caller skips it.
        message(&mut wire, b'N', b"SWARNING\0\0");
        let notice = wire.len();
        for n in 0..3 {
            wire.extend_from_slice(&answer(n));
        }
        for chunk in [1, 2, 3, 5, 7, 64] {
            let shared = Shared::new(Config::new());
            let mut responses: Vec<_> = (0..3).map(|_| shared.push()).collect();
            let (mut rbuf, mut scanned) = (BytesMut::new(), 0);
            for piece in wire.chunks(chunk) {
                rbuf.extend_from_slice(piece);
                dispatch(&shared, &mut rbuf, &mut scanned).unwrap();
            }
            assert!(rbuf.is_empty() && shared.pending.borrow().is_empty());
            for (n, r) in (0..3).zip(&mut responses) {
                let got = take(r).expect("answered").unwrap();
                let mut want = if n == 0 {
                    wire[..notice].into()
                } else {
                    BytesMut::new()
                };
                want.extend_from_slice(&answer(n));
                assert_eq!(got, want, "chunks of {chunk}, answer {n}");
            }
        }
    }

    #[test]
    fn an_incomplete_answer_waits_and_a_lost_connection_fails_it() {
        let shared = Shared::new(Config::new());
        let mut response = shared.push();
        let wire = answer(7);
        let (mut rbuf, mut scanned) = (BytesMut::from(&wire[..wire.len() - 1]), 0);
        dispatch(&shared, &mut rbuf, &mut scanned).unwrap();
        assert!(take(&mut response).is_none());
        shared.fail_all(&closed("gone", None));
        assert!(take(&mut response).unwrap().unwrap_err().is_closed());
    }

    #[test]
    fn protocol_violations_are_errors_not_panics() {
        let shared = Shared::new(Config::new());
        let (mut rbuf, mut scanned) = (answer(1), 0);
        let err = dispatch(&shared, &mut rbuf, &mut scanned).unwrap_err();
        assert!(err.is_protocol(), "an answer nobody asked for: {err:?}");
        let mut bad = BytesMut::new();
        bad.put_u8(b'D');
        bad.put_i32(2);
        let _pending = shared.push();
        let err = dispatch(&shared, &mut bad, &mut 0).unwrap_err();
        assert!(err.is_protocol(), "a length under 4: {err:?}");
    }
}
