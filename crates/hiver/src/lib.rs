//! Hiver: a thread-per-core web framework on io_uring (with an epoll fallback).
//!
//! Routing, extractors, responses and middleware work like axum's; what differs is
//! underneath. Every core runs one worker with its own listener, I/O driver and copy of
//! the [`Router`], and a request never leaves the worker that accepted it. So handlers and
//! middleware must be `Clone + Send + Sync` (they are shared by the workers), but **the
//! futures they return need not be `Send`**: hold an `Rc`, a `RefCell` borrow or a
//! thread-local client across an `.await` (see [`handler`]).
//!
//! - [`routing`]: [`Router`], [`get`](routing::get)/[`post`](routing::post)/…, nesting,
//!   fallbacks, 405 with `Allow`, `HEAD` from `GET`.
//! - [`extract`]: `Path`, `Query`, `Json`, `Form`, `State`, headers, body, … with typed
//!   rejections.
//! - [`response`]: [`IntoResponse`](response::IntoResponse) for strings, bytes, JSON,
//!   HTML, redirects, status/header tuples and `Result`.
//! - [`middleware`]: [`from_fn`](middleware::from_fn) and the [`Layer`](middleware::Layer)
//!   trait, with a defined order; response compression (`Compression`, feature
//!   `compression`).
//! - [`metrics`]: a Prometheus registry, a layer recording requests by route pattern,
//!   method and status, and the handler that serves `/metrics`.
//! - [`trace`](mod@trace): a `tracing` span per request, request ids
//!   (`X-Request-Id`), one access-log line per request.
//! - `tls` (feature `tls`): HTTPS from PEM files, reloaded on `SIGHUP`.
//! - [`Server`] / [`serve`]: start the workers; [`test`](mod@test): in-process client and real test
//!   server.
//!
//! # Examples
//!
//! ```no_run
//! use hiver::routing::get;
//! use hiver::{Json, Router};
//! use serde::Serialize;
//!
//! #[derive(Serialize)]
//! struct Message {
//!     message: &'static str,
//! }
//!
//! async fn plaintext() -> &'static str {
//!     "Hello, World!"
//! }
//!
//! async fn json() -> Json<Message> {
//!     Json(Message { message: "Hello, World!" })
//! }
//!
//! fn main() -> Result<(), hiver::Error> {
//!     let app = Router::new()
//!         .route("/plaintext", get(plaintext))
//!         .route("/json", get(json));
//!     // One worker per core; Ctrl-C (SIGINT) or SIGTERM drains and returns.
//!     hiver::serve("0.0.0.0:3000", app)
//! }
//! ```
//!
//! # Feature flags
//!
//! | feature | default | what it enables |
//! |---|---|---|
//! | `tower` | yes | the `tower` module: tower layers (tower-http's, say) around routes; `Body` implements `http_body::Body` |
//! | `tls` | off | the `tls` module: HTTPS with rustls (ring provider), `Server::tls`, certificate reload (`SIGHUP`) |
//! | `compression` | yes | `middleware::Compression`: gzip, brotli and zstd response compression (pulls in `flate2`, `brotli` and `zstd`) |

pub mod encoding;
pub mod extract;
pub mod handler;
mod json;
pub mod metrics;
pub mod middleware;
pub mod response;
pub mod routing;
mod serve;
pub mod test;
#[cfg(feature = "tls")]
pub mod tls;
#[cfg(feature = "tower")]
pub mod tower;
pub mod trace;

mod error;

pub use bytes::Bytes;
pub use error::Error;
pub use hiver_http::{Body, ConnectionInfo, FileRegion, Http1Config, Request, Response};
pub use hiver_runtime::{BATCH_WAIT_ENV, Driver, ServerHandle};
pub use http;
pub use json::Json;
pub use routing::Router;
pub use serve::{Server, serve};
