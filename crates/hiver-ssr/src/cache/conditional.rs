//! `If-None-Match` evaluation (RFC 9110 §13.1.2) against a page's entity tag.

use http::HeaderMap;
use http::header::IF_NONE_MATCH;

/// Whether `If-None-Match` in `headers` matches `etag` (a full entity tag, `"…"` or
/// `W/"…"`): `*` matches any current representation, and list members match by weak
/// comparison (opaque tags equal, `W/` ignored). A malformed member ends the list: the members
/// before it still count, nothing after it does. For GET and HEAD a match means 304.
pub(crate) fn none_match(headers: &HeaderMap, etag: &str) -> bool {
    let Some(ours) = opaque(etag) else {
        return false;
    };
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|list| list_matches(list, ours))
}

fn list_matches(list: &str, ours: &str) -> bool {
    if list.trim() == "*" {
        return true;
    }
    let mut rest = list;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return false;
        }
        let Some((tag, after)) = next_tag(rest) else {
            return false;
        };
        if tag == ours {
            return true;
        }
        rest = after;
    }
}

/// Splits the first entity tag off `text`, returning its opaque tag (with quotes) and the rest.
fn next_tag(text: &str) -> Option<(&str, &str)> {
    let body = text.strip_prefix("W/").unwrap_or(text);
    let inner = body.strip_prefix('"')?;
    let end = inner.find('"')?;
    // etagc excludes DQUOTE, allows everything else visible (commas included).
    Some((&body[..end + 2], &inner[end + 1..]))
}

/// The opaque tag (quotes included) of one entity tag.
fn opaque(etag: &str) -> Option<&str> {
    let (tag, rest) = next_tag(etag.trim())?;
    rest.is_empty().then_some(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(header: &str, etag: &str) -> bool {
        let mut h = HeaderMap::new();
        h.insert(IF_NONE_MATCH, header.parse().unwrap());
        none_match(&h, etag)
    }

    #[test]
    fn weak_comparison_lists_and_star() {
        assert!(check("\"abc\"", "\"abc\""));
        assert!(check("W/\"abc\"", "\"abc\""));
        assert!(check("\"abc\"", "W/\"abc\""));
        assert!(check("\"x\", W/\"abc\"", "\"abc\""));
        assert!(check("\"a,b\", \"abc\"", "\"abc\""));
        assert!(check("*", "\"abc\""));
        assert!(!check("\"abd\"", "\"abc\""));
        assert!(!check("\"ABC\"", "\"abc\""));
        assert!(!check("abc", "\"abc\""));
        assert!(!check("\"abc", "\"abc\""));
        assert!(!check("\"x\", junk, \"abc\"", "\"abc\""));
    }

    #[test]
    fn absent_header_never_matches() {
        assert!(!none_match(&HeaderMap::new(), "\"abc\""));
    }
}
