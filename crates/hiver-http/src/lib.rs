//! HTTP/1.1 for Hiver: the codec (RFC 9112) and the per-connection loop.

mod body;
pub mod codec;
mod config;
mod proto;
mod serve;
mod service;

pub use body::{Body, BodyInner, BodyStream, BoxError};
pub use config::{Http1Config, Http1ConfigBuilder};
pub use http;
pub use serve::serve_connection;
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
