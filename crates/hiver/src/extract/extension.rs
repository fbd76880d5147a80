//! `Extension<T>`: a value put into the request by a middleware.

use std::any::type_name;

use http::StatusCode;
use http::request::Parts;

use super::FromRequestParts;
use super::rejection::{ExtensionRejection, Kind};

/// A clone of the `T` stored in the request's extensions, typically by a middleware
/// (`req.extensions_mut().insert(..)`). Missing is a `500`: it means a layer is missing.
///
/// ```
/// use hiver::extract::Extension;
/// use hiver::middleware::{self, Next};
/// use hiver::routing::get;
/// use hiver::{Request, Router};
///
/// #[derive(Clone)]
/// struct User(String);
///
/// async fn whoami(Extension(user): Extension<User>) -> String {
///     user.0
/// }
///
/// let app: Router = Router::new()
///     .route("/me", get(whoami))
///     .layer(middleware::from_fn(|mut req: Request, next: Next| async move {
///         req.extensions_mut().insert(User("ada".into()));
///         next.run(req).await
///     }));
/// # let _ = app;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Extension<T>(pub T);

impl<T, S> FromRequestParts<S> for Extension<T>
where
    T: Clone + Send + Sync + 'static,
{
    type Rejection = ExtensionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ExtensionRejection> {
        parts
            .extensions
            .get::<T>()
            .cloned()
            .map(Extension)
            .ok_or_else(|| {
                ExtensionRejection::new(
                    Kind::Missing,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!(
                        "Missing request extension: extension of type `{}` was not found. \
                     Perhaps you forgot to add it?",
                        type_name::<T>()
                    ),
                )
            })
    }
}
