//! `Range: bytes=…` (RFC 9110 §14.2): one range is answered with 206, anything else
//! with the whole file.

/// What a `Range` field asks of a representation of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ranged {
    /// No usable range (several ranges, another unit, a malformed field): send it all.
    Full,
    /// `len` bytes from `start`.
    Part { start: u64, len: u64 },
    /// Nothing of the file is in the range: 416.
    Unsatisfiable,
}

/// Reads a `Range` field value against a file of `len` bytes. Several ranges are
/// answered with the whole file (allowed by RFC 9110 §14.2), as are malformed fields.
pub(crate) fn parse(value: &str, len: u64) -> Ranged {
    let Some((unit, spec)) = value.split_once('=') else {
        return Ranged::Full;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return Ranged::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ranged::Full;
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        return match number(last) {
            Some(0) => Ranged::Unsatisfiable,
            Some(_) if len == 0 => Ranged::Unsatisfiable,
            Some(n) => {
                let n = n.min(len);
                Ranged::Part {
                    start: len - n,
                    len: n,
                }
            }
            None => Ranged::Full,
        };
    }
    let Some(start) = number(first) else {
        return Ranged::Full;
    };
    let end = if last.is_empty() {
        None
    } else {
        match number(last) {
            Some(end) if end >= start => Some(end),
            _ => return Ranged::Full,
        }
    };
    if start >= len {
        return Ranged::Unsatisfiable;
    }
    let end = end.map_or(len - 1, |e| e.min(len - 1));
    Ranged::Part {
        start,
        len: end - start + 1,
    }
}

fn number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::Ranged::{Full, Part, Unsatisfiable};
    use super::*;

    #[test]
    fn single_ranges() {
        assert_eq!(parse("bytes=0-9", 100), Part { start: 0, len: 10 });
        assert_eq!(parse("bytes=90-", 100), Part { start: 90, len: 10 });
        assert_eq!(parse("bytes=90-500", 100), Part { start: 90, len: 10 });
        assert_eq!(parse("bytes=-10", 100), Part { start: 90, len: 10 });
        assert_eq!(parse("bytes=-500", 100), Part { start: 0, len: 100 });
        assert_eq!(parse("Bytes = 5-5", 100), Part { start: 5, len: 1 });
    }

    #[test]
    fn unsatisfiable_and_ignored() {
        assert_eq!(parse("bytes=100-", 100), Unsatisfiable);
        assert_eq!(parse("bytes=-0", 100), Unsatisfiable);
        assert_eq!(parse("bytes=0-", 0), Unsatisfiable);
        assert_eq!(parse("bytes=0-1,5-6", 100), Full);
        assert_eq!(parse("items=0-1", 100), Full);
        assert_eq!(parse("bytes=9-1", 100), Full);
        assert_eq!(parse("bytes=a-b", 100), Full);
        assert_eq!(parse("bytes=+1-2", 100), Full);
        assert_eq!(parse("bytes", 100), Full);
    }
}
