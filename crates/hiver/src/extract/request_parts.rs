//! Extractors for the request head and the whole body.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, Method, StatusCode, Uri, Version};

use super::rejection::{BytesRejection, Kind, MatchedPathRejection, StringRejection, body_error};
use super::{FromRequest, FromRequestParts};
use crate::Request;

macro_rules! clone_from_parts {
    ($ty:ty, $field:ident) => {
        impl<S> FromRequestParts<S> for $ty {
            type Rejection = Infallible;

            async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
                Ok(parts.$field.clone())
            }
        }
    };
}

clone_from_parts!(HeaderMap, headers);
clone_from_parts!(Method, method);
clone_from_parts!(Uri, uri);
clone_from_parts!(Version, version);

impl<S> FromRequest<S> for Request {
    type Rejection = Infallible;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Infallible> {
        Ok(req)
    }
}

impl<S> FromRequest<S> for Parts {
    type Rejection = Infallible;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Infallible> {
        Ok(req.into_parts().0)
    }
}

impl<S> FromRequest<S> for Bytes {
    type Rejection = BytesRejection;

    async fn from_request(req: Request, _state: &S) -> Result<Self, BytesRejection> {
        crate::extract::into_body(req)
            .collect()
            .await
            .map_err(|e| BytesRejection::new(Kind::Body, StatusCode::BAD_REQUEST, body_error(&e)))
    }
}

impl<S> FromRequest<S> for String {
    type Rejection = StringRejection;

    async fn from_request(req: Request, _state: &S) -> Result<Self, StringRejection> {
        let bytes = crate::extract::into_body(req)
            .collect()
            .await
            .map_err(|e| {
                StringRejection::new(Kind::Body, StatusCode::BAD_REQUEST, body_error(&e))
            })?;
        String::from_utf8(bytes.into()).map_err(|e| {
            StringRejection::new(
                Kind::Utf8,
                StatusCode::BAD_REQUEST,
                format!(
                    "Request body didn't contain valid UTF-8: {}",
                    e.utf8_error()
                ),
            )
        })
    }
}

/// The route pattern that matched the request, such as `/users/{id}` (for nested routers,
/// the full pattern). Useful for metrics and logs: it has bounded cardinality, unlike the
/// path.
///
/// ```
/// use hiver::extract::MatchedPath;
///
/// async fn handler(path: MatchedPath) -> String {
///     path.as_str().to_owned()
/// }
/// # let _ = handler;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedPath(pub(crate) Arc<str>);

impl MatchedPath {
    /// The pattern as registered.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<S> FromRequestParts<S> for MatchedPath {
    type Rejection = MatchedPathRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Self, MatchedPathRejection> {
        parts
            .extensions
            .get::<MatchedPath>()
            .cloned()
            .ok_or_else(|| {
                MatchedPathRejection::new(
                    Kind::Missing,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "No matched path found: the request was not routed by a route pattern",
                )
            })
    }
}
