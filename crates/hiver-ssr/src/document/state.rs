//! The hydration state: the props a page was rendered with, handed to the client.

use bytes::Bytes;
use serde::Serialize;
use serde::de::IgnoredAny;

use super::error::DocumentError;
use super::escape::escape_json_into;

/// The `id` of the `<script type="application/json">` element that carries the state.
///
/// The client reads it with
/// `JSON.parse(document.getElementById("__HIVER_STATE__").textContent)`.
pub const STATE_ELEMENT_ID: &str = "__HIVER_STATE__";

/// JSON serialized once and escaped for a `<script>` element, ready to be copied into pages.
///
/// Embedded as `<script id="__HIVER_STATE__" type="application/json">…</script>`: a data
/// block the browser never executes, so no JavaScript parser sees it and a strict
/// Content-Security-Policy needs no hash or nonce for it. `<`, `>`, `&`, U+2028 and U+2029
/// are written as `\u003c`, `\u003e`, `\u0026`, `\u2028` and `\u2029`; they only occur inside
/// JSON strings, where these escapes mean the same characters, so `JSON.parse` returns the
/// original value and the text can contain neither `</script` nor `<!--`.
///
/// Cloning is cheap (the text is shared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HydrationState {
    escaped: Bytes,
}

impl HydrationState {
    /// Serializes `value` as JSON.
    ///
    /// # Errors
    ///
    /// [`DocumentError::is_state`] when `value` cannot be represented in JSON (a map with
    /// non-string keys, a failing `Serialize` impl).
    pub fn new<T: Serialize + ?Sized>(value: &T) -> Result<Self, DocumentError> {
        let json = serde_json::to_vec(value).map_err(DocumentError::state)?;
        Ok(Self::escape(json))
    }

    /// Uses `json`, an already serialized JSON text (the props the render was given), without
    /// re-serializing it.
    ///
    /// # Errors
    ///
    /// [`DocumentError::is_state`] when `json` is not one valid JSON value.
    pub fn from_json(json: &str) -> Result<Self, DocumentError> {
        serde_json::from_str::<IgnoredAny>(json).map_err(DocumentError::state)?;
        Ok(Self::escape(json.as_bytes().to_vec()))
    }

    /// The state `null`, for pages without props.
    pub fn null() -> Self {
        HydrationState {
            escaped: Bytes::from_static(b"null"),
        }
    }

    /// The escaped JSON text exactly as it is placed between the script tags.
    pub fn as_bytes(&self) -> &[u8] {
        &self.escaped
    }

    fn escape(json: Vec<u8>) -> Self {
        let needs_escape = json.iter().any(|b| matches!(b, b'<' | b'>' | b'&' | 0xE2));
        if !needs_escape {
            return HydrationState {
                escaped: Bytes::from(json),
            };
        }
        let mut escaped = Vec::with_capacity(json.len() + json.len() / 8);
        escape_json_into(&mut escaped, &json);
        HydrationState {
            escaped: Bytes::from(escaped),
        }
    }
}

impl Default for HydrationState {
    /// [`HydrationState::null`].
    fn default() -> Self {
        Self::null()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn from_json_validates_and_escapes() {
        let state = HydrationState::from_json(r#"{"a": "</script>"}"#).expect("valid JSON");
        assert_eq!(state.as_bytes(), br#"{"a": "\u003c/script\u003e"}"#);
        let err = HydrationState::from_json("{\"a\": 1} </script>").unwrap_err();
        assert!(err.is_state());
    }

    #[test]
    fn non_string_map_keys_are_a_state_error() {
        let map = std::collections::HashMap::from([((1, 2), "x")]);
        assert!(HydrationState::new(&map).unwrap_err().is_state());
    }

    #[test]
    fn plain_state_is_kept_as_serialized() {
        let state = HydrationState::new(&json!({"n": 1, "s": "é"})).expect("serializable");
        let back: Value = serde_json::from_slice(state.as_bytes()).expect("valid JSON");
        assert_eq!(back, json!({"n": 1, "s": "é"}));
        assert_eq!(HydrationState::default().as_bytes(), b"null");
    }
}
