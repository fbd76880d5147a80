//! Why an extractor refused a request. Every rejection carries its status code and a
//! plain-text reason, and becomes that response when a handler does not catch it.
//!
//! ```
//! use hiver::extract::{rejection::QueryRejection, Query};
//! use hiver::response::IntoResponse;
//!
//! // Take the `Result` to answer rejections your own way.
//! async fn handler(q: Result<Query<Vec<(String, String)>>, QueryRejection>) -> String {
//!     match q {
//!         Ok(Query(pairs)) => format!("{} pairs", pairs.len()),
//!         Err(rejection) => format!("{}: {}", rejection.status(), rejection.body_text()),
//!     }
//! }
//! # let _ = handler;
//! ```

use std::fmt;

use http::StatusCode;

use crate::Response;
use crate::response::{IntoResponse, text_response};

/// What went wrong, shared by the public rejection types (their `is_*` predicates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    MissingContentType,
    Syntax,
    Data,
    Body,
    Utf8,
    Deserialize,
    WrongCount,
    Missing,
}

macro_rules! rejection {
    ($(#[$doc:meta])* $name:ident { $($pred:ident => $kind:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name {
            kind: Kind,
            status: StatusCode,
            message: String,
        }

        impl $name {
            #[allow(dead_code)]
            pub(crate) fn new(kind: Kind, status: StatusCode, message: impl Into<String>) -> Self {
                $name { kind, status, message: message.into() }
            }

            /// The status code of the response this rejection becomes.
            pub fn status(&self) -> StatusCode {
                self.status
            }

            /// The plain-text reason sent as the response body.
            pub fn body_text(&self) -> String {
                self.message.clone()
            }

            $(
                #[doc = concat!("Whether the rejection is `", stringify!($kind), "`-kind (see the type docs).")]
                pub fn $pred(&self) -> bool {
                    self.kind == Kind::$kind
                }
            )*
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.message)
            }
        }

        impl std::error::Error for $name {}

        impl IntoResponse for $name {
            fn into_response(self) -> Response {
                text_response(self.status, self.message)
            }
        }
    };
}

rejection!(
    /// Rejection of [`Path`](super::Path): the route has no parameters (500), a value is
    /// not UTF-8 after percent-decoding (400), the count does not match the target type
    /// (500: a route/handler mismatch), or a value does not parse (400).
    PathRejection {
        is_missing => Missing,
        is_invalid_utf8 => Utf8,
        is_wrong_count => WrongCount,
        is_deserialize_error => Deserialize,
    }
);

rejection!(
    /// Rejection of [`Query`](super::Query): the query string does not deserialize (400).
    QueryRejection {
        is_deserialize_error => Deserialize,
    }
);

rejection!(
    /// Rejection of [`Json`](super::Json): no `Content-Type: application/json` (415),
    /// malformed JSON (400), JSON of the wrong shape (422), or an unreadable body (400).
    JsonRejection {
        is_missing_content_type => MissingContentType,
        is_syntax_error => Syntax,
        is_data_error => Data,
        is_body_error => Body,
    }
);

rejection!(
    /// Rejection of [`Form`](super::Form): wrong content type (415), a query string that
    /// does not deserialize (400), a body that does not deserialize (422), or an
    /// unreadable body (400).
    FormRejection {
        is_missing_content_type => MissingContentType,
        is_deserialize_error => Deserialize,
        is_body_error => Body,
    }
);

rejection!(
    /// Rejection of `Bytes`: the body could not be read (400).
    BytesRejection {
        is_body_error => Body,
    }
);

rejection!(
    /// Rejection of `String`: the body could not be read or is not UTF-8 (400).
    StringRejection {
        is_body_error => Body,
        is_invalid_utf8 => Utf8,
    }
);

rejection!(
    /// Rejection of [`Extension`](super::Extension): nothing of that type was inserted
    /// into the request (500: a missing middleware is a server bug).
    ExtensionRejection {
        is_missing => Missing,
    }
);

rejection!(
    /// Rejection of [`ConnectInfo`](super::ConnectInfo): the request did not come through
    /// the Hiver server (500).
    ConnectInfoRejection {
        is_missing => Missing,
    }
);

rejection!(
    /// Rejection of [`MatchedPath`](super::MatchedPath): the request was not routed by a
    /// route pattern (for example in a fallback) (500).
    MatchedPathRejection {
        is_missing => Missing,
    }
);

pub(crate) fn body_error(err: &dyn fmt::Display) -> String {
    format!("Failed to buffer the request body: {err}")
}
