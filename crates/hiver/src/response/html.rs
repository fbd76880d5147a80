//! HTML responses.

use http::header::HeaderValue;

use super::{IntoResponse, with_content_type};
use crate::{Body, Response};

/// An HTML response: the body with `Content-Type: text/html; charset=utf-8`.
///
/// ```
/// use hiver::response::Html;
///
/// async fn page() -> Html<&'static str> {
///     Html("<h1>Hello</h1>")
/// }
/// # let _ = page;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Html<T>(pub T);

impl<T: Into<Body>> IntoResponse for Html<T> {
    fn into_response(self) -> Response {
        with_content_type(HeaderValue::from_static("text/html; charset=utf-8"), self.0)
    }
}

impl<T> From<T> for Html<T> {
    fn from(inner: T) -> Self {
        Html(inner)
    }
}
