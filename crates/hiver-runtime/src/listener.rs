//! Binding one SO_REUSEPORT listener per worker to the same address.

use std::{
    io,
    net::{SocketAddr, TcpListener, ToSocketAddrs},
};

use socket2::{Domain, Protocol, Socket, Type};

/// Pending-connection queue per listener; the kernel caps it at `net.core.somaxconn`.
const BACKLOG: i32 = 4096;

/// Binds `n` listeners to the same address. With port 0 the first one picks the port and
/// the others bind to it, so every worker shares one port.
pub(crate) fn bind_all<A: ToSocketAddrs>(addr: A, n: usize) -> io::Result<Vec<TcpListener>> {
    let mut last_err = None;
    for candidate in addr.to_socket_addrs()? {
        match bind_group(candidate, n) {
            Ok(ls) => return Ok(ls),
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "address resolved to no socket address",
        )
    }))
}

fn bind_group(addr: SocketAddr, n: usize) -> io::Result<Vec<TcpListener>> {
    let first = bind_one(addr)?;
    let actual = first.local_addr()?;
    let mut all = Vec::with_capacity(n);
    all.push(first);
    for _ in 1..n {
        all.push(bind_one(actual)?);
    }
    Ok(all)
}

/// The socket stays blocking here: the worker's [`net::TcpListener::from_std`](
/// crate::net::TcpListener::from_std) makes it non-blocking when it takes it over.
fn bind_one(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_zero_gives_every_listener_the_same_port() {
        let ls = bind_all("127.0.0.1:0", 3).unwrap();
        let port = ls[0].local_addr().unwrap().port();
        assert_ne!(port, 0);
        for l in &ls {
            assert_eq!(l.local_addr().unwrap().port(), port);
        }
    }

    #[test]
    fn unresolvable_or_taken_address_errors() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let err = bind_all(taken.local_addr().unwrap(), 2).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
    }
}
