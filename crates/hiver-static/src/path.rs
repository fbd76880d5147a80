//! From a request path to a relative path under the root, refusing anything that could
//! name a file outside it.

use std::path::PathBuf;

/// The part of the raw (still percent-encoded) request path that names the file: what
/// the route's trailing catch-all matched (`"/assets/{*path}"`), or the whole path when
/// the route has none (a fallback).
///
/// The route table matched the raw path, so each static or `{param}` segment of the
/// pattern before the catch-all consumed exactly one raw segment.
pub(crate) fn tail<'a>(path: &'a str, pattern: Option<&str>) -> &'a str {
    let path = path.strip_prefix('/').unwrap_or(path);
    let Some((prefix, _)) = pattern.and_then(|p| p.rsplit_once("{*")) else {
        return path;
    };
    let skip = prefix.split('/').filter(|s| !s.is_empty()).count();
    let mut rest = path;
    for _ in 0..skip {
        rest = rest.split_once('/').map_or("", |(_, r)| r);
    }
    rest
}

/// The relative path `tail` names, or `None` when it must be refused: a `.` or `..`
/// segment (plain or percent-encoded), an encoded `/` or any `\` or NUL, an empty
/// segment (`//`, or a leading `/`: an absolute path), or a segment that is not UTF-8
/// once decoded. A trailing `/` is allowed (a directory).
pub(crate) fn relative(tail: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    if tail.is_empty() {
        return Some(out);
    }
    let trimmed = tail.strip_suffix('/').unwrap_or(tail);
    for raw in trimmed.split('/') {
        let segment = percent_decode(raw)?;
        let forbidden = segment.is_empty()
            || segment == "."
            || segment == ".."
            || segment.contains(['/', '\\', '\0']);
        if forbidden {
            return None;
        }
        out.push(segment);
    }
    Some(out)
}

/// Decodes `%XX` escapes (a `%` not followed by two hex digits stays as it is); `None`
/// when the result is not UTF-8.
fn percent_decode(input: &str) -> Option<String> {
    percent_encoding::percent_decode_str(input)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_follows_the_pattern() {
        assert_eq!(tail("/assets/a/b.js", Some("/assets/{*path}")), "a/b.js");
        assert_eq!(
            tail("/en/assets/x%2Fy", Some("/{lang}/assets/{*p}")),
            "x%2Fy"
        );
        assert_eq!(tail("/a/b", Some("/a/b")), "a/b");
        assert_eq!(tail("/a/b", None), "a/b");
        assert_eq!(tail("/", None), "");
    }

    #[test]
    fn plain_paths_are_kept() {
        assert_eq!(relative("a/b.js"), Some(PathBuf::from("a/b.js")));
        assert_eq!(relative("dir/"), Some(PathBuf::from("dir")));
        assert_eq!(relative("a%20b"), Some(PathBuf::from("a b")));
        assert_eq!(relative(""), Some(PathBuf::new()));
    }

    #[test]
    fn escapes_are_refused() {
        for bad in [
            "..",
            "a/../b",
            "%2e%2e/x",
            "%2E%2E",
            ".",
            "a/./b",
            "a%2fb",
            "a%2Fb",
            "a%5cb",
            "a\\b",
            "a%00b",
            "/etc/passwd",
            "a//b",
            "%ff",
            "/",
        ] {
            assert_eq!(relative(bad), None, "{bad}");
        }
    }
}
