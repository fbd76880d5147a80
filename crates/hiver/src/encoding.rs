//! Content-coding negotiation: which of the codings a response is available in the client
//! accepts best (`Accept-Encoding`, RFC 9110 §12.5.3).
//!
//! Shared by the compression middleware, static files with precompressed siblings and
//! anything else that picks a `Content-Encoding`.
//!
//! ```
//! use hiver::encoding::{Encoding, negotiate};
//! use hiver::http::HeaderMap;
//!
//! let mut headers = HeaderMap::new();
//! headers.insert("accept-encoding", "gzip;q=0.8, br;q=0.5".parse().unwrap());
//! // The codings the response exists in, best first on ties; identity is always possible.
//! let pick = negotiate(&headers, &[Encoding::Brotli, Encoding::Gzip]);
//! assert_eq!(pick, Some(Encoding::Gzip));
//! ```

use http::HeaderMap;
use http::header::ACCEPT_ENCODING;

/// A content coding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// No coding.
    Identity,
    /// Gzip (`gzip`; `x-gzip` is accepted as the same).
    Gzip,
    /// Brotli (`br`).
    Brotli,
    /// Zstandard (`zstd`).
    Zstd,
}

impl Encoding {
    /// The token as it appears in `Accept-Encoding` and `Content-Encoding`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Gzip => "gzip",
            Self::Brotli => "br",
            Self::Zstd => "zstd",
        }
    }

    /// The `Content-Encoding` value, or `None` for identity (which sends no header).
    pub fn content_encoding(self) -> Option<&'static str> {
        match self {
            Self::Identity => None,
            other => Some(other.as_str()),
        }
    }

    /// The coding a token names (ASCII case-insensitive), if it is one of these.
    pub fn from_token(token: &str) -> Option<Self> {
        let token = token.trim();
        [Self::Identity, Self::Gzip, Self::Brotli, Self::Zstd]
            .into_iter()
            .find(|e| token.eq_ignore_ascii_case(e.as_str()))
            .or_else(|| token.eq_ignore_ascii_case("x-gzip").then_some(Self::Gzip))
    }
}

/// A parsed `Accept-Encoding`: the client's weight for each coding, in thousandths
/// (RFC 9110 §12.4.2 allows three decimals).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AcceptEncoding {
    /// No `Accept-Encoding` field at all: identity only.
    absent: bool,
    gzip: Option<u16>,
    br: Option<u16>,
    zstd: Option<u16>,
    identity: Option<u16>,
    star: Option<u16>,
}

impl AcceptEncoding {
    /// Reads every `Accept-Encoding` field of `headers`. Elements with a malformed weight
    /// and codings not listed in [`Encoding`] are ignored.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let mut values = headers.get_all(ACCEPT_ENCODING).iter().peekable();
        let mut accept = AcceptEncoding {
            absent: values.peek().is_none(),
            ..Default::default()
        };
        for value in values {
            let Ok(text) = value.to_str() else { continue };
            for element in text.split(',') {
                accept.record(element);
            }
        }
        accept
    }

    /// The client's weight for `encoding` in thousandths (0 = not acceptable). Identity is
    /// acceptable (1) unless excluded by `identity;q=0` or `*;q=0`; a coding without its own
    /// element takes the weight of `*`, if any.
    pub fn weight(&self, encoding: Encoding) -> u16 {
        if self.absent {
            return if encoding == Encoding::Identity {
                1000
            } else {
                0
            };
        }
        let own = match encoding {
            Encoding::Identity => return self.identity.or(self.star).unwrap_or(1),
            Encoding::Gzip => self.gzip,
            Encoding::Brotli => self.br,
            Encoding::Zstd => self.zstd,
        };
        own.or(self.star).unwrap_or(0)
    }

    /// The best of `available` (codings the response exists in, in the server's order of
    /// preference for ties) or identity, by the client's weights. Identity is always
    /// possible and ranks below any coding of the same weight. `None` means nothing
    /// possible is acceptable (`identity;q=0` or `*;q=0` and no listed coding): answer 406
    /// or send identity anyway (RFC 9110 allows both).
    pub fn negotiate(&self, available: &[Encoding]) -> Option<Encoding> {
        let mut best: Option<(Encoding, u16)> = None;
        let candidates = available
            .iter()
            .copied()
            .filter(|e| *e != Encoding::Identity)
            .chain([Encoding::Identity]);
        for encoding in candidates {
            let q = self.weight(encoding);
            if q > 0 && best.is_none_or(|(_, b)| q > b) {
                best = Some((encoding, q));
            }
        }
        best.map(|(e, _)| e)
    }

    fn record(&mut self, element: &str) {
        let mut parts = element.split(';');
        let coding = parts.next().unwrap_or("").trim();
        if coding.is_empty() {
            return;
        }
        let mut q = 1000;
        for param in parts {
            let Some((name, value)) = param.split_once('=') else {
                return;
            };
            if name.trim().eq_ignore_ascii_case("q") {
                match parse_q(value.trim()) {
                    Some(v) => q = v,
                    // An element with a malformed weight is ignored as a whole.
                    None => return,
                }
            }
        }
        let slot = if coding == "*" {
            &mut self.star
        } else {
            match Encoding::from_token(coding) {
                Some(Encoding::Identity) => &mut self.identity,
                Some(Encoding::Gzip) => &mut self.gzip,
                Some(Encoding::Brotli) => &mut self.br,
                Some(Encoding::Zstd) => &mut self.zstd,
                None => return,
            }
        };
        *slot = Some(q);
    }
}

/// [`AcceptEncoding::from_headers`] then [`AcceptEncoding::negotiate`].
pub fn negotiate(headers: &HeaderMap, available: &[Encoding]) -> Option<Encoding> {
    AcceptEncoding::from_headers(headers).negotiate(available)
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
fn parse_q(text: &str) -> Option<u16> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths: u16 = 0;
    for (i, b) in frac.bytes().enumerate() {
        thousandths += u16::from(b - b'0') * [100, 10, 1][i];
    }
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Encoding::*;

    fn pick(accept: Option<&str>, available: &[Encoding]) -> Option<Encoding> {
        let mut h = HeaderMap::new();
        if let Some(a) = accept {
            h.insert(ACCEPT_ENCODING, a.parse().unwrap());
        }
        negotiate(&h, available)
    }

    #[test]
    fn preferences_and_q_values() {
        let all = [Brotli, Gzip];
        assert_eq!(pick(None, &all), Some(Identity));
        assert_eq!(pick(Some(""), &all), Some(Identity));
        assert_eq!(pick(Some("gzip, deflate, br"), &all), Some(Brotli));
        assert_eq!(pick(Some("gzip"), &all), Some(Gzip));
        assert_eq!(pick(Some("br;q=0.5, gzip;q=0.8"), &all), Some(Gzip));
        assert_eq!(pick(Some("br;q=0, gzip;q=0"), &all), Some(Identity));
        assert_eq!(pick(Some("*"), &all), Some(Brotli));
        assert_eq!(pick(Some("*;q=0.5, br;q=0"), &all), Some(Gzip));
        assert_eq!(pick(Some("GZIP;Q=1.000"), &all), Some(Gzip));
        assert_eq!(pick(Some("x-gzip"), &all), Some(Gzip));
        assert_eq!(pick(Some("identity;q=0"), &all), None);
        assert_eq!(pick(Some("*;q=0"), &all), None);
        assert_eq!(pick(Some("*;q=0, identity"), &all), Some(Identity));
        assert_eq!(pick(Some("br;q=2, gzip"), &all), Some(Gzip));
        assert_eq!(pick(Some("br;q=0.0001"), &all), Some(Identity));
    }

    #[test]
    fn the_servers_order_breaks_ties() {
        assert_eq!(
            pick(Some("gzip, br, zstd"), &[Zstd, Brotli, Gzip]),
            Some(Zstd)
        );
        assert_eq!(pick(Some("gzip, br, zstd"), &[Gzip, Zstd]), Some(Gzip));
        assert_eq!(pick(Some("zstd;q=0.9, br"), &[Zstd, Brotli]), Some(Brotli));
    }

    #[test]
    fn unavailable_codings_are_not_chosen() {
        assert_eq!(pick(Some("br"), &[Gzip]), Some(Identity));
        assert_eq!(pick(Some("br, identity;q=0"), &[Gzip]), None);
        assert_eq!(pick(Some("gzip"), &[]), Some(Identity));
    }

    #[test]
    fn weights() {
        let mut h = HeaderMap::new();
        h.append(ACCEPT_ENCODING, "gzip;q=0.3".parse().unwrap());
        h.append(ACCEPT_ENCODING, "*;q=0.2, bogus".parse().unwrap());
        let a = AcceptEncoding::from_headers(&h);
        assert_eq!(a.weight(Gzip), 300);
        assert_eq!(a.weight(Zstd), 200);
        assert_eq!(a.weight(Identity), 200);
        assert_eq!(
            AcceptEncoding::from_headers(&HeaderMap::new()).weight(Gzip),
            0
        );
    }

    #[test]
    fn tokens() {
        assert_eq!(Encoding::from_token(" BR "), Some(Brotli));
        assert_eq!(Encoding::from_token("deflate"), None);
        assert_eq!(Zstd.content_encoding(), Some("zstd"));
        assert_eq!(Identity.content_encoding(), None);
    }

    #[test]
    fn q_grammar() {
        assert_eq!(parse_q("0.5"), Some(500));
        assert_eq!(parse_q("0.125"), Some(125));
        assert_eq!(parse_q("1"), Some(1000));
        assert_eq!(parse_q("1.0"), Some(1000));
        assert_eq!(parse_q("1.5"), None);
        assert_eq!(parse_q("abc"), None);
        assert_eq!(parse_q("0.1234"), None);
    }
}
