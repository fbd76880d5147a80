//! Redirect responses.

use http::StatusCode;
use http::header::{HeaderValue, LOCATION};

use super::{IntoResponse, text_response};
use crate::{Body, Response};

/// A response that sends the client elsewhere with a `Location` header.
///
/// A location that is not a valid header value (a control character, say) becomes a
/// `500 Internal Server Error` when the response is sent, never a panic.
///
/// ```
/// use hiver::response::Redirect;
///
/// async fn old_home() -> Redirect {
///     Redirect::permanent("/home")
/// }
/// # let _ = old_home;
/// ```
#[derive(Debug, Clone)]
#[must_use = "a redirect does nothing unless returned"]
pub struct Redirect {
    status: StatusCode,
    /// `None` when the location is not a valid header value (reported when sent).
    location: Option<HeaderValue>,
}

impl Redirect {
    /// `303 See Other`: the client follows with a `GET` (after a form `POST`, say).
    pub fn to(uri: &str) -> Self {
        Redirect::with_status(StatusCode::SEE_OTHER, uri)
    }

    /// `307 Temporary Redirect`: the client repeats the same method and body.
    pub fn temporary(uri: &str) -> Self {
        Redirect::with_status(StatusCode::TEMPORARY_REDIRECT, uri)
    }

    /// `308 Permanent Redirect`: like `temporary`, and the client may remember it.
    pub fn permanent(uri: &str) -> Self {
        Redirect::with_status(StatusCode::PERMANENT_REDIRECT, uri)
    }

    fn with_status(status: StatusCode, uri: &str) -> Self {
        Redirect {
            status,
            location: HeaderValue::try_from(uri).ok(),
        }
    }

    /// The status code the response will have.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for Redirect {
    fn into_response(self) -> Response {
        match self.location {
            Some(location) => {
                let mut res = Response::new(Body::empty());
                *res.status_mut() = self.status;
                res.headers_mut().insert(LOCATION, location);
                res
            }
            None => text_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Redirect location is not a valid header value",
            ),
        }
    }
}
