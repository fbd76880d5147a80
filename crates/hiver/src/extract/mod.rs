//! Extractors: typed pieces of a request that handlers take as arguments.
//!
//! | extractor | reads | rejection |
//! |---|---|---|
//! | [`Path<T>`] | matched `{param}`s (serde) | [`rejection::PathRejection`] (400, 500) |
//! | [`Query<T>`] | the query string (serde_urlencoded) | [`rejection::QueryRejection`] (400) |
//! | [`Json<T>`] | a JSON body | [`rejection::JsonRejection`] (400, 415, 422) |
//! | [`Form<T>`] | a urlencoded body (or the query for GET/HEAD) | [`rejection::FormRejection`] (400, 415, 422) |
//! | [`State<T>`] | the router state (via [`FromRef`]) | none |
//! | [`Extension<T>`] | a value a middleware put in the request extensions | [`rejection::ExtensionRejection`] (500) |
//! | [`ConnectInfo`] | peer and local socket addresses | [`rejection::ConnectInfoRejection`] (500) |
//! | [`MatchedPath`] | the route pattern that matched | [`rejection::MatchedPathRejection`] (500) |
//! | `HeaderMap`, `Method`, `Uri`, `Version` | the request head | none |
//! | `http::request::Parts`, `Request` | the whole request | none |
//! | `Bytes`, `String` | the whole body | [`rejection::BytesRejection`], [`rejection::StringRejection`] (400) |
//! | `Option<T>` | `T`, or `None` when `T` rejects | none |
//! | `Result<T, T::Rejection>` | `T`, or its rejection for the handler to inspect | none |
//!
//! Only the last argument of a handler may consume the body (`Json`, `Form`, `Bytes`,
//! `String`, `Request`, `Parts`).

use std::convert::Infallible;
use std::future::Future;

use http::request::Parts;

use crate::Request;
use crate::response::IntoResponse;
use crate::routing::params::PathParams;

mod connect_info;
mod extension;
mod form;
mod path;
mod query;
pub mod rejection;
mod request_parts;
mod state;

pub use crate::json::Json;
pub use connect_info::ConnectInfo;
pub use extension::Extension;
pub use form::Form;
pub use path::Path;
pub use query::Query;
pub use request_parts::MatchedPath;
pub use state::{FromRef, State};

/// Marker types that tell the two kinds of [`FromRequest`] implementations apart.
pub mod marker {
    /// The extractor implements [`FromRequest`](super::FromRequest) itself.
    #[derive(Debug, Clone, Copy)]
    pub enum ViaRequest {}
    /// The extractor implements [`FromRequestParts`](super::FromRequestParts).
    #[derive(Debug, Clone, Copy)]
    pub enum ViaParts {}
}

/// An extractor that only needs the request head; any handler argument may be one.
pub trait FromRequestParts<S>: Sized {
    /// Why extraction failed; it is sent as the response.
    type Rejection: IntoResponse;

    /// Extracts `Self` from the request head and the router state.
    fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> impl Future<Output = Result<Self, Self::Rejection>>;
}

/// An extractor that may consume the whole request; only the last handler argument.
///
/// `M` is a marker ([`marker::ViaRequest`] by default) that lets every
/// [`FromRequestParts`] type be used in the last position too.
pub trait FromRequest<S, M = marker::ViaRequest>: Sized {
    /// Why extraction failed; it is sent as the response.
    type Rejection: IntoResponse;

    /// Extracts `Self` from the request and the router state.
    fn from_request(req: Request, state: &S)
    -> impl Future<Output = Result<Self, Self::Rejection>>;
}

impl<S, T> FromRequest<S, marker::ViaParts> for T
where
    T: FromRequestParts<S>,
{
    type Rejection = T::Rejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, _body) = req.into_parts();
        let extracted = T::from_request_parts(&mut parts, state).await;
        recycle_parts(parts);
        extracted
    }
}

/// The request's body; its head's maps go back to the worker's pool for the next request
/// (see [`hiver_http::pool`]).
pub(crate) fn into_body(req: Request) -> hiver_http::Body {
    let (parts, body) = req.into_parts();
    recycle_parts(parts);
    body
}

/// Hands a request head the handler is done with back to the worker's pool. The router's
/// own values leave the extensions first, so that a request that carried nothing else
/// leaves only its [`ConnectionInfo`](hiver_http::ConnectionInfo), which the pool keeps for
/// the next request to write over (no allocation).
pub(crate) fn recycle_parts(mut parts: Parts) {
    parts.extensions.remove::<MatchedPath>();
    parts.extensions.remove::<PathParams>();
    hiver_http::pool::recycle_request_parts(parts);
}

impl<S, T> FromRequestParts<S> for Option<T>
where
    T: FromRequestParts<S>,
{
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Infallible> {
        Ok(T::from_request_parts(parts, state).await.ok())
    }
}

impl<S, T> FromRequest<S> for Option<T>
where
    T: FromRequest<S>,
{
    type Rejection = Infallible;

    async fn from_request(req: Request, state: &S) -> Result<Self, Infallible> {
        Ok(T::from_request(req, state).await.ok())
    }
}

impl<S, T> FromRequestParts<S> for Result<T, T::Rejection>
where
    T: FromRequestParts<S>,
{
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Infallible> {
        Ok(T::from_request_parts(parts, state).await)
    }
}

impl<S, T> FromRequest<S> for Result<T, T::Rejection>
where
    T: FromRequest<S>,
{
    type Rejection = Infallible;

    async fn from_request(req: Request, state: &S) -> Result<Self, Infallible> {
        Ok(T::from_request(req, state).await)
    }
}
