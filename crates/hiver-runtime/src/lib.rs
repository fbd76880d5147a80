//! Thread-per-core runtime for Hiver, with its own io_uring and epoll drivers.
//!
//! [`Builder::listen`] starts N worker threads (one per core by default; pinned one per core
//! with [`Builder::pin_workers`] or `HIVER_PIN_WORKERS=1`). Every worker owns its [`Runtime`] (a single-threaded executor), its I/O driver, its own listener socket
//! (SO_REUSEPORT: the kernel spreads connections over the workers), its
//! [timer wheel](time) and its connection count. A connection is accepted, served and closed
//! on one worker; nothing on that path crosses cores, so handlers and their futures need
//! not be `Send`. This crate knows nothing about HTTP: it hands each accepted
//! [`Connection`] to your handler.
//!
//! **Connection counts.** Each worker publishes its number of open connections in a shared
//! atomic, written once per accept and once per close (never per request);
//! [`ServerHandle::open_connections`] and [`WorkerInfo::open_connections`] read it from any
//! thread, e.g. for a metrics endpoint.
//!
//! **Drivers.** io_uring is used where the kernel allows it (Linux 6.0: multishot accept and
//! multishot receive into a ring of provided buffers, vectored zero-copy sends, one
//! `io_uring_enter` per loop turn; workers' rings set up with COOP_TASKRUN + TASKRUN_FLAG,
//! or SINGLE_ISSUER + DEFER_TASKRUN with [`Builder::defer_taskrun`], falling back to
//! COOP_TASKRUN where the kernel refuses it; a [`Runtime::new`] of your own is set up like
//! a worker's by default);
//! otherwise epoll (each socket registered once, edge-triggered; one `epoll_wait` per loop
//! turn). [`Builder::driver`] or the environment
//! variable `HIVER_DRIVER=uring|io_uring|epoll` forces one. The driver in use is logged when
//! each worker starts and reported by [`ServerHandle::driver`] and [`WorkerInfo::driver`].
//!
//! **Shutdown.** [`ServerHandle::shutdown`] (or SIGINT/SIGTERM with
//! [`Builder::handle_signals`]) makes every worker stop accepting, trigger its
//! [`Shutdown`] (which connection loops watch), wait for its connections to close for at
//! most [`Builder::drain_timeout`], and exit. [`ServerHandle::wait`] blocks until then.
//!
//! Also public, for other crates, tests and benchmarks: [`Runtime`] and [`spawn`] (the
//! executor on its own), [`net`] (TCP sockets), [`fs`] (file reads), [`time`]
//! (sleep/timeout on the per-thread wheel), [`timer::Wheel`] (the wheel itself) and
//! [`channel`] (cross-core MPSC).
//!
//! # Examples
//!
//! An echo server on every core:
//!
//! ```no_run
//! use bytes::BytesMut;
//! use hiver_runtime::Builder;
//!
//! let server = Builder::new().handle_signals(true).listen("127.0.0.1:8080", |worker| {
//!     println!("worker {} runs on {}", worker.index(), worker.driver());
//!     |mut conn: hiver_runtime::Connection| async move {
//!         let mut buf = BytesMut::with_capacity(4096);
//!         while let Ok(n @ 1..) = conn.stream_mut().read(&mut buf).await {
//!             let data = buf.split_to(n).freeze();
//!             if conn.stream_mut().write_all(data).await.is_err() {
//!                 break;
//!             }
//!         }
//!     }
//! })?;
//! println!("listening on {} with {}", server.local_addr(), server.driver());
//! server.wait()?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Feature flags
//!
//! None: the crate always builds both drivers (io_uring and the epoll fallback).

mod affinity;
mod builder;
pub mod channel;
mod connection;
mod driver;
pub mod fs;
mod listener;
pub mod net;
mod rt;
mod server;
mod shutdown;
mod slab;
mod sys;
pub mod time;
pub mod timer;
mod worker;

pub use builder::{BATCH_WAIT_ENV, Builder, PIN_ENV};
pub use connection::Connection;
pub use driver::{DRIVER_ENV, Driver, ParseDriverError};
pub use rt::{JoinHandle, Runtime, spawn};
pub use server::ServerHandle;
pub use shutdown::Shutdown;
pub use worker::WorkerInfo;
