//! `Form<T>`: an `application/x-www-form-urlencoded` body (or the query for GET/HEAD).

use http::header::CONTENT_TYPE;
use http::{HeaderMap, Method, StatusCode};
use serde::de::DeserializeOwned;

use super::FromRequest;
use super::rejection::{FormRejection, Kind, body_error};
use crate::Request;

/// Form data deserialized with `serde_urlencoded`.
///
/// For `GET` and `HEAD` it reads the query string (a failure is a `400`). For other
/// methods it requires `Content-Type: application/x-www-form-urlencoded` (else `415`) and
/// reads the body (a failure is a `422`). Only the last handler argument.
///
/// ```
/// use hiver::extract::Form;
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Login { user: String, password: String }
///
/// async fn login(Form(login): Form<Login>) -> String {
///     format!("hello {} ({} chars of password)", login.user, login.password.len())
/// }
/// # let _ = login;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Form<T>(pub T);

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| {
            essence
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

impl<T: DeserializeOwned, S> FromRequest<S> for Form<T> {
    type Rejection = FormRejection;

    async fn from_request(req: Request, _state: &S) -> Result<Self, FormRejection> {
        if req.method() == Method::GET || req.method() == Method::HEAD {
            let query = req.uri().query().unwrap_or("");
            return serde_urlencoded::from_str(query).map(Form).map_err(|e| {
                FormRejection::new(
                    Kind::Deserialize,
                    StatusCode::BAD_REQUEST,
                    format!("Failed to deserialize form: {e}"),
                )
            });
        }
        if !is_form(req.headers()) {
            return Err(FormRejection::new(
                Kind::MissingContentType,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Form requests must have `Content-Type: application/x-www-form-urlencoded`",
            ));
        }
        let bytes = crate::extract::into_body(req)
            .collect()
            .await
            .map_err(|e| FormRejection::new(Kind::Body, StatusCode::BAD_REQUEST, body_error(&e)))?;
        serde_urlencoded::from_bytes(&bytes).map(Form).map_err(|e| {
            FormRejection::new(
                Kind::Deserialize,
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("Failed to deserialize form body: {e}"),
            )
        })
    }
}
