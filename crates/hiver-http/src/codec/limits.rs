//! The bounds the head parser enforces.

/// Bounds on a request head. Anything above them is refused before it is
/// buffered further, so a client cannot make the server hold an unbounded head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest head, from the first byte of the request line to the end of
    /// the blank line that closes the header section. Default 16 KiB; above it
    /// the request gets 431.
    pub max_header_bytes: usize,
    /// The most header fields in one head. Default 100; above it the request
    /// gets 431.
    pub max_headers: usize,
    /// The longest request-target. Default 8 KiB; above it the request gets 414.
    pub max_uri_len: usize,
}

impl Limits {
    /// The default limits: 16 KiB of head, 100 fields, 8 KiB of request-target.
    pub const DEFAULT: Limits = Limits {
        max_header_bytes: 16 * 1024,
        max_headers: 100,
        max_uri_len: 8 * 1024,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
