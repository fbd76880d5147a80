//! Request ids: taken from `X-Request-Id` when sane, generated otherwise.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;

use http::header::{HeaderName, HeaderValue};
use http::request::Parts;
use http::{HeaderMap, StatusCode};

use crate::Response;
use crate::extract::FromRequestParts;
use crate::response::IntoResponse;

/// The header a request id is read from and echoed in.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest incoming id kept, in bytes; longer ones are replaced.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// The id of the request being handled, set by [`TraceLayer`](super::TraceLayer): the
/// incoming `X-Request-Id` if it is 1–128 bytes of visible ASCII (`!` to `~`), otherwise a
/// generated one (32 lowercase hex digits). It is echoed in the response's
/// `X-Request-Id` and recorded on the request's span.
///
/// As an extractor it rejects with a `500` when the layer is missing.
///
/// # Examples
///
/// ```
/// use hiver::trace::RequestId;
///
/// async fn handler(id: RequestId) -> String {
///     format!("your request is {id}")
/// }
/// # let _ = handler;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(HeaderValue);

impl RequestId {
    /// The id from `headers` if it is sane, else a new one.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        match headers.get(X_REQUEST_ID) {
            Some(value) if is_sane(value.as_bytes()) => RequestId(value.clone()),
            _ => RequestId::generate(),
        }
    }

    /// A new id: 16 hex digits of a random per-thread prefix, then 16 of a per-thread
    /// sequence that never repeats, so ids are unique within the process.
    pub fn generate() -> Self {
        let mut text = [0u8; 32];
        let (prefix, sequence) = next_id();
        hex(prefix, &mut text[..16]);
        hex(sequence, &mut text[16..]);
        // Hex digits are always a valid header value.
        let value = HeaderValue::from_bytes(&text).unwrap_or_else(|_| unreachable!());
        RequestId(value)
    }

    /// The id as text (always visible ASCII).
    pub fn as_str(&self) -> &str {
        // Both constructors only admit visible ASCII, which is UTF-8.
        std::str::from_utf8(self.0.as_bytes()).unwrap_or_default()
    }

    /// The id as a header value, as echoed in the response.
    pub fn header_value(&self) -> &HeaderValue {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// 1–128 bytes, each visible ASCII: no spaces, no control characters that could forge
/// log lines, nothing that would need escaping in a log or a label.
fn is_sane(bytes: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&bytes.len()) && bytes.iter().all(|b| b.is_ascii_graphic())
}

thread_local! {
    /// This thread's random prefix and its SplitMix64 state. Per thread, so generating
    /// an id touches no memory shared with other workers.
    static GENERATOR: (u64, Cell<u64>) = {
        let random = RandomState::new();
        (random.hash_one(0u8), Cell::new(random.hash_one(1u8)))
    };
}

/// The thread's prefix and the next SplitMix64 output. The state advances by an odd
/// constant (period 2^64) and the finaliser is a bijection, so a thread never repeats an
/// id, and the sequence does not reveal how many requests the worker served.
fn next_id() -> (u64, u64) {
    GENERATOR.with(|(prefix, state)| {
        let s = state.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        state.set(s);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (*prefix, z ^ (z >> 31))
    })
}

fn hex(mut n: u64, out: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(n & 0xf) as usize];
        n >>= 4;
    }
}

impl<S> FromRequestParts<S> for RequestId {
    type Rejection = RequestIdRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<RequestId>()
            .cloned()
            .ok_or(RequestIdRejection)
    }
}

/// The [`RequestId`] extractor found no id: the router has no
/// [`TraceLayer`](super::TraceLayer) (or it was added with `route_layer` after this route).
/// Becomes a `500` with that reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestIdRejection;

impl RequestIdRejection {
    /// The status of the response this becomes: `500 Internal Server Error`.
    pub fn status(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    /// Always true: the only reason is a missing layer.
    pub fn is_missing(&self) -> bool {
        true
    }
}

impl fmt::Display for RequestIdRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("No request id: add `hiver::trace::TraceLayer` to the router with `layer`")
    }
}

impl std::error::Error for RequestIdRejection {}

impl IntoResponse for RequestIdRejection {
    fn into_response(self) -> Response {
        (self.status(), self.to_string()).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_ids_are_short_visible_ascii() {
        assert!(is_sane(b"abc-123_XYZ.~!"));
        assert!(is_sane(&[b'a'; MAX_REQUEST_ID_LEN]));
        assert!(!is_sane(&[b'a'; MAX_REQUEST_ID_LEN + 1]));
        assert!(!is_sane(b""));
        assert!(!is_sane(b"a b"));
        assert!(!is_sane(b"a\tb"));
        assert!(!is_sane(b"a\x7fb"));
        assert!(!is_sane("é".as_bytes()));
    }

    #[test]
    fn generated_ids_are_32_hex_digits_and_distinct() {
        let ids: std::collections::HashSet<String> = (0..10_000)
            .map(|_| RequestId::generate().to_string())
            .collect();
        assert_eq!(ids.len(), 10_000);
        assert!(ids.iter().all(|id| {
            id.len() == 32
                && id
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        }));
    }

    #[test]
    fn threads_get_different_prefixes() {
        let here = RequestId::generate().to_string();
        let there = std::thread::spawn(|| RequestId::generate().to_string())
            .join()
            .unwrap(); // the thread does not panic
        assert_ne!(here[..16], there[..16]);
    }
}
