//! Why a request was refused, and the status that says so.

use std::fmt;

use http::StatusCode;

/// A request the codec refuses. Each variant maps to one response status
/// ([`ParseError::status`]); after any of them the connection must close,
/// because the framing of what follows can no longer be trusted.
///
/// A small `Copy` enum: producing one never allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// The head is larger than the configured limit (431).
    HeadTooLarge,
    /// More header fields than the configured limit (431).
    TooManyHeaders,
    /// The request-target is longer than the configured limit (414).
    UriTooLong,
    /// The method is not a token (400).
    InvalidMethod,
    /// The request-target is not a valid origin-, absolute-, authority- or
    /// asterisk-form target for this method (400).
    InvalidTarget,
    /// The request line is malformed, including a version that is not
    /// `HTTP/x.y` (400).
    InvalidRequestLine,
    /// A well-formed HTTP version other than 1.0 and 1.1, or the HTTP/2
    /// connection preface (505).
    UnsupportedVersion,
    /// A header name is not a token, or whitespace precedes the colon, or a
    /// line starts with whitespace (obs-fold) (400).
    InvalidHeaderName,
    /// A header value holds a control character (400).
    InvalidHeaderValue,
    /// A line ends with a bare LF or a bare CR (400).
    InvalidLineEnding,
    /// An HTTP/1.1 request without `Host` (400).
    MissingHost,
    /// More than one `Host` field (400).
    DuplicateHost,
    /// A `Host` value that is not `host[:port]` (400).
    InvalidHost,
    /// `Content-Length` is not a plain decimal number that fits in a `u64` (400).
    InvalidContentLength,
    /// `Content-Length` appears more than once, even with equal values (400).
    DuplicateContentLength,
    /// Both `Content-Length` and `Transfer-Encoding` are present (400).
    ContentLengthWithTransferEncoding,
    /// `Transfer-Encoding` is empty or its final coding is not `chunked` (400).
    ChunkedNotFinal,
    /// `chunked` is applied more than once (400).
    ChunkedTwice,
    /// `Transfer-Encoding` in an HTTP/1.0 request, whose framing is then
    /// faulty per RFC 9112 §6.1 (400).
    TransferEncodingInHttp10,
    /// A transfer coding other than `chunked` (501).
    UnsupportedTransferCoding,
    /// An `Expect` value other than `100-continue` (417).
    UnsupportedExpectation,
    /// A chunk-size line, chunk delimiter or trailer is malformed (400).
    InvalidChunk,
    /// The body is larger than the configured limit (413).
    BodyTooLarge,
}

impl ParseError {
    /// The status code the response to this request carries.
    pub fn status(self) -> StatusCode {
        use ParseError::*;
        match self {
            HeadTooLarge | TooManyHeaders => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            UriTooLong => StatusCode::URI_TOO_LONG,
            UnsupportedVersion => StatusCode::HTTP_VERSION_NOT_SUPPORTED,
            UnsupportedTransferCoding => StatusCode::NOT_IMPLEMENTED,
            UnsupportedExpectation => StatusCode::EXPECTATION_FAILED,
            BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// A short human-readable reason, used as the response body.
    pub fn reason(self) -> &'static str {
        use ParseError::*;
        match self {
            HeadTooLarge => "request head too large",
            TooManyHeaders => "too many header fields",
            UriTooLong => "request-target too long",
            InvalidMethod => "invalid method",
            InvalidTarget => "invalid request-target",
            InvalidRequestLine => "malformed request line",
            UnsupportedVersion => "HTTP version not supported",
            InvalidHeaderName => "invalid header field name or obsolete line folding",
            InvalidHeaderValue => "invalid header field value",
            InvalidLineEnding => "line not terminated by CRLF",
            MissingHost => "missing Host header",
            DuplicateHost => "more than one Host header",
            InvalidHost => "invalid Host header",
            InvalidContentLength => "invalid Content-Length",
            DuplicateContentLength => "more than one Content-Length",
            ContentLengthWithTransferEncoding => "both Content-Length and Transfer-Encoding",
            ChunkedNotFinal => "Transfer-Encoding does not end with chunked",
            ChunkedTwice => "chunked applied more than once",
            TransferEncodingInHttp10 => "Transfer-Encoding in an HTTP/1.0 request",
            UnsupportedTransferCoding => "transfer coding not implemented",
            UnsupportedExpectation => "expectation not supported",
            InvalidChunk => "malformed chunked body",
            BodyTooLarge => "request body too large",
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

impl std::error::Error for ParseError {}
