//! TCP sockets on the runtime's driver.

use std::{
    fmt,
    future::poll_fn,
    io::{self, IoSlice},
    net::SocketAddr,
    os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd},
    rc::Rc,
};

use bytes::{Buf, Bytes, BytesMut};
use rustix::net::{SendFlags, SocketFlags, sockopt};

use crate::{
    rt::{self, Core},
    slab::Key,
    sys::{
        self, Driver,
        epoll::Interest,
        uring::{MAX_IOVECS, SendPayload, Uring},
    },
};

/// The most pieces one `sendmsg` takes on epoll; more go in the next call.
const EPOLL_IOVECS: usize = 128;

/// A listening socket, accepting on the current runtime.
pub struct TcpListener {
    fd: OwnedFd,
    core: Rc<Core>,
    key: Key,
    local_addr: SocketAddr,
}

impl TcpListener {
    /// Takes over a bound, listening std socket.
    ///
    /// # Errors
    ///
    /// When it cannot be made non-blocking or registered with the driver.
    ///
    /// # Panics
    ///
    /// Outside a Hiver runtime.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        let local_addr = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        let fd = OwnedFd::from(listener);
        let core = rt::current();
        let key = match &core.driver {
            Driver::Uring(u) => u.register_listener(fd.as_raw_fd()),
            Driver::Epoll(e) => e.register(fd.as_fd())?,
        };
        Ok(TcpListener {
            fd,
            core,
            key,
            local_addr,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local_addr)
    }

    /// Waits for the next connection.
    ///
    /// # Errors
    ///
    /// The accept error (too many open files, for instance); the listener stays usable.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let fd = match &self.core.driver {
            Driver::Uring(u) => poll_fn(|cx| u.poll_accept(self.key, cx)).await?,
            Driver::Epoll(e) => loop {
                poll_fn(|cx| e.poll_ready(self.key, Interest::Read, cx)).await;
                match rustix::net::accept_with(
                    &self.fd,
                    SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
                ) {
                    Ok(fd) => break fd,
                    Err(rustix::io::Errno::AGAIN) => e.clear(self.key, Interest::Read),
                    Err(rustix::io::Errno::INTR) => {}
                    Err(err) => return Err(err.into()),
                }
            },
        };
        let stream = TcpStream::new(fd, self.core.clone())?;
        let peer = stream.peer_addr;
        Ok((stream, peer))
    }
}

impl Drop for TcpListener {
    fn drop(&mut self) {
        self.core.driver_deregister(self.key);
    }
}

impl TcpListener {
    /// Connections accepted by io_uring's multishot accept and not taken yet (tests only;
    /// `None` on epoll, where they wait in the kernel).
    #[cfg(test)]
    pub(crate) fn accepted_waiting(&self) -> Option<usize> {
        match &self.core.driver {
            Driver::Uring(u) => Some(u.accepted_waiting(self.key)),
            Driver::Epoll(_) => None,
        }
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local_addr", &self.local_addr)
            .finish()
    }
}

/// A connected TCP socket on the current runtime.
///
/// Reads append to a [`BytesMut`]; writes take [`Bytes`] pieces and send them as they are
/// (vectored, no copy).
pub struct TcpStream {
    fd: OwnedFd,
    core: Rc<Core>,
    key: Key,
    peer_addr: SocketAddr,
    /// io_uring only: the send payload box, kept between sends so they do not allocate.
    spare: Option<Box<SendPayload>>,
}

impl TcpStream {
    fn new(fd: OwnedFd, core: Rc<Core>) -> io::Result<TcpStream> {
        let peer_addr = rustix::net::getpeername(&fd)?
            .and_then(|a| SocketAddr::try_from(a).ok())
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))?;
        let key = match &core.driver {
            Driver::Uring(u) => u.register_stream(fd.as_raw_fd()),
            Driver::Epoll(e) => e.register(fd.as_fd())?,
        };
        Ok(TcpStream {
            fd,
            core,
            key,
            peer_addr,
            spare: None,
        })
    }

    /// Connects to `addr` without blocking the worker: the socket is opened non-blocking
    /// with `TCP_NODELAY`, and the task waits for the connection to finish (or fail).
    ///
    /// # Errors
    ///
    /// The connection's error (`ConnectionRefused`, `TimedOut`, …) or the socket's.
    pub async fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        let core = rt::current();
        let domain = match addr {
            SocketAddr::V4(_) => rustix::net::AddressFamily::INET,
            SocketAddr::V6(_) => rustix::net::AddressFamily::INET6,
        };
        let fd = rustix::net::socket_with(
            domain,
            rustix::net::SocketType::STREAM,
            SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
            None,
        )?;
        sockopt::set_tcp_nodelay(&fd, true)?;
        match rustix::net::connect(&fd, &addr) {
            Ok(()) => {}
            Err(rustix::io::Errno::INPROGRESS | rustix::io::Errno::INTR) => {
                match &core.driver {
                    Driver::Uring(_) => poll_out(&core, fd.as_raw_fd()).await?,
                    Driver::Epoll(e) => {
                        // Registered for the edge that ends the connect, then forgotten:
                        // `new` registers the connected socket as every other.
                        let key = e.register(fd.as_fd())?;
                        e.clear(key, Interest::Write);
                        poll_fn(|cx| e.poll_ready(key, Interest::Write, cx)).await;
                        e.deregister(key);
                        rustix::event::epoll::delete(e.epfd(), &fd)?;
                    }
                }
                if let Some(err) = sockopt::socket_error(&fd)?.err() {
                    return Err(err.into());
                }
            }
            Err(e) => return Err(e.into()),
        }
        TcpStream::new(fd, core)
    }

    /// The remote address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer_addr
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// When the socket cannot be asked (it is closed, for instance).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        SocketAddr::try_from(rustix::net::getsockname(&self.fd)?)
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidData))
    }

    /// The driver the stream runs on.
    pub fn driver(&self) -> crate::Driver {
        self.core.driver.kind()
    }

    /// Sets `TCP_NODELAY`.
    ///
    /// # Errors
    ///
    /// The `setsockopt` error.
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        Ok(sockopt::set_tcp_nodelay(&self.fd, on)?)
    }

    /// Reads what is available into `buf` (appending; it grows if it has no spare room).
    /// Returns the number of bytes read, 0 at end of stream.
    ///
    /// Cancel-safe: dropping the future loses no data.
    ///
    /// # Errors
    ///
    /// The socket error (a reset, for instance).
    pub async fn read(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        match &self.core.driver {
            Driver::Uring(u) => poll_fn(|cx| u.poll_read(self.key, self.fd.as_fd(), buf, cx)).await,
            Driver::Epoll(e) => loop {
                poll_fn(|cx| e.poll_ready(self.key, Interest::Read, cx)).await;
                match sys::recv_spare(self.fd.as_fd(), buf) {
                    Ok((n, full)) => {
                        // A short read drained the socket: the next edge says when more
                        // arrives. (At end of stream there is no more to wait for.)
                        if n > 0 && !full {
                            e.clear(self.key, Interest::Read);
                        }
                        return Ok(n);
                    }
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                        e.clear(self.key, Interest::Read)
                    }
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(err),
                }
            },
        }
    }

    /// Writes some of `pieces` in one vectored send, without copying them. Returns how many
    /// bytes went out (the caller advances past them) and the pieces.
    ///
    /// # Errors
    ///
    /// The socket error (`BrokenPipe` once the peer is gone, never a `SIGPIPE`).
    pub async fn write_vectored(&mut self, pieces: Vec<Bytes>) -> (io::Result<usize>, Vec<Bytes>) {
        self.send_pieces(pieces, false).await
    }

    /// As [`write_vectored`](Self::write_vectored), with `MSG_MORE`: more data follows at
    /// once (a [`send_file`](Self::send_file) of the body after its head), so the kernel
    /// keeps a partial segment to fill with it rather than pushing the head out alone. The
    /// next send without the flag pushes what is held.
    ///
    /// # Errors
    ///
    /// As [`write_vectored`](Self::write_vectored).
    pub async fn write_vectored_more(
        &mut self,
        pieces: Vec<Bytes>,
    ) -> (io::Result<usize>, Vec<Bytes>) {
        self.send_pieces(pieces, true).await
    }

    async fn send_pieces(
        &mut self,
        pieces: Vec<Bytes>,
        more: bool,
    ) -> (io::Result<usize>, Vec<Bytes>) {
        match &self.core.driver {
            Driver::Uring(u) => {
                let mut payload = self.spare.take().unwrap_or_else(SendPayload::new);
                payload.pieces = pieces;
                let key = u.submit_send(self.fd.as_raw_fd(), payload, more);
                let (res, mut payload) = u.in_flight(key, Uring::poll_op).await;
                let pieces = std::mem::take(&mut payload.pieces);
                self.spare = Some(payload);
                (res, pieces)
            }
            Driver::Epoll(e) => loop {
                poll_fn(|cx| e.poll_ready(self.key, Interest::Write, cx)).await;
                match send_now(self.fd.as_fd(), &pieces, more) {
                    Ok((n, all)) => {
                        if !all {
                            e.clear(self.key, Interest::Write);
                        }
                        return (Ok(n), pieces);
                    }
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                        e.clear(self.key, Interest::Write)
                    }
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => return (Err(err), pieces),
                }
            },
        }
    }

    /// Sends some of the `len` bytes of `file` from `offset` with `sendfile(2)`: the kernel
    /// hands the file's pages to the socket, with no copy through user memory (a file in
    /// the page cache or a `memfd` goes out as it lies). Waits while the socket is full;
    /// returns how many bytes went out (the caller goes on from `offset` plus that).
    ///
    /// # Errors
    ///
    /// The socket error (`BrokenPipe` once the peer is gone); `UnexpectedEof` if the file
    /// ends at `offset` although `len` is not zero.
    pub async fn send_file(
        &mut self,
        file: BorrowedFd<'_>,
        offset: u64,
        len: u64,
    ) -> io::Result<usize> {
        let count = usize::try_from(len).unwrap_or(usize::MAX);
        loop {
            let mut from = offset;
            match rustix::fs::sendfile(&self.fd, file, Some(&mut from), count) {
                Ok(0) if count > 0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => return Ok(n),
                Err(rustix::io::Errno::AGAIN) => self.writable().await?,
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Waits until the socket takes more data (after an `EAGAIN`).
    async fn writable(&mut self) -> io::Result<()> {
        match &self.core.driver {
            Driver::Uring(_) => poll_out(&self.core, self.fd.as_raw_fd()).await,
            Driver::Epoll(e) => {
                e.clear(self.key, Interest::Write);
                poll_fn(|cx| e.poll_ready(self.key, Interest::Write, cx)).await;
                Ok(())
            }
        }
    }

    /// Writes all of `pieces`.
    ///
    /// # Errors
    ///
    /// The socket error; `WriteZero` if the socket took nothing.
    pub async fn write_all_vectored(&mut self, mut pieces: Vec<Bytes>) -> io::Result<Vec<Bytes>> {
        while pieces.iter().any(|p| !p.is_empty()) {
            let (res, back) = self.write_vectored(pieces).await;
            pieces = back;
            match res? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => advance(&mut pieces, n),
            }
        }
        pieces.clear();
        Ok(pieces)
    }

    /// Writes all of `data`.
    ///
    /// # Errors
    ///
    /// As [`write_all_vectored`](Self::write_all_vectored).
    pub async fn write_all(&mut self, data: impl Into<Bytes>) -> io::Result<()> {
        self.write_all_vectored(vec![data.into()]).await.map(drop)
    }

    /// Shuts the write side down (sends FIN); reading goes on.
    ///
    /// # Errors
    ///
    /// The `shutdown` error (`NotConnected` if the peer already reset).
    pub fn shutdown_write(&self) -> io::Result<()> {
        Ok(rustix::net::shutdown(
            &self.fd,
            rustix::net::Shutdown::Write,
        )?)
    }
}

/// Drops the first `n` bytes of `pieces` (whole pieces first, then the front of one).
pub fn advance(pieces: &mut Vec<Bytes>, mut n: usize) {
    let whole = pieces
        .iter()
        .take_while(|p| {
            if p.len() <= n {
                n -= p.len();
                true
            } else {
                false
            }
        })
        .count();
    pieces.drain(..whole);
    if n > 0
        && let Some(first) = pieces.first_mut()
    {
        first.advance(n);
    }
}

/// One non-blocking `sendmsg` of up to `EPOLL_IOVECS` pieces (a `send` of one); returns the bytes sent and
/// whether that was everything offered.
fn send_now(
    fd: std::os::fd::BorrowedFd<'_>,
    pieces: &[Bytes],
    more: bool,
) -> io::Result<(usize, bool)> {
    let flags = if more {
        SendFlags::NOSIGNAL | SendFlags::MORE
    } else {
        SendFlags::NOSIGNAL
    };
    // One piece (a batch of small responses copied together) is a plain `send`, which
    // spares the kernel the `msghdr` and the iovec table.
    if let [one] = pieces {
        let n = rustix::net::send(fd, one, flags)?;
        return Ok((n, n == one.len()));
    }
    // The iovec table lives on the stack and is initialised whole: sized to the pieces,
    // since clearing all `EPOLL_IOVECS` entries cost more than the rest of the send path.
    match pieces.len() {
        0..=8 => send_with::<8>(fd, pieces, flags),
        9..=32 => send_with::<32>(fd, pieces, flags),
        _ => send_with::<EPOLL_IOVECS>(fd, pieces, flags),
    }
}

fn send_with<const N: usize>(
    fd: std::os::fd::BorrowedFd<'_>,
    pieces: &[Bytes],
    flags: SendFlags,
) -> io::Result<(usize, bool)> {
    let mut slices = [IoSlice::new(&[]); N];
    let mut count = 0;
    let mut offered = 0;
    for (slot, piece) in slices
        .iter_mut()
        .zip(pieces.iter().filter(|p| !p.is_empty()))
    {
        *slot = IoSlice::new(piece);
        offered += piece.len();
        count += 1;
    }
    let n = rustix::net::sendmsg(
        fd,
        &slices[..count],
        &mut rustix::net::SendAncillaryBuffer::default(),
        flags,
    )?;
    Ok((n, n == offered))
}

impl Drop for TcpStream {
    fn drop(&mut self) {
        self.core.driver_deregister(self.key);
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("peer_addr", &self.peer_addr)
            .finish_non_exhaustive()
    }
}

/// Waits on io_uring until `fd` is writable (the end of a `connect`, room in a full
/// socket).
async fn poll_out(core: &Rc<Core>, fd: std::os::fd::RawFd) -> io::Result<()> {
    let Driver::Uring(u) = &core.driver else {
        unreachable!("poll_out is only called on io_uring");
    };
    let key = u.submit_poll_out(fd);
    u.in_flight(key, Uring::poll_bare_op).await.map(drop)
}

const _: () = assert!(EPOLL_IOVECS <= MAX_IOVECS);
