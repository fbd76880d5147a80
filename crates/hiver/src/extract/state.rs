//! `State<T>`: the router's shared state.

use std::convert::Infallible;
use std::ops::{Deref, DerefMut};

use http::request::Parts;

use super::FromRequestParts;

/// The state given to [`Router::with_state`](crate::Router::with_state), or a part of it
/// chosen with [`FromRef`]. Each request gets a clone, so keep the state cheap to clone
/// (wrap big things in `Arc`).
///
/// ```
/// use std::sync::Arc;
///
/// use hiver::extract::State;
/// use hiver::routing::get;
/// use hiver::Router;
///
/// #[derive(Clone)]
/// struct AppState { greeting: Arc<str> }
///
/// async fn hello(State(state): State<AppState>) -> String {
///     state.greeting.to_string()
/// }
///
/// let app: Router = Router::new()
///     .route("/", get(hello))
///     .with_state(AppState { greeting: "hi".into() });
/// # let _ = app;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct State<T>(pub T);

/// Gets a `T` out of a reference to the whole state; lets a handler extract
/// `State<Part>` from a router whose state is `Whole`. Every `Clone` type is `FromRef`
/// of itself.
///
/// ```
/// use hiver::extract::FromRef;
///
/// #[derive(Clone)]
/// struct AppState { db_url: String, name: &'static str }
///
/// impl FromRef<AppState> for String {
///     fn from_ref(state: &AppState) -> String {
///         state.db_url.clone()
///     }
/// }
/// ```
pub trait FromRef<T> {
    /// Makes `Self` from the whole state.
    fn from_ref(input: &T) -> Self;
}

impl<T: Clone> FromRef<T> for T {
    fn from_ref(input: &T) -> Self {
        input.clone()
    }
}

impl<S, T: FromRef<S>> FromRequestParts<S> for State<T> {
    type Rejection = Infallible;

    async fn from_request_parts(_parts: &mut Parts, state: &S) -> Result<Self, Infallible> {
        Ok(State(T::from_ref(state)))
    }
}

impl<T> Deref for State<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for State<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}
