//! What the header fields mean for the exchange: body framing (RFC 9112
//! §6.3), persistence (§9.3), `Host` (RFC 9110 §7.2) and `Expect` (§10.1.1).
//! Everything ambiguous is refused: a request two parsers could frame
//! differently is a smuggling vector.

use http::header::{CONNECTION, CONTENT_LENGTH, EXPECT, HOST, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderValue, Version};

use super::{BodyFraming, ParseError};

pub(super) struct Meta {
    pub(super) framing: BodyFraming,
    pub(super) keep_alive: bool,
    pub(super) expect_continue: bool,
}

pub(super) fn check(version: Version, headers: &HeaderMap) -> Result<Meta, ParseError> {
    check_host(version, headers)?;
    Ok(Meta {
        framing: framing(version, headers)?,
        keep_alive: keep_alive(version, headers),
        expect_continue: expect_continue(version, headers)?,
    })
}

fn check_host(version: Version, headers: &HeaderMap) -> Result<(), ParseError> {
    let mut hosts = headers.get_all(HOST).iter();
    match (hosts.next(), hosts.next()) {
        (None, _) if version == Version::HTTP_11 => Err(ParseError::MissingHost),
        (None, _) => Ok(()),
        (Some(_), Some(_)) => Err(ParseError::DuplicateHost),
        (Some(host), None) if is_valid_host(host.as_bytes()) => Ok(()),
        (Some(_), None) => Err(ParseError::InvalidHost),
    }
}

/// `Host = uri-host [ ":" port ]`, possibly empty (RFC 9110 §7.2).
fn is_valid_host(v: &[u8]) -> bool {
    let (host, port) = if v.first() == Some(&b'[') {
        let Some(close) = v.iter().position(|&b| b == b']') else {
            return false;
        };
        let literal = &v[1..close];
        let ok = !literal.is_empty()
            && literal
                .iter()
                .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.' || b == b'v');
        if !ok {
            return false;
        }
        (&v[..=close], &v[close + 1..])
    } else {
        let colon = v.iter().position(|&b| b == b':').unwrap_or(v.len());
        (&v[..colon], &v[colon..])
    };
    let reg_name = |b: &u8| b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=".contains(b);
    let host_ok = host.first() == Some(&b'[') || host.iter().all(reg_name);
    let port_ok = match port.split_first() {
        None => true,
        Some((b':', digits)) => digits.iter().all(u8::is_ascii_digit),
        Some(_) => false,
    };
    host_ok && port_ok
}

fn framing(version: Version, headers: &HeaderMap) -> Result<BodyFraming, ParseError> {
    let mut lengths = headers.get_all(CONTENT_LENGTH).iter();
    let length = match (lengths.next(), lengths.next()) {
        (None, _) => None,
        // Even equal duplicates are refused: simplest, and no intermediary
        // can pick a different one of them.
        (Some(_), Some(_)) => return Err(ParseError::DuplicateContentLength),
        (Some(v), None) => Some(parse_content_length(v.as_bytes())?),
    };
    if headers.contains_key(TRANSFER_ENCODING) {
        if length.is_some() {
            return Err(ParseError::ContentLengthWithTransferEncoding);
        }
        if version == Version::HTTP_10 {
            return Err(ParseError::TransferEncodingInHttp10);
        }
        check_codings(headers)?;
        return Ok(BodyFraming::Chunked);
    }
    Ok(match length {
        None | Some(0) => BodyFraming::None,
        Some(n) => BodyFraming::Length(n),
    })
}

/// `Content-Length = 1*DIGIT`: no sign, no whitespace, no list, no overflow.
pub(crate) fn parse_content_length(v: &[u8]) -> Result<u64, ParseError> {
    if v.is_empty() {
        return Err(ParseError::InvalidContentLength);
    }
    v.iter().try_fold(0u64, |acc, &b| {
        let digit = (b as char)
            .to_digit(10)
            .ok_or(ParseError::InvalidContentLength)?;
        acc.checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(digit)))
            .ok_or(ParseError::InvalidContentLength)
    })
}

/// The codings of every `Transfer-Encoding` field, in order. A coding we do
/// not even know is 501 (RFC 9112 §6.1); otherwise the last must be
/// `chunked` (§6.3) and appear once (§6.1), else 400; a known coding other
/// than `chunked` is not implemented (501).
fn check_codings(headers: &HeaderMap) -> Result<(), ParseError> {
    let (mut total, mut chunked, mut last_is_chunked) = (0usize, 0usize, false);
    for coding in list_elements(headers.get_all(TRANSFER_ENCODING).iter()) {
        if !KNOWN_CODINGS
            .iter()
            .any(|known| coding.eq_ignore_ascii_case(known))
        {
            return Err(ParseError::UnsupportedTransferCoding);
        }
        total += 1;
        last_is_chunked = coding.eq_ignore_ascii_case(b"chunked");
        chunked += usize::from(last_is_chunked);
    }
    if !last_is_chunked {
        Err(ParseError::ChunkedNotFinal)
    } else if chunked > 1 {
        Err(ParseError::ChunkedTwice)
    } else if total > chunked {
        Err(ParseError::UnsupportedTransferCoding)
    } else {
        Ok(())
    }
}

/// The HTTP Transfer Coding Registry (RFC 9112 §7), `identity` included as
/// the reserved name it is. A coding with parameters is not in it.
const KNOWN_CODINGS: [&[u8]; 7] = [
    b"chunked",
    b"compress",
    b"deflate",
    b"gzip",
    b"identity",
    b"x-compress",
    b"x-gzip",
];

fn keep_alive(version: Version, headers: &HeaderMap) -> bool {
    let mut close = false;
    let mut keep_alive = false;
    for token in list_elements(headers.get_all(CONNECTION).iter()) {
        close |= token.eq_ignore_ascii_case(b"close");
        keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
    }
    !close && (version == Version::HTTP_11 || keep_alive)
}

fn expect_continue(version: Version, headers: &HeaderMap) -> Result<bool, ParseError> {
    let mut expects = false;
    for expectation in list_elements(headers.get_all(EXPECT).iter()) {
        if !expectation.eq_ignore_ascii_case(b"100-continue") {
            return Err(ParseError::UnsupportedExpectation);
        }
        expects = true;
    }
    // RFC 9110 §10.1.1: a 100-continue expectation in HTTP/1.0 is ignored.
    Ok(expects && version == Version::HTTP_11)
}

/// The non-empty elements of a comma-separated list spread over several
/// fields, trimmed of optional whitespace (RFC 9110 §5.6.1).
pub(crate) fn list_elements<'a>(
    values: impl Iterator<Item = &'a HeaderValue>,
) -> impl Iterator<Item = &'a [u8]> {
    values
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .map(trim_ows)
        .filter(|e| !e.is_empty())
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}
