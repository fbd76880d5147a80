//! The HTTP/1.1 codec (RFC 9112): pure functions over bytes, no I/O.
//!
//! Public so that fuzz targets and property tests can drive it directly. The
//! connection loop uses exactly these functions.
//!
//! - [`parse_head`] / [`decode_head`]: request line and header section, under
//!   [`Limits`], strictly: everything a smuggling attack relies on (obs-fold,
//!   whitespace before the colon, bare LF, duplicate or conflicting framing
//!   headers, unknown codings) is a [`ParseError`] with its status code.
//! - [`ChunkedDecoder`]: the chunked transfer coding, fed in pieces.
//! - [`encode_response_head`], [`encode_chunk_size`]: the response side.
//! - [`http_date`]: the `Date` value, cached per thread and second.

mod chunked;
mod date;
mod encode;
mod error;
mod head;
mod limits;
mod line;
pub(crate) mod semantics;
mod target;

pub use chunked::ChunkedDecoder;
pub use date::{DATE_LEN, http_date};
pub use encode::{
    CONTINUE, LAST_CHUNK, ResponseFraming, ResponseHead, encode_chunk_size, encode_response_head,
};
pub use error::ParseError;
pub use head::{BodyFraming, RequestHead, decode_head, parse_head};
pub use limits::Limits;

#[cfg(test)]
mod tests;
