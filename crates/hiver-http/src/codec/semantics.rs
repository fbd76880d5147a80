//! What the header fields mean for the exchange: body framing (RFC 9112
//! §6.3), persistence (§9.3), `Host` (RFC 9110 §7.2) and `Expect` (§10.1.1).
//! Everything ambiguous is refused: a request two parsers could frame
//! differently is a smuggling vector.

use http::header::{CONNECTION, CONTENT_LENGTH, EXPECT, HOST, TRANSFER_ENCODING};
use http::{HeaderName, HeaderValue, Version};

use super::{BodyFraming, ParseError};

pub(super) struct Meta {
    pub(super) framing: BodyFraming,
    pub(super) keep_alive: bool,
    pub(super) expect_continue: bool,
}

/// What the fields that matter to the exchange said, gathered in the one
/// pass that builds the header map: looking each name up again afterwards
/// cost about as much as building the map.
#[derive(Default)]
pub(super) struct Fields {
    hosts: Count,
    host_valid: bool,
    lengths: Count,
    /// The first `Content-Length`, parsed.
    length: Option<Result<u64, ParseError>>,
    codings: Codings,
    close: bool,
    keep_alive: bool,
    expects: bool,
    bad_expectation: bool,
}

/// None, one or more: all a duplicate check needs.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Count {
    #[default]
    Zero,
    One,
    Many,
}

impl Count {
    fn bump(&mut self) -> bool {
        let first = *self == Count::Zero;
        *self = if first { Count::One } else { Count::Many };
        first
    }
}

/// The `Transfer-Encoding` codings seen so far, over every such field.
#[derive(Default)]
struct Codings {
    present: bool,
    total: usize,
    chunked: usize,
    last_is_chunked: bool,
    /// A coding not in the registry was seen (501).
    unknown: bool,
}

impl Fields {
    /// Notes one header field, in the order the client sent them.
    pub(super) fn observe(&mut self, name: &HeaderName, value: &HeaderValue) {
        if name == HOST {
            if self.hosts.bump() {
                self.host_valid = is_valid_host(value.as_bytes());
            }
        } else if name == CONTENT_LENGTH {
            if self.lengths.bump() {
                self.length = Some(parse_content_length(value.as_bytes()));
            }
        } else if name == TRANSFER_ENCODING {
            self.codings.observe(value);
        } else if name == CONNECTION {
            for token in list_elements(std::iter::once(value)) {
                self.close |= token.eq_ignore_ascii_case(b"close");
                self.keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if name == EXPECT {
            for expectation in list_elements(std::iter::once(value)) {
                self.bad_expectation |= !expectation.eq_ignore_ascii_case(b"100-continue");
                self.expects = true;
            }
        }
    }

    /// The verdict on the whole head. Errors come in a fixed order (host,
    /// then framing, then expectations) whatever the order of the fields.
    pub(super) fn finish(self, version: Version) -> Result<Meta, ParseError> {
        match (self.hosts, self.host_valid) {
            (Count::Zero, _) if version == Version::HTTP_11 => Err(ParseError::MissingHost),
            (Count::Many, _) => Err(ParseError::DuplicateHost),
            (Count::One, false) => Err(ParseError::InvalidHost),
            _ => Ok(()),
        }?;
        let framing = self.framing(version)?;
        if self.bad_expectation {
            return Err(ParseError::UnsupportedExpectation);
        }
        Ok(Meta {
            framing,
            keep_alive: !self.close && (version == Version::HTTP_11 || self.keep_alive),
            // RFC 9110 §10.1.1: a 100-continue expectation in HTTP/1.0 is ignored.
            expect_continue: self.expects && version == Version::HTTP_11,
        })
    }

    fn framing(&self, version: Version) -> Result<BodyFraming, ParseError> {
        // Even equal duplicates are refused: simplest, and no intermediary
        // can pick a different one of them.
        if self.lengths == Count::Many {
            return Err(ParseError::DuplicateContentLength);
        }
        let length = self.length.transpose()?;
        if self.codings.present {
            if length.is_some() {
                return Err(ParseError::ContentLengthWithTransferEncoding);
            }
            if version == Version::HTTP_10 {
                return Err(ParseError::TransferEncodingInHttp10);
            }
            self.codings.check()?;
            return Ok(BodyFraming::Chunked);
        }
        Ok(match length {
            None | Some(0) => BodyFraming::None,
            Some(n) => BodyFraming::Length(n),
        })
    }
}

impl Codings {
    fn observe(&mut self, value: &HeaderValue) {
        self.present = true;
        for coding in list_elements(std::iter::once(value)) {
            if self.unknown {
                return;
            }
            if !KNOWN_CODINGS
                .iter()
                .any(|known| coding.eq_ignore_ascii_case(known))
            {
                self.unknown = true;
                return;
            }
            self.total += 1;
            self.last_is_chunked = coding.eq_ignore_ascii_case(b"chunked");
            self.chunked += usize::from(self.last_is_chunked);
        }
    }

    /// A coding we do not even know is 501 (RFC 9112 §6.1); otherwise the
    /// last must be `chunked` (§6.3) and appear once (§6.1), else 400; a
    /// known coding other than `chunked` is not implemented (501).
    fn check(&self) -> Result<(), ParseError> {
        if self.unknown {
            Err(ParseError::UnsupportedTransferCoding)
        } else if !self.last_is_chunked {
            Err(ParseError::ChunkedNotFinal)
        } else if self.chunked > 1 {
            Err(ParseError::ChunkedTwice)
        } else if self.total > self.chunked {
            Err(ParseError::UnsupportedTransferCoding)
        } else {
            Ok(())
        }
    }
}

/// The bytes of a `reg-name` (RFC 3986 §3.2.2: unreserved, sub-delims, and
/// `%` of pct-encoded). A table: `contains` on a byte string was a memchr
/// call per dot of every Host.
const REG_NAME: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = (i as u8).is_ascii_alphanumeric();
        i += 1;
    }
    let others = b"-._~%!$&'()*+,;=";
    let mut j = 0;
    while j < others.len() {
        table[others[j] as usize] = true;
        j += 1;
    }
    table
};

/// `Host = uri-host [ ":" port ]`, possibly empty (RFC 9110 §7.2).
fn is_valid_host(v: &[u8]) -> bool {
    let port = if v.first() == Some(&b'[') {
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
        &v[close + 1..]
    } else {
        // One pass: the reg-name runs up to the first byte outside it, which
        // must be the port's colon (`:` is not a reg-name character).
        let end = v
            .iter()
            .position(|&b| !REG_NAME[usize::from(b)])
            .unwrap_or(v.len());
        &v[end..]
    };
    match port.split_first() {
        None => true,
        Some((b':', digits)) => digits.iter().all(u8::is_ascii_digit),
        Some(_) => false,
    }
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

#[cfg(test)]
mod tests {
    //! The one-pass [`Fields`] against the lookup-based checks it replaced,
    //! kept here as the reference.

    use http::HeaderMap;
    use proptest::prelude::*;

    use super::*;

    fn check(version: Version, headers: &HeaderMap) -> Result<Meta, ParseError> {
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

    fn one_pass(version: Version, headers: &HeaderMap) -> Result<Meta, ParseError> {
        let mut fields = Fields::default();
        for (name, value) in headers {
            fields.observe(name, value);
        }
        fields.finish(version)
    }

    fn verdict(meta: Result<Meta, ParseError>) -> Result<(BodyFraming, bool, bool), ParseError> {
        meta.map(|m| (m.framing, m.keep_alive, m.expect_continue))
    }

    fn field() -> impl Strategy<Value = (&'static str, &'static str)> {
        let names = prop::sample::select(vec![
            "host",
            "content-length",
            "transfer-encoding",
            "connection",
            "expect",
            "x-other",
        ]);
        let values = prop::sample::select(vec![
            "",
            "0",
            "12",
            "+1",
            "99999999999999999999999",
            "a.example:80",
            "[::1]:8080",
            "bad host",
            "chunked",
            "gzip, chunked",
            "chunked, gzip",
            "chunked, chunked",
            "br",
            "close",
            "keep-alive",
            " Keep-Alive , upgrade",
            "100-continue",
            "100-continue, x",
        ]);
        (names, values)
    }

    #[test]
    fn host_bytes_are_those_of_a_reg_name() {
        for b in 0..=u8::MAX {
            let expected = b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=".contains(&b);
            assert_eq!(is_valid_host(&[b'a', b, b'z']), expected, "byte {b:#04x}");
        }
    }

    #[test]
    fn host_with_port() {
        for ok in ["a", "127.0.0.1:3999", "a.example:", "[::1]:80", "[::1]", ""] {
            assert!(is_valid_host(ok.as_bytes()), "{ok:?}");
        }
        for bad in [
            "a:b", "a:80:80", "a:8 0", ":80a", "a/b:80", "[::1]x", "[]", "[::1",
        ] {
            assert!(!is_valid_host(bad.as_bytes()), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn one_pass_agrees_with_lookups(
            fields in prop::collection::vec(field(), 0..7),
            http11 in any::<bool>(),
        ) {
            let version = if http11 { Version::HTTP_11 } else { Version::HTTP_10 };
            let mut headers = HeaderMap::new();
            for (name, value) in fields {
                headers.append(
                    HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                );
            }
            prop_assert_eq!(
                verdict(one_pass(version, &headers)),
                verdict(check(version, &headers))
            );
        }
    }
}
