//! The configurations the tests need, built in one place.

use std::time::Duration;

use hiver_http::Http1Config;

/// Small limits, so each can be crossed with a short request.
pub const MAX_HEADER_BYTES: usize = 1024;
/// At most this many header fields.
pub const MAX_HEADERS: usize = 8;
/// At most this long a request-target.
pub const MAX_URI_LEN: usize = 128;
/// At most this many body bytes.
pub const MAX_BODY_BYTES: usize = 64;

/// A config with every limit small.
pub fn small_limits() -> Http1Config {
    Http1Config::builder()
        .max_header_bytes(MAX_HEADER_BYTES)
        .max_headers(MAX_HEADERS)
        .max_uri_len(MAX_URI_LEN)
        .max_body_bytes(MAX_BODY_BYTES as u64)
        .build()
}

/// A config with short deadlines: reading a head, idling between requests, and
/// answering a request.
pub fn timeouts(header_read: Duration, keep_alive: Duration, request: Duration) -> Http1Config {
    Http1Config::builder()
        .header_read_timeout(header_read)
        .keep_alive_timeout(keep_alive)
        .request_timeout(request)
        .build()
}
