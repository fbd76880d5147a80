//! The `Content-Type` of a file, by its extension.

use std::path::Path;

use hiver::http::HeaderValue;

/// `Content-Type` for `path`: [`mime_guess`]'s table, with `charset=utf-8` on text and
/// JavaScript/JSON types (what bundlers emit), `application/octet-stream` for unknown extensions.
pub(crate) fn content_type(path: &Path) -> HeaderValue {
    let essence = mime_guess::from_path(path)
        .first_raw()
        .unwrap_or("application/octet-stream");
    let textual = essence.starts_with("text/")
        || matches!(essence, "application/javascript" | "application/json");
    if textual {
        // Table entries and the suffix are visible ASCII.
        HeaderValue::from_str(&format!("{essence}; charset=utf-8"))
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"))
    } else {
        HeaderValue::from_static(essence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_types() {
        let ct = |p: &str| content_type(Path::new(p));
        assert!(
            ct("a.js")
                .to_str()
                .unwrap()
                .contains("javascript; charset=utf-8")
        );
        assert_eq!(ct("a/b.CSS"), "text/css; charset=utf-8");
        assert_eq!(ct("index.html"), "text/html; charset=utf-8");
        assert_eq!(ct("x.png"), "image/png");
        assert_eq!(ct("logo.svg"), "image/svg+xml");
        assert_eq!(ct("font.woff2"), "font/woff2");
        assert_eq!(ct("noext"), "application/octet-stream");
    }
}
