//! Validators (`ETag`, `Last-Modified`) and conditional requests (RFC 9110 §13).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hiver::http::HeaderMap;
use hiver::http::header::{
    IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, IF_UNMODIFIED_SINCE,
};

/// The validators of one file representation.
#[derive(Debug, Clone)]
pub(crate) struct Validators {
    /// A strong tag (quotes included) from the length and modification time, plus the
    /// content coding: each precompressed sibling is its own representation.
    pub(crate) etag: String,
    /// The modification time, truncated to the second as HTTP dates are.
    pub(crate) modified: Option<SystemTime>,
}

/// What the preconditions decide, before any range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Send the representation.
    Send,
    /// `304 Not Modified`.
    NotModified,
    /// `412 Precondition Failed`.
    Failed,
}

impl Validators {
    pub(crate) fn new(len: u64, modified: Option<SystemTime>, coding: Option<&str>) -> Self {
        let since = modified.and_then(|t| t.duration_since(UNIX_EPOCH).ok());
        let nanos = since.map_or(0, |d| d.as_nanos());
        let etag = match coding {
            Some(coding) => format!("\"{len:x}-{nanos:x}-{coding}\""),
            None => format!("\"{len:x}-{nanos:x}\""),
        };
        let modified = since.map(|d| UNIX_EPOCH + Duration::from_secs(d.as_secs()));
        Validators { etag, modified }
    }

    /// The `Last-Modified` value.
    pub(crate) fn last_modified(&self) -> Option<String> {
        self.modified.map(httpdate::fmt_http_date)
    }

    /// RFC 9110 §13.2.2 steps 1 to 4: `If-Match`, else `If-Unmodified-Since`; then
    /// `If-None-Match` (weak comparison), else `If-Modified-Since`. The request is a GET
    /// or a HEAD, so a matching `If-None-Match` means 304.
    pub(crate) fn evaluate(&self, headers: &HeaderMap) -> Verdict {
        if let Some(value) = text(headers, IF_MATCH) {
            if !self.matches(value, true) {
                return Verdict::Failed;
            }
        } else if let Some(date) = date(headers, IF_UNMODIFIED_SINCE) {
            if self.modified.is_some_and(|m| m > date) {
                return Verdict::Failed;
            }
        }
        if let Some(value) = text(headers, IF_NONE_MATCH) {
            if self.matches(value, false) {
                return Verdict::NotModified;
            }
        } else if let Some(date) = date(headers, IF_MODIFIED_SINCE) {
            if self.modified.is_some_and(|m| m <= date) {
                return Verdict::NotModified;
            }
        }
        Verdict::Send
    }

    /// Whether a `Range` may be honoured: no `If-Range`, or one naming this
    /// representation (strong comparison, or exactly the `Last-Modified` date).
    pub(crate) fn if_range(&self, headers: &HeaderMap) -> bool {
        let Some(value) = text(headers, IF_RANGE) else {
            return headers.get(IF_RANGE).is_none();
        };
        let value = value.trim();
        if value.starts_with('"') || value.starts_with("W/") {
            return tags(value).any(|(weak, tag)| !weak && tag == self.etag);
        }
        match (httpdate::parse_http_date(value), self.modified) {
            (Ok(date), Some(modified)) => date == modified,
            _ => false,
        }
    }

    fn matches(&self, list: &str, strong: bool) -> bool {
        if list.trim() == "*" {
            return true;
        }
        tags(list).any(|(weak, tag)| tag == self.etag && !(strong && weak))
    }
}

fn text(headers: &HeaderMap, name: hiver::http::header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn date(headers: &HeaderMap, name: hiver::http::header::HeaderName) -> Option<SystemTime> {
    text(headers, name).and_then(|v| httpdate::parse_http_date(v.trim()).ok())
}

/// The entity tags of a comma-separated list, each as `(weak, "quoted")`; the list ends
/// at the first malformed element.
fn tags(list: &str) -> impl Iterator<Item = (bool, &str)> {
    let mut rest = list;
    std::iter::from_fn(move || {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return None;
        }
        let (weak, tail) = match rest.strip_prefix("W/") {
            Some(tail) => (true, tail),
            None => (false, rest),
        };
        let body = tail.strip_prefix('"')?;
        let end = body.find('"')? + 2;
        let tag = &tail[..end];
        rest = &tail[end..];
        Some((weak, tag))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hiver::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn validators() -> Validators {
        Validators::new(
            10,
            Some(UNIX_EPOCH + Duration::from_millis(1_500_000)),
            None,
        )
    }

    #[test]
    fn etag_lists() {
        let v = validators();
        let tag = v.etag.clone();
        let list = format!("\"x\", W/{tag}");
        assert_eq!(
            v.evaluate(&headers(&[("if-none-match", &list)])),
            Verdict::NotModified
        );
        assert_eq!(
            v.evaluate(&headers(&[("if-none-match", "\"x\"")])),
            Verdict::Send
        );
        assert_eq!(
            v.evaluate(&headers(&[("if-none-match", "*")])),
            Verdict::NotModified
        );
        assert_eq!(
            v.evaluate(&headers(&[("if-match", &format!("W/{tag}"))])),
            Verdict::Failed
        );
    }

    #[test]
    fn none_match_wins_over_modified_since() {
        let v = validators();
        let later = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(5000));
        let both = headers(&[
            ("if-none-match", "\"other\""),
            ("if-modified-since", &later),
        ]);
        assert_eq!(v.evaluate(&both), Verdict::Send);
        let date_only = headers(&[("if-modified-since", &later)]);
        assert_eq!(v.evaluate(&date_only), Verdict::NotModified);
        let exact = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(1500));
        assert_eq!(
            v.evaluate(&headers(&[("if-modified-since", &exact)])),
            Verdict::NotModified
        );
        let earlier = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(1499));
        assert_eq!(
            v.evaluate(&headers(&[("if-modified-since", &earlier)])),
            Verdict::Send
        );
    }

    #[test]
    fn if_range() {
        let v = validators();
        assert!(v.if_range(&HeaderMap::new()));
        assert!(v.if_range(&headers(&[("if-range", &v.etag.clone())])));
        assert!(!v.if_range(&headers(&[("if-range", &format!("W/{}", v.etag))])));
        assert!(!v.if_range(&headers(&[("if-range", "\"old\"")])));
        let date = v.last_modified().unwrap();
        assert!(v.if_range(&headers(&[("if-range", &date)])));
        assert!(!v.if_range(&headers(&[("if-range", "garbage")])));
    }
}
