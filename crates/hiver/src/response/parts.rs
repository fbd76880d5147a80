//! Headers added to a response by tuple elements: `(StatusCode, [(name, value); N], body)`.

use http::StatusCode;
use http::header::{HeaderMap, HeaderName, HeaderValue};

use super::{IntoResponse, text_response};
use crate::Response;

/// Something that adds headers to a response; used as the middle elements of
/// `(P1, .., body)` and `(StatusCode, P1, .., body)` tuples.
///
/// A header name or value that is not valid HTTP turns the whole response into a
/// `500 Internal Server Error` naming the culprit (never a panic).
///
/// ```
/// use hiver::http::{header, StatusCode};
/// use hiver::response::IntoResponse;
///
/// async fn handler() -> impl IntoResponse {
///     (StatusCode::CREATED, [(header::LOCATION, "/users/7")], "created")
/// }
/// # let _ = handler;
/// ```
pub trait IntoResponseParts {
    /// Adds the headers to `res`.
    ///
    /// # Errors
    ///
    /// A [`PartsError`] (sent as a 500) when a header is invalid.
    fn into_response_parts(self, res: &mut Response) -> Result<(), PartsError>;
}

/// Why response parts could not be applied (an invalid header name or value). It becomes
/// a `500 Internal Server Error` naming the culprit.
#[derive(Debug, Clone)]
pub struct PartsError {
    message: String,
}

impl PartsError {
    /// An error with a plain-text reason.
    pub fn new(message: impl Into<String>) -> Self {
        PartsError {
            message: message.into(),
        }
    }
}

impl std::fmt::Display for PartsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PartsError {}

impl IntoResponse for PartsError {
    fn into_response(self) -> Response {
        text_response(StatusCode::INTERNAL_SERVER_ERROR, self.message)
    }
}

fn invalid_header(what: &str, err: &dyn std::fmt::Display) -> PartsError {
    PartsError::new(format!("Invalid response header {what}: {err}"))
}

impl<K, V, const N: usize> IntoResponseParts for [(K, V); N]
where
    K: TryInto<HeaderName>,
    K::Error: std::fmt::Display,
    V: TryInto<HeaderValue>,
    V::Error: std::fmt::Display,
{
    fn into_response_parts(self, res: &mut Response) -> Result<(), PartsError> {
        for (name, value) in self {
            let name = name.try_into().map_err(|e| invalid_header("name", &e))?;
            let value = value.try_into().map_err(|e| invalid_header("value", &e))?;
            res.headers_mut().insert(name, value);
        }
        Ok(())
    }
}

impl IntoResponseParts for HeaderMap {
    fn into_response_parts(self, res: &mut Response) -> Result<(), PartsError> {
        res.headers_mut().extend(self);
        Ok(())
    }
}

macro_rules! impl_parts_tuples {
    ($($p:ident),+) => {
        #[allow(non_snake_case)]
        impl<$($p: IntoResponseParts,)+ T: IntoResponse> IntoResponse for ($($p,)+ T) {
            fn into_response(self) -> Response {
                let ($($p,)+ body) = self;
                let mut res = body.into_response();
                $(
                    if let Err(err) = $p.into_response_parts(&mut res) {
                        return err.into_response();
                    }
                )+
                res
            }
        }

        #[allow(non_snake_case)]
        impl<$($p: IntoResponseParts,)+ T: IntoResponse> IntoResponse
            for (StatusCode, $($p,)+ T)
        {
            fn into_response(self) -> Response {
                let (status, $($p,)+ body) = self;
                let mut res = body.into_response();
                $(
                    if let Err(err) = $p.into_response_parts(&mut res) {
                        return err.into_response();
                    }
                )+
                *res.status_mut() = status;
                res
            }
        }
    };
}

impl_parts_tuples!(P1);
impl_parts_tuples!(P1, P2);
impl_parts_tuples!(P1, P2, P3);
