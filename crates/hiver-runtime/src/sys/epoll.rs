//! The epoll driver: every socket is registered once, edge-triggered, for reading and
//! writing; I/O is tried directly and waits for an edge only after the socket said
//! `EAGAIN` (or a read came back short, which on a TCP socket means it was drained). One
//! `epoll_wait` per loop turn; no `epoll_ctl` after registration (closing a socket removes
//! it). With a batch wait, a turn whose `epoll_wait` ended early sleeps out the rest of it
//! and collects what arrived meanwhile with one more `epoll_wait` that does not block.

use std::{
    cell::RefCell,
    io,
    os::fd::{AsFd, BorrowedFd, OwnedFd},
    task::{Context, Poll, Waker},
    time::{Duration, Instant},
};

use rustix::{
    buffer::spare_capacity,
    event::{Timespec, epoll},
};

use super::Notifier;
use crate::slab::{Key, Slab};

/// The user data of the notifier's eventfd.
const NOTIFY: u64 = u64::MAX;
/// Events taken per `epoll_wait`.
const EVENTS: usize = 1024;
/// With a batch wait, a wake-up that brings this many events is handled at once: the
/// batch is already large (the same figure as io_uring's `BATCH_WAKE`).
const BATCH_WAKE: usize = 64;

/// What a socket is known to be ready for, and who waits for the rest.
struct Readiness {
    readable: bool,
    writable: bool,
    /// The peer shut down its side (or the socket broke): reads never wait again, since
    /// no further edge comes once the data before the FIN has been read.
    read_closed: bool,
    reader: Option<Waker>,
    writer: Option<Waker>,
}

pub(crate) struct Epoll {
    epfd: OwnedFd,
    sources: RefCell<Slab<Readiness>>,
    events: RefCell<Vec<epoll::Event>>,
    /// The notifier's eventfd, drained when it fires.
    notify: OwnedFd,
    /// Wakers collected during a turn, woken after the borrows end; kept for its capacity.
    woken: RefCell<Vec<Waker>>,
    /// `DriverConfig::batch_wait`; zero is off.
    batch_wait: Duration,
}

/// Which direction an operation waits for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Interest {
    Read,
    Write,
}

impl Epoll {
    pub fn new(notifier: &Notifier, batch_wait: Duration) -> io::Result<Epoll> {
        let epfd = epoll::create(epoll::CreateFlags::CLOEXEC)?;
        let notify = notifier.fd().try_clone_to_owned()?;
        epoll::add(
            &epfd,
            &notify,
            epoll::EventData::new_u64(NOTIFY),
            epoll::EventFlags::IN | epoll::EventFlags::ET,
        )?;
        Ok(Epoll {
            epfd,
            sources: RefCell::new(Slab::default()),
            events: RefCell::new(Vec::with_capacity(EVENTS)),
            notify,
            woken: RefCell::new(Vec::new()),
            batch_wait,
        })
    }

    /// Registers a non-blocking socket for both directions, edge-triggered. It starts out
    /// ready both ways: the first read or write is simply tried.
    pub fn register(&self, fd: BorrowedFd<'_>) -> io::Result<Key> {
        let key = self.sources.borrow_mut().insert(Readiness {
            readable: true,
            writable: true,
            read_closed: false,
            reader: None,
            writer: None,
        });
        let flags = epoll::EventFlags::IN
            | epoll::EventFlags::OUT
            | epoll::EventFlags::RDHUP
            | epoll::EventFlags::ET;
        if let Err(e) = epoll::add(
            &self.epfd,
            fd,
            epoll::EventData::new_u64(key.to_u64()),
            flags,
        ) {
            self.sources.borrow_mut().remove(key);
            return Err(e.into());
        }
        Ok(key)
    }

    /// The epoll instance (to delete a socket that stays open after `deregister`).
    pub fn epfd(&self) -> BorrowedFd<'_> {
        self.epfd.as_fd()
    }

    /// Forgets a socket; the caller closes it right after, which takes it out of the epoll
    /// set without an `epoll_ctl`.
    pub fn deregister(&self, key: Key) {
        self.sources.borrow_mut().remove(key);
    }

    /// Ready if the socket may be ready for `interest`; otherwise keeps the waker for the
    /// next edge.
    pub fn poll_ready(&self, key: Key, interest: Interest, cx: &mut Context<'_>) -> Poll<()> {
        let mut sources = self.sources.borrow_mut();
        let Some(r) = sources.get_mut(key) else {
            return Poll::Ready(());
        };
        let (ready, waiter) = match interest {
            Interest::Read => (r.readable, &mut r.reader),
            Interest::Write => (r.writable, &mut r.writer),
        };
        if ready {
            return Poll::Ready(());
        }
        match waiter {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => *waiter = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Records that the socket has nothing more for `interest` until its next edge.
    pub fn clear(&self, key: Key, interest: Interest) {
        if let Some(r) = self.sources.borrow_mut().get_mut(key) {
            match interest {
                Interest::Read if r.read_closed => {}
                Interest::Read => r.readable = false,
                Interest::Write => r.writable = false,
            }
        }
    }

    /// One `epoll_wait`, appending to `events`; false when it failed or was interrupted.
    fn wait(&self, events: &mut Vec<epoll::Event>, timeout: Option<Duration>) -> bool {
        let ts = timeout.map(|d| Timespec {
            tv_sec: d.as_secs().try_into().unwrap_or(i64::MAX),
            // Round up so a timer is never woken before its tick.
            tv_nsec: i64::from(d.subsec_nanos().div_ceil(1_000_000) * 1_000_000).min(999_999_999),
        });
        match epoll::wait(&self.epfd, spare_capacity(events), ts.as_ref()) {
            Ok(_) => true,
            Err(rustix::io::Errno::INTR) => false,
            Err(e) => {
                tracing::error!(error = %e, "epoll_wait failed");
                false
            }
        }
    }

    /// Blocks until a socket is ready, the notifier fires or `timeout` passes, then wakes
    /// the tasks waiting on what became ready.
    ///
    /// With a batch wait, a wait that ends within the batch wait of its start, with fewer
    /// than `BATCH_WAKE` events, sleeps until the batch wait has passed and then takes what
    /// arrived meanwhile, so those events are handled in the same turn (the io_uring
    /// driver's minimum wait, at the price of one `nanosleep` and one more `epoll_wait`); a
    /// wait that lasted longer ends at its first event, as without. Not when `timeout` is
    /// no longer than the batch wait: a timer is due.
    pub fn turn(&self, timeout: Option<Duration>) {
        let batch = !self.batch_wait.is_zero() && timeout.is_none_or(|d| d > self.batch_wait);
        let started = batch.then(Instant::now);
        let mut events = self.events.borrow_mut();
        events.clear();
        if !self.wait(&mut events, timeout) {
            return;
        }
        if let Some(started) = started
            && events.len() < BATCH_WAKE
        {
            let rest = self.batch_wait.saturating_sub(started.elapsed());
            if !rest.is_zero() {
                std::thread::sleep(rest);
                self.wait(&mut events, Some(Duration::ZERO));
            }
        }
        let mut wake = std::mem::take(&mut *self.woken.borrow_mut());
        {
            let mut sources = self.sources.borrow_mut();
            for ev in events.iter() {
                let data = ev.data.u64();
                if data == NOTIFY {
                    let mut buf = [0u8; 8];
                    let _ = rustix::io::read(&self.notify, &mut buf);
                    continue;
                }
                let Some(r) = sources.get_mut(Key::from_u64(data)) else {
                    continue;
                };
                let flags = ev.flags;
                let broken = flags.intersects(epoll::EventFlags::HUP | epoll::EventFlags::ERR);
                if broken || flags.contains(epoll::EventFlags::RDHUP) {
                    r.read_closed = true;
                }
                if broken || flags.intersects(epoll::EventFlags::IN | epoll::EventFlags::RDHUP) {
                    r.readable = true;
                    wake.extend(r.reader.take());
                }
                if broken || flags.contains(epoll::EventFlags::OUT) {
                    r.writable = true;
                    wake.extend(r.writer.take());
                }
            }
        }
        drop(events);
        wake.drain(..).for_each(Waker::wake);
        *self.woken.borrow_mut() = wake;
    }
}
