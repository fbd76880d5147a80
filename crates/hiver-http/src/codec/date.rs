//! The `Date` header value, formatted at most once per second per thread.
//!
//! The cache is keyed by the runtime's clock (monotonic), so a step of the wall clock
//! shows in the `Date` line at the next second boundary.

use std::cell::Cell;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hiver_runtime::time;

/// The length of an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub const DATE_LEN: usize = 29;

/// `Date: ` + the value + CRLF, the field as a response head carries it.
pub(super) const DATE_LINE_LEN: usize = DATE_LINE_PREFIX.len() + DATE_LEN + 2;
const DATE_LINE_PREFIX: &[u8] = b"Date: ";

/// A thread's `Date` line and the instant its second ends.
#[derive(Clone, Copy)]
struct Cached {
    until: Option<Instant>,
    line: [u8; DATE_LINE_LEN],
}

thread_local! {
    /// Thread-local: each worker formats its own, nothing is shared across cores.
    static CACHE: Cell<Cached> = const {
        Cell::new(Cached {
            until: None,
            line: [0; DATE_LINE_LEN],
        })
    };
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
///
/// Judged against the runtime's clock of the loop turn (`hiver_runtime::time::now`, read
/// once per turn): the wall clock is read, and the line formatted, only when a new second
/// has begun. A clock read per response was 1.8 % of a worker's time on pipelined
/// requests.
pub(super) fn date_line() -> [u8; DATE_LINE_LEN] {
    let now = time::now();
    CACHE.with(|cache| {
        let cached = cache.get();
        if cached.until.is_some_and(|until| now < until) {
            return cached.line;
        }
        let wall = SystemTime::now();
        let into_second = wall.duration_since(UNIX_EPOCH).map_or(Duration::ZERO, |d| {
            Duration::from_nanos(d.subsec_nanos().into())
        });
        let line = format_line(wall);
        cache.set(Cached {
            until: Some(Instant::now() + (Duration::from_secs(1) - into_second)),
            line,
        });
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Each `Date` lies between the wall-clock second before the call and the time after
    /// it, across more than one second boundary.
    #[test]
    fn date_follows_the_wall_clock_across_seconds() {
        let start = Instant::now();
        let mut seen = std::collections::BTreeSet::new();
        while start.elapsed() < Duration::from_millis(2100) {
            let before = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs();
            let date = http_date();
            let after = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs();
            let text = std::str::from_utf8(&date).unwrap();
            let at = httpdate::parse_http_date(text)
                .unwrap()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs();
            assert!(before <= at && at <= after, "{before} <= {at} <= {after}");
            seen.insert(at);
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(seen.len() >= 2, "{seen:?}");
    }
}
