//! HTTP/1.1 for Hiver: the codec (RFC 9112) and the per-connection loop.
//!
//! This crate turns accepted [`hiver_runtime::Connection`]s into calls of a
//! [`Service`]. It knows nothing of routing or rendering: the `hiver` crate
//! builds its router on top of [`Service`]. It is:
//!
//! - [`codec`]: pure, I/O-free parsing and encoding. Request heads are parsed
//!   with httparse under [`codec::Limits`], then checked strictly (obs-fold,
//!   bare LF, duplicate or conflicting framing headers, unknown codings are
//!   refused with the status they deserve); chunked bodies are decoded
//!   incrementally; response heads are written into one buffer with a
//!   cached `Date`.
//! - [`serve_connection`]: the connection loop. Keep-alive, pipelining (every
//!   buffered request is answered, the responses leave in one vectored
//!   write), `Content-Length` and chunked request bodies, `Expect:
//!   100-continue`, streamed responses, timeouts and graceful shutdown.
//! - [`Body`], [`Request`], [`Response`], [`Service`]: the types a handler sees.
//!   A full response body reaches the socket without being copied.
//!
//! # Examples
//!
//! ```no_run
//! use std::rc::Rc;
//!
//! use hiver_http::{Body, Http1Config, Request, Response, Service};
//!
//! struct Hello;
//!
//! impl Service for Hello {
//!     async fn call(&self, _req: Request) -> Response {
//!         Response::new(Body::from("hello\n"))
//!     }
//! }
//!
//! fn main() -> std::io::Result<()> {
//!     let server = hiver_runtime::Builder::new().listen("127.0.0.1:8080", |_worker| {
//!         // Built once per worker thread; shared by that worker's connections.
//!         let service = Rc::new(Hello);
//!         let config = Rc::new(Http1Config::default());
//!         move |conn| hiver_http::serve_connection(conn, service.clone(), config.clone())
//!     })?;
//!     server.wait()
//! }
//! ```
//!
//! # Defaults
//!
//! Every limit and timeout is set through [`Http1Config::builder`]:
//!
//! | setting | default | when exceeded |
//! |---|---|---|
//! | `max_header_bytes` | 16 KiB | 431, close |
//! | `max_headers` | 100 | 431, close |
//! | `max_uri_len` | 8 KiB | 414, close |
//! | `max_body_bytes` | 2 MiB | 413, close |
//! | `header_read_timeout` | 10 s | 408 and close (silent close if no byte came); also bounds each read of a request body |
//! | `keep_alive_timeout` | 60 s | idle connection closed silently; also bounds each write that makes no progress |
//! | `request_timeout` | 60 s | 503 and close |
//! | `server` | `hiver` | the `Server` header value |
//!
//! # Feature flags
//!
//! - `tls` (off by default): `serve_tls_connection`, HTTPS on the same
//!   loop with rustls (ring provider); `rustls` is re-exported for its
//!   configuration.

mod body;
pub mod codec;
mod config;
#[cfg(feature = "http-body")]
mod http_body_impl;
pub mod pool;
mod proto;
mod serve;
mod service;

pub use body::{Body, BodyInner, BodyStream, BoxError, FileRegion};
pub use config::{Http1Config, Http1ConfigBuilder};
pub use http;
/// The TLS library of [`serve_tls_connection`], for its configuration.
#[cfg(feature = "tls")]
pub use rustls;
pub use serve::serve_connection;
#[cfg(feature = "tls")]
pub use serve::serve_tls_connection;
pub use service::{Request, Response, Service};

/// The two ends of the TCP connection a request arrived on; the connection
/// loop inserts one into every request's extensions.
///
/// ```
/// # fn handler(req: hiver_http::Request) {
/// if let Some(info) = req.extensions().get::<hiver_http::ConnectionInfo>() {
///     println!("request from {}", info.peer_addr);
/// }
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The client's address.
    pub peer_addr: std::net::SocketAddr,
    /// The local address the client connected to.
    pub local_addr: std::net::SocketAddr,
}
