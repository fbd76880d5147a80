//! The epoll driver: every socket is registered once, edge-triggered, for reading and
//! writing; I/O is tried directly and waits for an edge only after the socket said
//! `EAGAIN` (or a read came back short, which on a TCP socket means it was drained). One
//! `epoll_wait` per loop turn; no `epoll_ctl` after registration (closing a socket removes
//! it).

use std::{
    cell::RefCell,
    io,
    os::fd::{AsFd, BorrowedFd, OwnedFd},
    task::{Context, Poll, Waker},
    time::Duration,
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
}

/// Which direction an operation waits for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Interest {
    Read,
    Write,
}

impl Epoll {
    pub fn new(notifier: &Notifier) -> io::Result<Epoll> {
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

    pub fn turn(&self, timeout: Option<Duration>) {
        let ts = timeout.map(|d| Timespec {
            tv_sec: d.as_secs().try_into().unwrap_or(i64::MAX),
            // Round up so a timer is never woken before its tick.
            tv_nsec: i64::from(d.subsec_nanos().div_ceil(1_000_000) * 1_000_000).min(999_999_999),
        });
        let mut events = self.events.borrow_mut();
        events.clear();
        match epoll::wait(&self.epfd, spare_capacity(&mut events), ts.as_ref()) {
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => return,
            Err(e) => {
                tracing::error!(error = %e, "epoll_wait failed");
                return;
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
