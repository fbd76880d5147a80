//! Turning handler results into responses.
//!
//! | value | status | `Content-Type` |
//! |---|---|---|
//! | `&'static str`, `String`, `Cow<'static, str>` | 200 | `text/plain; charset=utf-8` |
//! | `Bytes`, `Vec<u8>`, `&'static [u8]` | 200 | `application/octet-stream` |
//! | `()` | 200 | none (empty body) |
//! | [`StatusCode`] | itself | none (empty body) |
//! | [`Json<T>`] | 200 | `application/json` |
//! | [`Html<T>`] | 200 | `text/html; charset=utf-8` |
//! | [`Redirect`] | 303 / 307 / 308 | none, `Location` set |
//! | [`Response`], [`Body`] | as built / 200 | as built / none |
//! | `(StatusCode, T)` | overridden | from `T` |
//! | `(P1, .., T)`, `(StatusCode, P1, .., T)` | | headers from each [`IntoResponseParts`] `P` (up to 3) |
//! | `Result<T, E>` | from `T` or `E` | |
//!
//! For anything else, build the response with [`Builder`] (`http`'s response builder,
//! also reachable as `hiver::http::Response::builder()`) and a [`Body`].

use std::borrow::Cow;
use std::convert::Infallible;

use bytes::Bytes;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderValue};

use crate::{Body, Response};

mod html;
mod parts;
mod redirect;

pub use crate::json::Json;
pub use html::Html;
pub use parts::{IntoResponseParts, PartsError};
pub use redirect::Redirect;

/// A builder for responses: `Builder::new().status(..).header(..).body(Body)`.
pub use http::response::Builder;

/// Something a handler can return.
///
/// Implement it for your error type so `?` works in handlers:
///
/// ```
/// use hiver::http::StatusCode;
/// use hiver::response::IntoResponse;
/// use hiver::Response;
///
/// struct AppError(String);
///
/// impl IntoResponse for AppError {
///     fn into_response(self) -> Response {
///         (StatusCode::INTERNAL_SERVER_ERROR, self.0).into_response()
///     }
/// }
///
/// async fn handler() -> Result<&'static str, AppError> {
///     Err(AppError("database is down".into()))
/// }
/// # let _ = handler;
/// ```
pub trait IntoResponse {
    /// Converts `self` into a response.
    fn into_response(self) -> Response;
}

pub(crate) fn text_plain() -> HeaderValue {
    HeaderValue::from_static("text/plain; charset=utf-8")
}

fn octet_stream() -> HeaderValue {
    HeaderValue::from_static("application/octet-stream")
}

/// A response with `body` and a fixed content type.
pub(crate) fn with_content_type(content_type: HeaderValue, body: impl Into<Body>) -> Response {
    let mut res = Response::new(body.into());
    // The connection loop hands the map back once the head is written.
    *res.headers_mut() = hiver_http::pool::headers();
    res.headers_mut().insert(CONTENT_TYPE, content_type);
    res
}

/// A plain-text response with `status`: what rejections and internal errors send.
pub(crate) fn text_response(status: StatusCode, message: impl Into<Body>) -> Response {
    let mut res = with_content_type(text_plain(), message);
    *res.status_mut() = status;
    res
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl IntoResponse for Body {
    fn into_response(self) -> Response {
        Response::new(self)
    }
}

impl IntoResponse for () {
    fn into_response(self) -> Response {
        Response::new(Body::empty())
    }
}

impl IntoResponse for Infallible {
    fn into_response(self) -> Response {
        match self {}
    }
}

impl IntoResponse for StatusCode {
    fn into_response(self) -> Response {
        let mut res = Response::new(Body::empty());
        *res.status_mut() = self;
        res
    }
}

impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        with_content_type(text_plain(), self)
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        with_content_type(text_plain(), self)
    }
}

impl IntoResponse for Cow<'static, str> {
    fn into_response(self) -> Response {
        match self {
            Cow::Borrowed(s) => s.into_response(),
            Cow::Owned(s) => s.into_response(),
        }
    }
}

impl IntoResponse for Bytes {
    fn into_response(self) -> Response {
        with_content_type(octet_stream(), self)
    }
}

impl IntoResponse for Vec<u8> {
    fn into_response(self) -> Response {
        with_content_type(octet_stream(), self)
    }
}

impl IntoResponse for &'static [u8] {
    fn into_response(self) -> Response {
        with_content_type(octet_stream(), self)
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(v) => v.into_response(),
            Err(e) => e.into_response(),
        }
    }
}

impl<T: IntoResponse> IntoResponse for (StatusCode, T) {
    fn into_response(self) -> Response {
        let mut res = self.1.into_response();
        *res.status_mut() = self.0;
        res
    }
}
