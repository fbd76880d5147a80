//! HTTP/1.1 for Hiver: the codec (RFC 9112) and the per-connection loop.

mod body;
pub mod codec;
mod service;

pub use body::{Body, BodyInner, BodyStream, BoxError};
pub use http;
pub use service::{Request, Response, Service};
