//! The `Date` header value, formatted at most once per second per thread.

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

/// The length of an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub const DATE_LEN: usize = 29;

/// `Date: ` + the value + CRLF, the field as a response head carries it.
pub(super) const DATE_LINE_LEN: usize = DATE_LINE_PREFIX.len() + DATE_LEN + 2;
const DATE_LINE_PREFIX: &[u8] = b"Date: ";

thread_local! {
    /// (Unix second, its `Date` field line). Thread-local: each worker formats
    /// its own, nothing is shared across cores.
    static CACHE: Cell<(u64, [u8; DATE_LINE_LEN])> =
        const { Cell::new((u64::MAX, [0; DATE_LINE_LEN])) };
}

/// The current time as an HTTP date (RFC 9110 §5.6.7), from a per-thread
/// cache refreshed when the second changes.
pub fn http_date() -> [u8; DATE_LEN] {
    let line = date_line();
    let mut value = [0; DATE_LEN];
    value.copy_from_slice(&line[DATE_LINE_PREFIX.len()..DATE_LINE_PREFIX.len() + DATE_LEN]);
    value
}

/// The whole `Date: …\r\n` line, so a response head copies it in one piece.
pub(super) fn date_line() -> [u8; DATE_LINE_LEN] {
    let now = SystemTime::now();
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    CACHE.with(|cache| {
        let (cached_secs, line) = cache.get();
        if cached_secs == secs {
            return line;
        }
        let line = format_line(now);
        cache.set((secs, line));
        line
    })
}

fn format_line(now: SystemTime) -> [u8; DATE_LINE_LEN] {
    let mut line = [0; DATE_LINE_LEN];
    let (prefix, rest) = line.split_at_mut(DATE_LINE_PREFIX.len());
    prefix.copy_from_slice(DATE_LINE_PREFIX);
    let (value, crlf) = rest.split_at_mut(DATE_LEN);
    value.copy_from_slice(&format(now));
    crlf.copy_from_slice(b"\r\n");
    line
}

fn format(now: SystemTime) -> [u8; DATE_LEN] {
    let text = httpdate::fmt_http_date(now);
    let mut value = [b' '; DATE_LEN];
    // IMF-fixdate is always 29 ASCII bytes for years 1000..=9999.
    let n = text.len().min(DATE_LEN);
    value[..n].copy_from_slice(&text.as_bytes()[..n]);
    value
}
