//! `ConnectInfo`: the socket addresses of the connection a request came on.

use std::ops::Deref;

use hiver_http::ConnectionInfo;
use http::StatusCode;
use http::request::Parts;

use super::FromRequestParts;
use super::rejection::{ConnectInfoRejection, Kind};

/// The peer and local addresses of the request's connection (the
/// [`ConnectionInfo`] the connection loop stores in every request). Missing only when the
/// router is driven by something other than the Hiver server: a `500`.
///
/// ```
/// use hiver::extract::ConnectInfo;
///
/// async fn whoami(ConnectInfo(info): ConnectInfo) -> String {
///     format!("you are {}", info.peer_addr)
/// }
/// # let _ = whoami;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectInfo(pub ConnectionInfo);

impl<S> FromRequestParts<S> for ConnectInfo {
    type Rejection = ConnectInfoRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Self, ConnectInfoRejection> {
        parts
            .extensions
            .get::<ConnectionInfo>()
            .copied()
            .map(ConnectInfo)
            .ok_or_else(|| {
                ConnectInfoRejection::new(
                    Kind::Missing,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Missing connection info: the request did not come through the Hiver server",
                )
            })
    }
}

impl Deref for ConnectInfo {
    type Target = ConnectionInfo;

    fn deref(&self) -> &ConnectionInfo {
        &self.0
    }
}
