//! Matched route parameters, percent-decoded once per request.

use std::sync::Arc;

/// The parameters of the matched route, stored in the request extensions by the router.
#[derive(Debug, Clone)]
pub(crate) struct PathParams(Arc<Result<Vec<(String, String)>, InvalidParam>>);

/// A parameter whose value is not UTF-8 once percent-decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidParam {
    pub(crate) key: String,
    pub(crate) raw: String,
}

impl PathParams {
    /// Decodes matchit's raw `(name, value)` pairs.
    pub(crate) fn from_raw<'a>(raw: impl Iterator<Item = (&'a str, &'a str)>) -> Self {
        let decoded = raw
            .map(|(key, value)| match percent_decode(value) {
                Some(v) => Ok((key.to_owned(), v)),
                None => Err(InvalidParam {
                    key: key.to_owned(),
                    raw: value.to_owned(),
                }),
            })
            .collect();
        PathParams(Arc::new(decoded))
    }

    pub(crate) fn decoded(&self) -> Result<&[(String, String)], &InvalidParam> {
        match &*self.0 {
            Ok(v) => Ok(v),
            Err(e) => Err(e),
        }
    }
}

/// Decodes `%XX` escapes with the `percent-encoding` crate; a `%` not followed by two hex
/// digits stays as it is, as browsers do. `None` when the result is not UTF-8.
/// `+` is left alone: it only means space in query strings.
pub(crate) fn percent_decode(input: &str) -> Option<String> {
    percent_encoding::percent_decode_str(input)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_and_keeps_bad_ones() {
        assert_eq!(percent_decode("a%20b").as_deref(), Some("a b"));
        assert_eq!(percent_decode("%E2%9C%93").as_deref(), Some("✓"));
        assert_eq!(percent_decode("100%").as_deref(), Some("100%"));
        assert_eq!(percent_decode("%zz%4").as_deref(), Some("%zz%4"));
        assert_eq!(percent_decode("a+b").as_deref(), Some("a+b"));
        assert_eq!(percent_decode("%FF"), None);
    }

    #[test]
    fn invalid_utf8_names_the_param() {
        let p = PathParams::from_raw([("id", "%C3%28")].into_iter());
        let err = p.decoded().unwrap_err();
        assert_eq!(err.key, "id");
        assert_eq!(err.raw, "%C3%28");
    }
}
