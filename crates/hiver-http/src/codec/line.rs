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
    let mut prev = 0u8;
    for &b in head {
        if b == b'\n' && prev != b'\r' {
            return Err(ParseError::InvalidLineEnding);
        }
        prev = b;
    }
    Ok(())
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
        httparse::Error::Version => classify_version(buf),
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

/// `HTTP/2.0`, `HTTP/3` or the HTTP/2 preface (`PRI * HTTP/2.0`) name a
/// version we do not speak (505); anything else in that place is garbage (400).
fn classify_version(buf: &[u8]) -> ParseError {
    let line = request_line(buf);
    let version = line.rsplit(|&b| b == b' ').next().unwrap_or_default();
    if is_version_shaped(version) {
        ParseError::UnsupportedVersion
    } else {
        ParseError::InvalidRequestLine
    }
}

/// `HTTP/` DIGIT+ [ `.` DIGIT+ ]
fn is_version_shaped(v: &[u8]) -> bool {
    let Some(rest) = v.strip_prefix(b"HTTP/") else {
        return false;
    };
    let mut parts = rest.splitn(2, |&b| b == b'.');
    let digits = |p: &[u8]| !p.is_empty() && p.iter().all(u8::is_ascii_digit);
    let major = parts.next().is_some_and(digits);
    major && parts.next().is_none_or(digits)
}
