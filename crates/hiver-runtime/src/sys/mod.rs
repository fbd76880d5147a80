//! The I/O drivers: io_uring (`uring`) and epoll (`epoll`), behind one `Driver` enum.
//!
//! This is the crate's only module with `unsafe` code, in `uring` (submission entries
//! that point into memory the kernel reads or writes, and the provided-buffer ring) and in
//! `recv_spare`, `pread_spare` and `range_cached` below; each block says why it is sound.
#![allow(unsafe_code)]

pub(crate) mod epoll;
mod pacer;
pub(crate) mod uring;

use std::{
    io,
    os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd},
    time::Duration,
};

use bytes::BytesMut;
use rustix::event::{EventfdFlags, eventfd};

use crate::{Driver as Kind, driver::DriverConfig};

/// An eventfd other threads write to wake a runtime blocked in its driver.
pub(crate) struct Notifier {
    fd: OwnedFd,
}

impl Notifier {
    pub fn new() -> io::Result<Notifier> {
        let fd = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        Ok(Notifier { fd })
    }

    pub fn notify(&self) {
        // EAGAIN (counter saturated) still leaves it readable: the wake is not lost.
        let _ = rustix::io::write(&self.fd, &1u64.to_ne_bytes());
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// One runtime's driver.
// One per runtime, matched on every I/O call: boxing the larger variant would add a pointer
// chase to each of them for no memory saved.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Driver {
    Uring(uring::Uring),
    Epoll(epoll::Epoll),
}

impl Driver {
    /// Sets up the configured driver; in auto mode io_uring, else epoll.
    pub fn new(cfg: &DriverConfig, notifier: &Notifier) -> io::Result<Driver> {
        match cfg.forced {
            Some(Kind::IoUring) => Ok(Driver::Uring(uring::Uring::new(cfg, notifier)?)),
            Some(Kind::Epoll) => Ok(Driver::Epoll(epoll::Epoll::new(notifier, cfg.batch_wait)?)),
            None => match uring::Uring::new(cfg, notifier) {
                Ok(u) => Ok(Driver::Uring(u)),
                Err(e) => {
                    tracing::debug!(error = %e, "io_uring unavailable; using epoll");
                    Ok(Driver::Epoll(epoll::Epoll::new(notifier, cfg.batch_wait)?))
                }
            },
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Driver::Uring(_) => Kind::IoUring,
            Driver::Epoll(_) => Kind::Epoll,
        }
    }

    /// io_uring's provided buffers not in use (tests only; `None` on epoll).
    #[cfg(test)]
    pub fn ring_free_buffers(&self) -> Option<usize> {
        match self {
            Driver::Uring(u) => Some(u.free_buffers()),
            Driver::Epoll(_) => None,
        }
    }

    /// Submits what is queued and collects what is ready, without blocking.
    pub fn poll_now(&self) {
        match self {
            Driver::Uring(u) => u.turn(Some(Duration::ZERO)),
            Driver::Epoll(e) => e.turn(Some(Duration::ZERO)),
        }
    }

    /// Submits what is queued and blocks until I/O is ready, a wake arrives through the
    /// notifier, or `timeout` passes (`None`: no timeout).
    pub fn wait(&self, timeout: Option<Duration>) {
        match self {
            Driver::Uring(u) => u.turn(timeout),
            Driver::Epoll(e) => e.turn(timeout),
        }
    }
}

/// Reads from a socket, without blocking even if it were in blocking mode, into `buf`'s
/// spare capacity (reserving some first if it
/// has none); returns the byte count (0 at end of stream) and whether the read filled all
/// the space it had (then more may be waiting).
pub(crate) fn recv_spare(fd: BorrowedFd<'_>, buf: &mut BytesMut) -> io::Result<(usize, bool)> {
    if buf.capacity() == buf.len() {
        buf.reserve(4096);
    }
    let spare = buf.spare_capacity_mut();
    let room = spare.len();
    let (filled, _) = rustix::net::recv(fd, spare, rustix::net::RecvFlags::DONTWAIT)?;
    let n = filled.0.len();
    // SAFETY: `recv` initialised the first `n` bytes of the spare capacity (the slice it
    // returned has length `n`), so the buffer's first `len + n` bytes are initialised.
    unsafe { buf.set_len(buf.len() + n) };
    Ok((n, n == room))
}

/// One `pread` of up to `len` bytes of `file` at `offset` into the spare room of `buf`
/// (reserved first); returns the bytes read (0 at the end of the file).
pub(crate) fn pread_spare(
    file: BorrowedFd<'_>,
    buf: &mut Vec<u8>,
    offset: u64,
    len: usize,
) -> io::Result<usize> {
    buf.reserve(len);
    let spare = &mut buf.spare_capacity_mut()[..len];
    let (filled, _) = rustix::io::pread(file, spare, offset)?;
    let n = filled.len();
    // SAFETY: `pread` initialised the first `n` bytes of the spare capacity (the slice it
    // returned has length `n`), so the buffer's old length plus `n` bytes are initialised.
    unsafe { buf.set_len(buf.len() + n) };
    Ok(n)
}

/// `cachestat(2)`'s system call number, the same on every architecture (Linux 6.5).
const SYS_CACHESTAT: libc::c_long = 451;

/// Whether every page of `len` bytes of `file` from `offset` is in the page cache, by
/// `cachestat(2)`: `None` where the kernel lacks it (before 6.5) or refuses it.
pub(crate) fn range_cached(file: BorrowedFd<'_>, offset: u64, len: u64) -> Option<bool> {
    #[repr(C)]
    struct Range {
        off: u64,
        len: u64,
    }
    #[repr(C)]
    #[derive(Default)]
    struct Stat {
        nr_cache: u64,
        nr_dirty: u64,
        nr_writeback: u64,
        nr_evicted: u64,
        nr_recently_evicted: u64,
    }
    if len == 0 {
        return Some(true);
    }
    let range = Range { off: offset, len };
    let mut stat = Stat::default();
    // SAFETY: `cachestat(fd, range, stat, flags)` reads the 16-byte `cachestat_range` at
    // `range` and writes the 40-byte `cachestat` at `stat`, both `#[repr(C)]` structs of
    // u64 fields laid out as the kernel's, alive for the call; flags must be 0. On a
    // kernel without it the call fails with ENOSYS and touches neither.
    let rc = unsafe {
        libc::syscall(
            SYS_CACHESTAT,
            file.as_raw_fd(),
            &raw const range,
            &raw mut stat,
            0u32,
        )
    };
    if rc != 0 {
        return None;
    }
    // Counted in 4 KiB pages: where the kernel's pages are larger, the count comes out
    // short and the answer is `false` (a read instead of `sendfile`), never a wrong `true`.
    let page = 4096u64;
    let first = offset / page;
    let last = (offset + len - 1) / page;
    Some(stat.nr_cache > last - first)
}
