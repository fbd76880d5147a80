//! Request-head parsing: httparse (SIMD) for the syntax, then the checks
//! httparse leaves to its caller.

use std::cell::Cell;
use std::mem::MaybeUninit;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri, Version};

use super::{Limits, ParseError, line, semantics, target};

/// How the body that follows a request head is framed (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body: neither `Content-Length` nor `Transfer-Encoding`, or
    /// `Content-Length: 0`.
    None,
    /// Exactly this many bytes (never zero).
    Length(u64),
    /// `Transfer-Encoding: chunked`; decode with [`ChunkedDecoder`](super::ChunkedDecoder).
    Chunked,
}

/// A parsed and validated request head.
#[derive(Debug)]
pub struct RequestHead {
    /// The request method.
    pub method: Method,
    /// The request-target, in the form the request used.
    pub uri: Uri,
    /// `HTTP/1.0` or `HTTP/1.1`.
    pub version: Version,
    /// Every header field, in order, values sharing one buffer with the head.
    pub headers: HeaderMap,
    /// How the body is framed.
    pub framing: BodyFraming,
    /// Whether the client allows the connection to stay open after this
    /// exchange (HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with
    /// `Connection: keep-alive`).
    pub keep_alive: bool,
    /// Whether the client sent `Expect: 100-continue` (ignored for HTTP/1.0,
    /// per RFC 9110 §10.1.1).
    pub expect_continue: bool,
}

/// Parses the request head at the start of `buf`.
///
/// Returns `Ok(None)` while the head is incomplete and within the limits,
/// `Ok(Some((head, consumed)))` once it is complete, `consumed` being the
/// length of the head (the body, if any, starts there). The header values
/// are copied once, into one buffer; [`decode_head`] avoids that copy.
///
/// # Errors
///
/// A [`ParseError`] whose [`status`](ParseError::status) is the answer to send
/// before closing the connection.
pub fn parse_head(buf: &[u8], limits: &Limits) -> Result<Option<(RequestHead, usize)>, ParseError> {
    let mut src = buf;
    let mut len = 0;
    let head = parse(&mut src, limits, &mut len)?;
    Ok(head.map(|head| (head, len)))
}

/// Like [`parse_head`], but takes the head out of `buf` without copying: the
/// URI and header values become slices of the read buffer.
///
/// On `Ok(None)` the buffer is untouched; on success it starts with the body
/// or the next request.
///
/// # Errors
///
/// As [`parse_head`]. After an error the buffer content is unspecified.
pub fn decode_head(buf: &mut BytesMut, limits: &Limits) -> Result<Option<RequestHead>, ParseError> {
    parse(buf, limits, &mut 0)
}

/// Where a head comes from: a borrowed slice (copied once) or the read
/// buffer (split off, no copy).
trait Source {
    fn bytes(&self) -> &[u8];
    fn take(&mut self, len: usize) -> Bytes;
}

impl Source for &[u8] {
    fn bytes(&self) -> &[u8] {
        self
    }
    fn take(&mut self, len: usize) -> Bytes {
        Bytes::copy_from_slice(&self[..len])
    }
}

impl Source for BytesMut {
    fn bytes(&self) -> &[u8] {
        self
    }
    fn take(&mut self, len: usize) -> Bytes {
        self.split_to(len).freeze()
    }
}

/// Heads with up to this many fields are parsed without a heap allocation
/// for httparse's field table.
const STACK_HEADERS: usize = 128;

/// A byte range of the head, kept as offsets so that the borrow of the read
/// buffer can end before the head is split off it.
#[derive(Clone, Copy, Default)]
struct Span {
    start: usize,
    end: usize,
}

#[derive(Clone, Copy)]
struct FieldSpan {
    name: Span,
    value: Span,
}

struct RawHead {
    len: usize,
    method: Method,
    target: Span,
    version: Version,
}

/// `len` receives the length of the head: an out-parameter rather than a
/// tuple in the result, so that the head is not copied once more on the way
/// to a caller that has no use for it.
fn parse<S: Source>(
    src: &mut S,
    limits: &Limits,
    len: &mut usize,
) -> Result<Option<RequestHead>, ParseError> {
    // The connection asks once more after the last buffered request: nothing to parse.
    if src.bytes().is_empty() {
        return Ok(None);
    }
    // A per-thread scratch list, reused: a zeroed table of `max_headers` spans per
    // parse attempt cost about a third of all user-space instructions per request.
    let mut spans = SPANS.take();
    spans.clear();
    let result = parse_with(src, limits, &mut spans, len);
    SPANS.set(spans);
    result
}

thread_local! {
    /// The field spans of the head being parsed on this thread.
    static SPANS: Cell<Vec<FieldSpan>> = const { Cell::new(Vec::new()) };
}

fn parse_with<S: Source>(
    src: &mut S,
    limits: &Limits,
    spans: &mut Vec<FieldSpan>,
    len: &mut usize,
) -> Result<Option<RequestHead>, ParseError> {
    let Some(raw) = scan(src.bytes(), limits, spans)? else {
        return Ok(None);
    };
    let bytes = src.take(raw.len);
    // The fields go into the allocation of a map recycled from an earlier request or
    // response on this thread, when there is one.
    let head = build(bytes, &raw, spans, crate::pool::headers())?;
    *len = raw.len;
    Ok(Some(head))
}

fn scan(
    buf: &[u8],
    limits: &Limits,
    spans: &mut Vec<FieldSpan>,
) -> Result<Option<RawHead>, ParseError> {
    let mut stack = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; STACK_HEADERS];
    let mut heap = Vec::new();
    let slots: &mut [MaybeUninit<httparse::Header<'_>>] = if limits.max_headers <= STACK_HEADERS {
        &mut stack[..limits.max_headers]
    } else {
        heap.resize_with(limits.max_headers, MaybeUninit::uninit);
        &mut heap
    };
    let mut req = httparse::Request::new(&mut []);
    // The default config is the strict one: no obs-fold, no whitespace before
    // the colon, no invalid lines skipped, single spaces in the request line.
    let status =
        httparse::ParserConfig::default().parse_request_with_uninit_headers(&mut req, buf, slots);
    let len = match status {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return line::check_partial(buf, limits).map(|()| None),
        Err(httparse::Error::Version) => {
            return match line::version_verdict(buf) {
                Some(e) => Err(e),
                None => line::check_partial(buf, limits).map(|()| None),
            };
        }
        Err(e) => return Err(line::classify(e, buf, limits)),
    };
    // Complete means httparse filled method, path and version.
    let (Some(method), Some(path), Some(version)) = (req.method, req.path, req.version) else {
        return Err(ParseError::InvalidRequestLine);
    };
    let target = span_of(buf, path.as_bytes());
    if target.end - target.start > limits.max_uri_len {
        return Err(ParseError::UriTooLong);
    }
    if len > limits.max_header_bytes {
        return Err(ParseError::HeadTooLarge);
    }
    line::check_line_endings(&buf[..len])?;
    let method = Method::from_bytes(method.as_bytes()).map_err(|_| ParseError::InvalidMethod)?;
    let version = if version == 0 {
        Version::HTTP_10
    } else {
        Version::HTTP_11
    };
    spans.extend(req.headers.iter().map(|field| FieldSpan {
        name: span_of(buf, field.name.as_bytes()),
        value: span_of(buf, field.value),
    }));
    Ok(Some(RawHead {
        len,
        method,
        target,
        version,
    }))
}

/// The offsets of `part`, a sub-slice httparse returned, inside `buf`.
fn span_of(buf: &[u8], part: &[u8]) -> Span {
    let start = (part.as_ptr() as usize).wrapping_sub(buf.as_ptr() as usize);
    match start.checked_add(part.len()) {
        Some(end) if end <= buf.len() => Span { start, end },
        // httparse only hands out sub-slices of `buf`; an empty value may
        // point anywhere, and is empty wherever it points.
        _ => Span::default(),
    }
}

fn build(
    bytes: Bytes,
    raw: &RawHead,
    spans: &[FieldSpan],
    mut headers: HeaderMap,
) -> Result<RequestHead, ParseError> {
    let uri: Uri = target::parse(&raw.method, bytes.slice(raw.target.start..raw.target.end))?;
    headers
        .try_reserve(spans.len())
        .map_err(|_| ParseError::TooManyHeaders)?;
    let mut fields = semantics::Fields::default();
    for span in spans {
        let name = HeaderName::from_bytes(&bytes[span.name.start..span.name.end])
            .map_err(|_| ParseError::InvalidHeaderName)?;
        let value = HeaderValue::from_maybe_shared(bytes.slice(span.value.start..span.value.end))
            .map_err(|_| ParseError::InvalidHeaderValue)?;
        fields.observe(&name, &value);
        headers
            .try_append(name, value)
            .map_err(|_| ParseError::TooManyHeaders)?;
    }
    let meta = fields.finish(raw.version)?;
    Ok(RequestHead {
        method: raw.method.clone(),
        uri,
        version: raw.version,
        headers,
        framing: meta.framing,
        keep_alive: meta.keep_alive,
        expect_continue: meta.expect_continue,
    })
}
