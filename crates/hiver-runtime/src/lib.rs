//! Thread-per-core runtime for Hiver, on [compio](https://docs.rs/compio).
//!
//! [`Builder::listen`] starts N worker threads (one per core by default, each pinned to its
//! core). Every worker owns its compio runtime, its I/O driver, its own listener socket
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
//! **Drivers.** io_uring is used where the kernel allows it (rings set up with
//! COOP_TASKRUN + TASKRUN_FLAG, or SINGLE_ISSUER + DEFER_TASKRUN with
//! [`Builder::defer_taskrun`]); otherwise epoll. [`Builder::driver`] or the environment
//! variable `HIVER_DRIVER=uring|io_uring|epoll` forces one. The driver in use is logged when
//! each worker starts and reported by [`ServerHandle::driver`] and [`WorkerInfo::driver`].
//!
//! **Shutdown.** [`ServerHandle::shutdown`] (or SIGINT/SIGTERM with
//! [`Builder::handle_signals`]) makes every worker stop accepting, trigger its
//! [`Shutdown`] (which connection loops watch), wait for its connections to close for at
//! most [`Builder::drain_timeout`], and exit. [`ServerHandle::wait`] blocks until then.
//!
//! Also public, for other crates and benchmarks: [`time`] (sleep/timeout on the per-thread
//! wheel), [`timer::Wheel`] (the wheel itself) and [`channel`] (cross-core MPSC).
//!
//! # Examples
//!
//! An echo server on every core:
//!
//! ```no_run
//! use compio::io::{AsyncRead, AsyncWriteExt};
//! use hiver_runtime::Builder;
//!
//! let server = Builder::new().handle_signals(true).listen("127.0.0.1:8080", |worker| {
//!     println!("worker {} runs on {}", worker.index(), worker.driver());
//!     |mut conn: hiver_runtime::Connection| async move {
//!         let mut buf = Vec::with_capacity(4096);
//!         loop {
//!             let res = conn.stream_mut().read(buf).await;
//!             buf = res.1;
//!             match res.0 {
//!                 Ok(0) | Err(_) => break,
//!                 Ok(_) => {
//!                     let res = conn.stream_mut().write_all(buf).await;
//!                     buf = res.1;
//!                     if res.0.is_err() {
//!                         break;
//!                     }
//!                     buf.clear();
//!                 }
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
mod listener;
mod server;
mod shutdown;
pub mod time;
pub mod timer;
mod worker;

pub use builder::Builder;
pub use connection::Connection;
pub use driver::{DRIVER_ENV, Driver, ParseDriverError};
pub use server::ServerHandle;
pub use shutdown::Shutdown;
pub use worker::WorkerInfo;
