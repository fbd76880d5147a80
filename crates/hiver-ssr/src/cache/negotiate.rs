//! Content-coding negotiation (`Accept-Encoding`, RFC 9110 §12.5.3).

use http::HeaderMap;
use http::header::ACCEPT_ENCODING;

/// A content coding a page can be served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Brotli (`br`).
    Brotli,
    /// Gzip (`gzip`).
    Gzip,
    /// No coding.
    Identity,
}

impl Encoding {
    /// The `Content-Encoding` value, or `None` for identity (which sends no header).
    pub fn content_encoding(self) -> Option<&'static str> {
        match self {
            Self::Brotli => Some("br"),
            Self::Gzip => Some("gzip"),
            Self::Identity => None,
        }
    }
}

/// Quality values in thousandths, as RFC 9110 §12.4.2 allows three decimals.
#[derive(Default)]
struct Weights {
    br: Option<u16>,
    gzip: Option<u16>,
    identity: Option<u16>,
    star: Option<u16>,
}

/// Picks the coding to send: the highest q among the available ones the client accepts,
/// preferring br, then gzip, then identity on ties. No `Accept-Encoding` means identity.
/// `None` means nothing available is acceptable (`identity;q=0` or `*;q=0` and no match):
/// the caller answers 406 or sends identity anyway.
pub(crate) fn negotiate(headers: &HeaderMap, has_br: bool, has_gzip: bool) -> Option<Encoding> {
    let mut values = headers.get_all(ACCEPT_ENCODING).iter().peekable();
    if values.peek().is_none() {
        return Some(Encoding::Identity);
    }
    let mut w = Weights::default();
    for value in values {
        let Ok(text) = value.to_str() else { continue };
        for element in text.split(',') {
            record(&mut w, element);
        }
    }
    // Identity stays acceptable unless excluded; when only implied, it ranks below any coding.
    let identity = w.identity.or(w.star).unwrap_or(1);
    let candidates = [
        (
            Encoding::Brotli,
            if has_br {
                w.br.or(w.star).unwrap_or(0)
            } else {
                0
            },
        ),
        (
            Encoding::Gzip,
            if has_gzip {
                w.gzip.or(w.star).unwrap_or(0)
            } else {
                0
            },
        ),
        (Encoding::Identity, identity),
    ];
    let mut best: Option<(Encoding, u16)> = None;
    for (encoding, q) in candidates {
        if q > 0 && best.is_none_or(|(_, b)| q > b) {
            best = Some((encoding, q));
        }
    }
    best.map(|(e, _)| e)
}

fn record(w: &mut Weights, element: &str) {
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
    let slot = if coding.eq_ignore_ascii_case("br") {
        &mut w.br
    } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
        &mut w.gzip
    } else if coding.eq_ignore_ascii_case("identity") {
        &mut w.identity
    } else if coding == "*" {
        &mut w.star
    } else {
        return;
    };
    *slot = Some(q);
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

    fn pick(accept: Option<&str>) -> Option<Encoding> {
        let mut h = HeaderMap::new();
        if let Some(a) = accept {
            h.insert(ACCEPT_ENCODING, a.parse().unwrap());
        }
        negotiate(&h, true, true)
    }

    #[test]
    fn preferences_and_q_values() {
        use Encoding::*;
        assert_eq!(pick(None), Some(Identity));
        assert_eq!(pick(Some("")), Some(Identity));
        assert_eq!(pick(Some("gzip, deflate, br")), Some(Brotli));
        assert_eq!(pick(Some("gzip")), Some(Gzip));
        assert_eq!(pick(Some("br;q=0.5, gzip;q=0.8")), Some(Gzip));
        assert_eq!(pick(Some("br;q=0, gzip;q=0")), Some(Identity));
        assert_eq!(pick(Some("*")), Some(Brotli));
        assert_eq!(pick(Some("*;q=0.5, br;q=0")), Some(Gzip));
        assert_eq!(pick(Some("GZIP;Q=1.000")), Some(Gzip));
        assert_eq!(pick(Some("identity;q=0")), None);
        assert_eq!(pick(Some("*;q=0")), None);
        assert_eq!(pick(Some("*;q=0, identity")), Some(Identity));
        assert_eq!(pick(Some("br;q=2, gzip")), Some(Gzip));
        assert_eq!(pick(Some("br;q=0.0001")), Some(Identity));
    }

    #[test]
    fn unavailable_variants_are_not_chosen() {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT_ENCODING, "br".parse().unwrap());
        assert_eq!(negotiate(&h, false, true), Some(Encoding::Identity));
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
