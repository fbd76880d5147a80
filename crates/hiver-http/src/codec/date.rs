//! The `Date` header value, formatted at most once per second per thread.

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

/// The length of an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub const DATE_LEN: usize = 29;

thread_local! {
    /// (Unix second, its IMF-fixdate). Thread-local: each worker formats its
    /// own, nothing is shared across cores.
    static CACHE: Cell<(u64, [u8; DATE_LEN])> = const { Cell::new((u64::MAX, [0; DATE_LEN])) };
}

/// The current time as an HTTP date (RFC 9110 §5.6.7), from a per-thread
/// cache refreshed when the second changes.
pub fn http_date() -> [u8; DATE_LEN] {
    let now = SystemTime::now();
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    CACHE.with(|cache| {
        let (cached_secs, value) = cache.get();
        if cached_secs == secs {
            return value;
        }
        let value = format(now);
        cache.set((secs, value));
        value
    })
}

fn format(now: SystemTime) -> [u8; DATE_LEN] {
    let text = httpdate::fmt_http_date(now);
    let mut value = [b' '; DATE_LEN];
    // IMF-fixdate is always 29 ASCII bytes for years 1000..=9999.
    let n = text.len().min(DATE_LEN);
    value[..n].copy_from_slice(&text.as_bytes()[..n]);
    value
}
