//! The request-target (RFC 9112 §3.2): which of the four forms a method may
//! use, checked before the URI reaches the application.

use bytes::Bytes;
use http::{Method, Uri};

use super::ParseError;

/// The longest URI the `http` crate represents.
const URI_MAX: usize = u16::MAX as usize - 1;

/// Parses `raw` as the request-target of a `method` request.
pub(super) fn parse(method: &Method, raw: Bytes) -> Result<Uri, ParseError> {
    // httparse already refused SP, CTLs and DEL; non-ASCII bytes are not URI
    // characters.
    if !raw.is_ascii() {
        return Err(ParseError::InvalidTarget);
    }
    if raw.len() > URI_MAX {
        return Err(ParseError::UriTooLong);
    }
    let len = raw.len();
    let asterisk = raw.as_ref() == b"*";
    let origin = raw.first() == Some(&b'/');
    // A fragment is never sent (RFC 9112 §3.2). In origin form the check comes
    // after parsing, for free: see below.
    if !origin && raw.contains(&b'#') {
        return Err(ParseError::InvalidTarget);
    }
    let uri = Uri::from_maybe_shared(raw).map_err(|_| ParseError::InvalidTarget)?;
    let valid = if *method == Method::CONNECT {
        is_authority_form(&uri)
    } else if asterisk {
        *method == Method::OPTIONS
    } else if origin {
        // `http` ends an origin-form target's path and query at a `#` and drops
        // the rest, so a fragment shows as a shorter URI.
        uri.path_and_query().map_or(0, |p| p.as_str().len()) == len
    } else {
        is_absolute_form(&uri)
    };
    if valid {
        Ok(uri)
    } else {
        Err(ParseError::InvalidTarget)
    }
}

/// `uri-host ":" port`, nothing else (RFC 9112 §3.2.3).
fn is_authority_form(uri: &Uri) -> bool {
    let Some(authority) = uri.authority() else {
        return false;
    };
    uri.scheme().is_none()
        && uri.path_and_query().is_none_or(|p| p.as_str().is_empty())
        && authority.port().is_some()
        && !authority.as_str().contains('@')
}

/// `scheme "://" authority path-abempty [ "?" query ]`; userinfo is refused
/// (RFC 9110 §4.2.4).
fn is_absolute_form(uri: &Uri) -> bool {
    match (uri.scheme(), uri.authority()) {
        (Some(_), Some(authority)) => {
            !authority.as_str().contains('@') && !authority.host().is_empty()
        }
        _ => false,
    }
}
