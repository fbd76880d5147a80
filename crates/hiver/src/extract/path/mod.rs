//! `Path<T>`: the route's `{param}` and `{*rest}` values, deserialized.

use std::ops::{Deref, DerefMut};

use http::StatusCode;
use http::request::Parts;
use serde::de::DeserializeOwned;

use super::FromRequestParts;
use super::rejection::{Kind, PathRejection};
use crate::routing::params::PathParams;

mod de;

/// The matched route parameters, percent-decoded, deserialized with serde.
///
/// One parameter deserializes into a plain value (`Path<u64>`, `Path<String>`), several
/// into a tuple (in route order) or a struct (by name). A value that does not parse, or
/// that is not UTF-8 after percent-decoding, is a `400` with the reason; a parameter count
/// that does not fit the type is a `500` (the route and the handler disagree).
///
/// ```
/// use hiver::extract::Path;
/// use hiver::routing::get;
/// use hiver::Router;
/// use serde::Deserialize;
///
/// async fn user(Path(id): Path<u64>) -> String {
///     format!("user {id}")
/// }
///
/// async fn post(Path((user, post)): Path<(u64, String)>) -> String {
///     format!("post {post} of user {user}")
/// }
///
/// #[derive(Deserialize)]
/// struct File { rest: String }
///
/// async fn file(Path(f): Path<File>) -> String {
///     f.rest
/// }
///
/// let app: Router = Router::new()
///     .route("/users/{id}", get(user))
///     .route("/users/{user}/posts/{post}", get(post))
///     .route("/files/{*rest}", get(file));
/// # let _ = app;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned, S> FromRequestParts<S> for Path<T> {
    type Rejection = PathRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, PathRejection> {
        let Some(params) = parts.extensions.get::<PathParams>() else {
            return Err(PathRejection::new(
                Kind::Missing,
                StatusCode::INTERNAL_SERVER_ERROR,
                "No path parameters found for matched route",
            ));
        };
        Path::from_params(params)
    }
}

impl<T: DeserializeOwned> Path<T> {
    pub(crate) fn from_params(params: &PathParams) -> Result<Self, PathRejection> {
        let params = params.decoded().map_err(|invalid| {
            PathRejection::new(
                Kind::Utf8,
                StatusCode::BAD_REQUEST,
                format!(
                    "Invalid URL: Cannot parse `{}` with value `{}` to a UTF-8 string",
                    invalid.key, invalid.raw
                ),
            )
        })?;
        T::deserialize(de::PathDeserializer { params })
            .map(Path)
            .map_err(|err| {
                let (kind, status) = match &err {
                    de::PathDeError::WrongCount { .. } => {
                        (Kind::WrongCount, StatusCode::INTERNAL_SERVER_ERROR)
                    }
                    e if e.is_client_error() => (Kind::Deserialize, StatusCode::BAD_REQUEST),
                    _ => (Kind::Deserialize, StatusCode::INTERNAL_SERVER_ERROR),
                };
                PathRejection::new(kind, status, format!("Invalid URL: {err}"))
            })
    }
}

impl<T> Deref for Path<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Path<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}
