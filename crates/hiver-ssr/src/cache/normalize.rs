//! Canonical forms of request paths and query strings, so that spellings of one URL share one
//! cache entry and purges by path reach all of them.

use super::key::KeyError;

/// Returns the canonical form of a request path: `//` collapsed, dot segments removed, the
/// trailing `/` dropped (except for the root), escapes of unreserved characters decoded and
/// every other escape spelled with upper-case hex. Case is kept: paths are case-sensitive.
pub(crate) fn path(raw: &str) -> Result<String, KeyError> {
    if !raw.starts_with('/') {
        return Err(KeyError::PATH_NOT_ABSOLUTE);
    }
    let decoded = decode_unreserved(raw)?;
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(decoded.len());
    for s in &segments {
        out.push('/');
        out.push_str(s);
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

/// Decodes `%XX` escapes of unreserved characters (RFC 3986 §2.3); other escapes stay
/// encoded, with upper-case hex, because decoding them (e.g. `%2F`) would change the meaning.
fn decode_unreserved(raw: &str) -> Result<String, KeyError> {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            let ch = raw[i..].chars().next().ok_or(KeyError::BAD_ESCAPE)?;
            out.push(ch);
            i += ch.len_utf8();
            continue;
        }
        let byte = hex_pair(bytes, i)?;
        if is_unreserved(byte) {
            out.push(char::from(byte));
        } else {
            push_escape(&mut out, byte);
        }
        i += 3;
    }
    Ok(out)
}

/// The declared query parameters of `raw` (the part after `?`), decoded, sorted by name;
/// values of a repeated name keep their order. Returned in a canonical, unambiguous encoding.
pub(crate) fn query(raw: &str, declared: &[&str]) -> Result<String, KeyError> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode_form(name)?;
        if declared.contains(&name.as_str()) {
            pairs.push((name, decode_form(value)?));
        }
    }
    // Stable sort: the order of values of one repeated name can matter to the page.
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode(&mut out, name);
        out.push('=');
        encode(&mut out, value);
    }
    Ok(out)
}

/// Decodes `application/x-www-form-urlencoded` text: `+` is a space, `%XX` a byte.
fn decode_form(raw: &str) -> Result<String, KeyError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                out.push(hex_pair(bytes, i)?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| KeyError::BAD_ESCAPE)
}

fn encode(out: &mut String, text: &str) {
    for &b in text.as_bytes() {
        if is_unreserved(b) {
            out.push(char::from(b));
        } else {
            push_escape(out, b);
        }
    }
}

fn push_escape(out: &mut String, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(byte >> 4)]));
    out.push(char::from(HEX[usize::from(byte & 0xF)]));
}

fn hex_pair(bytes: &[u8], percent_at: usize) -> Result<u8, KeyError> {
    let digit = |at: usize| -> Result<u8, KeyError> {
        let b = *bytes.get(at).ok_or(KeyError::BAD_ESCAPE)?;
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
            .ok_or(KeyError::BAD_ESCAPE)
    };
    Ok(digit(percent_at + 1)? << 4 | digit(percent_at + 2)?)
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_forms_collapse_to_one() {
        for raw in [
            "/blog/post",
            "//blog//post/",
            "/blog/./post",
            "/x/../blog/post",
            "/bl%6Fg/post",
        ] {
            assert_eq!(path(raw).unwrap(), "/blog/post", "{raw}");
        }
    }

    #[test]
    fn root_and_case_and_reserved_escapes() {
        assert_eq!(path("/").unwrap(), "/");
        assert_eq!(path("//").unwrap(), "/");
        assert_eq!(path("/..").unwrap(), "/");
        assert_eq!(path("/About").unwrap(), "/About");
        assert_eq!(path("/a%2fb").unwrap(), "/a%2Fb");
        assert_eq!(path("/caf%C3%A9").unwrap(), "/caf%C3%A9");
    }

    #[test]
    fn bad_paths_are_typed_errors() {
        assert_eq!(path("blog"), Err(KeyError::PATH_NOT_ABSOLUTE));
        assert_eq!(path("/a%zz"), Err(KeyError::BAD_ESCAPE));
        assert_eq!(path("/a%4"), Err(KeyError::BAD_ESCAPE));
    }

    #[test]
    fn query_keeps_declared_sorted() {
        let q = query("utm=1&page=2&sort=new&page=3", &["sort", "page"]).unwrap();
        assert_eq!(q, "page=2&page=3&sort=new");
        assert_eq!(query("a+b=c%20d&x", &["a b"]).unwrap(), "a%20b=c%20d");
        assert_eq!(query("", &["a"]).unwrap(), "");
        assert_eq!(query("a=%ff", &["a"]), Err(KeyError::BAD_ESCAPE));
    }
}
