//! `Query<T>`: the query string, deserialized.

use http::StatusCode;
use http::request::Parts;
use serde::de::DeserializeOwned;

use super::FromRequestParts;
use super::rejection::{Kind, QueryRejection};

/// The URL query string deserialized with `serde_urlencoded`; a missing query string is
/// deserialized as empty. A failure is a `400` with the reason.
///
/// ```
/// use hiver::extract::Query;
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Page { page: u32, per_page: Option<u32> }
///
/// async fn list(Query(p): Query<Page>) -> String {
///     format!("page {} ({} per page)", p.page, p.per_page.unwrap_or(20))
/// }
/// # let _ = list;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> Query<T> {
    /// Deserializes a raw query string (without the `?`).
    ///
    /// # Errors
    ///
    /// A [`QueryRejection`] (400) with serde's message.
    pub fn try_from_query(query: &str) -> Result<Self, QueryRejection> {
        serde_urlencoded::from_str(query).map(Query).map_err(|e| {
            QueryRejection::new(
                Kind::Deserialize,
                StatusCode::BAD_REQUEST,
                format!("Failed to deserialize query string: {e}"),
            )
        })
    }
}

impl<T: DeserializeOwned, S> FromRequestParts<S> for Query<T> {
    type Rejection = QueryRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, QueryRejection> {
        Query::try_from_query(parts.uri.query().unwrap_or(""))
    }
}
