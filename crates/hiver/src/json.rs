//! `Json<T>`: both an extractor and a response.

use bytes::Bytes;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::extract::FromRequest;
use crate::extract::rejection::{JsonRejection, Kind, body_error};
use crate::response::{IntoResponse, text_response, with_content_type};
use crate::{Request, Response};

/// JSON in and out.
///
/// As an extractor (the last handler argument) it requires `Content-Type:
/// application/json` or any `application/*+json` (else `415`), then deserializes the body
/// with serde: malformed JSON is a `400`, JSON of the wrong shape a `422`, both with
/// serde's message. As a response it serializes `T` with `Content-Type:
/// application/json` (a serialization failure becomes a `500` with the reason).
///
/// ```
/// use hiver::Json;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Deserialize)]
/// struct NewUser { name: String }
///
/// #[derive(Serialize)]
/// struct User { id: u64, name: String }
///
/// async fn create(Json(new): Json<NewUser>) -> Json<User> {
///     Json(User { id: 1, name: new.name })
/// }
/// # let _ = create;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T> From<T> for Json<T> {
    fn from(inner: T) -> Self {
        Json(inner)
    }
}

/// Whether the content type is `application/json` or `application/<anything>+json`.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json")
            || subtype.len() > 5
                && subtype.as_bytes()[subtype.len() - 5..].eq_ignore_ascii_case(b"+json"))
}

impl<T: DeserializeOwned, S> FromRequest<S> for Json<T> {
    type Rejection = JsonRejection;

    async fn from_request(req: Request, _state: &S) -> Result<Self, JsonRejection> {
        if !is_json(req.headers()) {
            return Err(JsonRejection::new(
                Kind::MissingContentType,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Expected request with `Content-Type: application/json`",
            ));
        }
        let bytes = crate::extract::into_body(req)
            .collect()
            .await
            .map_err(|e| JsonRejection::new(Kind::Body, StatusCode::BAD_REQUEST, body_error(&e)))?;
        serde_json::from_slice(&bytes).map(Json).map_err(json_error)
    }
}

fn json_error(err: serde_json::Error) -> JsonRejection {
    use serde_json::error::Category;
    match err.classify() {
        Category::Data => JsonRejection::new(
            Kind::Data,
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Failed to deserialize the JSON body into the target type: {err}"),
        ),
        Category::Syntax | Category::Eof | Category::Io => JsonRejection::new(
            Kind::Syntax,
            StatusCode::BAD_REQUEST,
            format!("Failed to parse the request body as JSON: {err}"),
        ),
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        let mut buf = Vec::with_capacity(128);
        match serde_json::to_writer(&mut buf, &self.0) {
            Ok(()) => with_content_type(
                HeaderValue::from_static("application/json"),
                Bytes::from(buf),
            ),
            Err(err) => text_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("Failed to serialize the response as JSON: {err}"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(ct: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
        h
    }

    #[test]
    fn json_content_types() {
        assert!(is_json(&headers("application/json")));
        assert!(is_json(&headers("application/json; charset=utf-8")));
        assert!(is_json(&headers("Application/JSON")));
        assert!(is_json(&headers("application/problem+json")));
        assert!(!is_json(&headers("application/+json")));
        assert!(!is_json(&headers("text/json")));
        assert!(!is_json(&headers("application/jsonx")));
        assert!(!is_json(&HeaderMap::new()));
    }
}
