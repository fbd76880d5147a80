//! Helpers shared by the black-box tests: real sockets on 127.0.0.1, bounded in time.

#![allow(dead_code)]

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    sync::mpsc,
    thread,
    time::Duration,
};

use bytes::BytesMut;
use hiver_runtime::{Builder, Connection, Driver, ServerHandle};

/// Generates one `#[test]` per driver from a `fn(Driver)`.
#[macro_export]
macro_rules! both_drivers {
    ($($case:ident => $uring:ident, $epoll:ident;)*) => {$(
        #[test]
        fn $uring() {
            $case(hiver_runtime::Driver::IoUring)
        }
        #[test]
        fn $epoll() {
            $case(hiver_runtime::Driver::Epoll)
        }
    )*};
}

/// A builder for tests: forced driver, unpinned (tests share two cores), no signals.
pub fn builder(driver: Driver) -> Builder {
    Builder::new().driver(driver).pin_workers(false)
}

/// Echoes bytes until the peer closes.
pub async fn echo(mut conn: Connection) {
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        match conn.stream_mut().read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let data = buf.split().freeze();
                if conn.stream_mut().write_all(data).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Writes `bytes` to the connection, ignoring a peer that went away.
pub async fn write(conn: &mut Connection, bytes: &'static [u8]) {
    let _ = conn.stream_mut().write_all(bytes).await;
}

pub fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

pub fn roundtrip(addr: SocketAddr, msg: &[u8]) -> Vec<u8> {
    let mut s = connect(addr);
    s.write_all(msg).unwrap();
    let mut got = vec![0; msg.len()];
    s.read_exact(&mut got).unwrap();
    got
}

/// Reads until EOF (or error), bounded by the socket's read timeout.
pub fn read_to_end(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// `handle.wait()`, failing the test instead of hanging past `limit`.
pub fn wait_within(handle: &ServerHandle, limit: Duration) -> std::io::Result<()> {
    let (tx, rx) = mpsc::channel();
    let h = handle.clone();
    thread::spawn(move || tx.send(h.wait()));
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("server did not stop within {limit:?}"))
}

/// Stops the server and checks it exits cleanly.
pub fn stop(handle: &ServerHandle) {
    handle.shutdown();
    wait_within(handle, Duration::from_secs(10)).expect("clean exit");
}
