//! Byte-level checks on the request line and line endings, and the mapping
//! of httparse's errors to the status they deserve.

use super::{Limits, ParseError};

/// RFC 9110 §5.6.2 `tchar`.
pub(super) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// An incomplete head is refused as soon as it can no longer fit the limits,
/// so a slow or hostile client cannot make the buffer grow without bound.
pub(super) fn check_partial(buf: &[u8], limits: &Limits) -> Result<(), ParseError> {
    if target_len(buf) > limits.max_uri_len {
        return Err(ParseError::UriTooLong);
    }
    if buf.len() > limits.max_header_bytes {
        return Err(ParseError::HeadTooLarge);
    }
    Ok(())
}

/// httparse accepts a bare LF as a line terminator (RFC 9112 §2.2 allows it);
/// we do not, so that no intermediary can disagree with us on where a line ends.
pub(super) fn check_line_endings(head: &[u8]) -> Result<(), ParseError> {
    // Branch-free over (previous, current) byte pairs so that it compiles to
    // SIMD: a byte-by-byte loop with an early exit cost ~9 instructions a byte.
    let bare_lf = head.first() == Some(&b'\n')
        || head
            .get(1..)
            .unwrap_or_default()
            .iter()
            .zip(head)
            .fold(false, |bad, (&b, &prev)| {
                bad | ((b == b'\n') & (prev != b'\r'))
            });
    if bare_lf {
        Err(ParseError::InvalidLineEnding)
    } else {
        Ok(())
    }
}

/// Maps an httparse error to ours, looking at the request line where
/// httparse's error is too coarse (a bad token may be the method or the
/// target; a bad version may be a well-formed but unsupported one).
pub(super) fn classify(err: httparse::Error, buf: &[u8], limits: &Limits) -> ParseError {
    match err {
        httparse::Error::HeaderName => ParseError::InvalidHeaderName,
        httparse::Error::HeaderValue => ParseError::InvalidHeaderValue,
        httparse::Error::NewLine => ParseError::InvalidLineEnding,
        httparse::Error::TooManyHeaders => ParseError::TooManyHeaders,
        httparse::Error::Version => version_verdict(buf).unwrap_or(ParseError::InvalidRequestLine),
        httparse::Error::Token if !method_is_valid(buf) => ParseError::InvalidMethod,
        httparse::Error::Token if target_len(buf) > limits.max_uri_len => ParseError::UriTooLong,
        httparse::Error::Token => ParseError::InvalidTarget,
        httparse::Error::Status => ParseError::InvalidRequestLine,
    }
}

/// The request line, without the empty lines RFC 9112 §2.2 lets a server
/// skip and without its terminator (which may not have arrived yet).
fn request_line(buf: &[u8]) -> &[u8] {
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    let line = &buf[start..];
    let end = line
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(line.len());
    &line[..end]
}

fn method_is_valid(buf: &[u8]) -> bool {
    let line = request_line(buf);
    let method = line.split(|&b| b == b' ').next().unwrap_or_default();
    !method.is_empty() && method.iter().all(|&b| is_tchar(b))
}

/// The length of the request-target seen so far (0 before the method ends).
fn target_len(buf: &[u8]) -> usize {
    let line = request_line(buf);
    match line.iter().position(|&b| b == b' ') {
        Some(sp) => line[sp + 1..]
            .iter()
            .position(|&b| b == b' ')
            .unwrap_or(line.len() - sp - 1),
        None => 0,
    }
}

/// `HTTP/2.0`, `HTTP/3.0` or the HTTP/2 preface (`PRI * HTTP/2.0`) name a
/// version we do not speak (505); anything else in that place, or a request
/// line with more than three parts, is garbage (400). `None`: the version is
/// still arriving and may yet turn out well-formed (httparse judges a
/// version from its first bytes).
pub(super) fn version_verdict(buf: &[u8]) -> Option<ParseError> {
    let line = request_line(buf);
    let terminated = line.len() < buf.len() - leading_empty_lines(buf);
    let mut parts = line.split(|&b| b == b' ');
    let (Some(_), Some(_), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Some(ParseError::InvalidRequestLine);
    };
    if version.len() == VERSION_SHAPE.len() && matches_shape(version) {
        Some(ParseError::UnsupportedVersion)
    } else if !terminated && version.len() < VERSION_SHAPE.len() && matches_shape(version) {
        None
    } else {
        Some(ParseError::InvalidRequestLine)
    }
}

/// RFC 9112 §2.3: `HTTP-version = HTTP-name "/" DIGIT "." DIGIT`; `#` is a digit.
const VERSION_SHAPE: &[u8; 8] = b"HTTP/#.#";

/// Whether `v` is (a prefix of) an `HTTP/DIGIT.DIGIT` token.
fn matches_shape(v: &[u8]) -> bool {
    v.iter().zip(VERSION_SHAPE).all(|(&b, &want)| {
        if want == b'#' {
            b.is_ascii_digit()
        } else {
            b == want
        }
    })
}

fn leading_empty_lines(buf: &[u8]) -> usize {
    buf.iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bare_lf_is_found_wherever_it_is() {
        let lines = b"ab\r\n".repeat(40);
        assert_eq!(check_line_endings(&lines), Ok(()));
        for i in (2..lines.len()).step_by(4) {
            let mut bad = lines.clone();
            bad[i] = b'x';
            assert_eq!(
                check_line_endings(&bad),
                Err(ParseError::InvalidLineEnding),
                "CR at {i}"
            );
        }
        assert_eq!(
            check_line_endings(b"\nab"),
            Err(ParseError::InvalidLineEnding)
        );
        assert_eq!(check_line_endings(b""), Ok(()));
    }
}
