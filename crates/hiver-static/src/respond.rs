//! From a file on disk to the response: content negotiation over precompressed
//! siblings, validators, preconditions, ranges, and a file body.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hiver::encoding::{AcceptEncoding, Encoding};
use hiver::http::header::{
    ACCEPT_RANGES, ALLOW, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_RANGE, CONTENT_TYPE, ETAG,
    HeaderValue, LAST_MODIFIED, RANGE, VARY,
};
use hiver::http::{HeaderMap, Method, StatusCode};
use hiver::{Body, FileRegion, Response};

use crate::conditional::{Validators, Verdict};
use crate::lookup::{self, Opened};
use crate::options::Options;
use crate::{mime, range};

/// `405 Method Not Allowed` unless `method` is GET or HEAD.
pub(crate) fn method_not_allowed(method: &Method) -> Option<Response> {
    if method == Method::GET || method == Method::HEAD {
        return None;
    }
    let mut res = status(StatusCode::METHOD_NOT_ALLOWED, "405 Method Not Allowed");
    res.headers_mut()
        .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
    Some(res)
}

/// A plain-text response with `status`.
pub(crate) fn status(status: StatusCode, reason: &'static str) -> Response {
    let mut res = Response::new(Body::full(reason));
    *res.status_mut() = status;
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

pub(crate) fn not_found() -> Response {
    status(StatusCode::NOT_FOUND, "404 Not Found")
}

/// The answer to an I/O error while serving `path`: 404 for what does not exist or may
/// not be read (a 403 would tell that the file exists), 500 (logged) for anything else.
pub(crate) fn io_error(path: &Path, error: &io::Error) -> Response {
    match error.kind() {
        io::ErrorKind::NotFound
        | io::ErrorKind::PermissionDenied
        | io::ErrorKind::NotADirectory
        | io::ErrorKind::InvalidInput => not_found(),
        _ => {
            tracing::error!(path = %path.display(), error = %error, "static file: I/O error");
            status(
                StatusCode::INTERNAL_SERVER_ERROR,
                "500 Internal Server Error",
            )
        }
    }
}

/// Where a file may be read from: its own path and those of the precompressed siblings
/// that exist (inside `root`, when there is one).
fn variants(
    options: &Options,
    root: Option<&Path>,
    path: &Path,
    accept: &AcceptEncoding,
) -> Vec<(Encoding, PathBuf)> {
    options
        .precompressed
        .iter()
        .filter(|&&e| accept.weight(e) > 0)
        .filter_map(|&e| {
            let mut sibling = path.as_os_str().to_owned();
            sibling.push(extension(e));
            let sibling = PathBuf::from(sibling);
            let resolved = lookup::resolve(&sibling, options.open_cache).ok()?;
            let inside = root.is_none_or(|root| resolved.canonical.starts_with(root));
            (inside && resolved.is_file).then_some((e, sibling))
        })
        .collect()
}

fn extension(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Brotli => ".br",
        Encoding::Gzip => ".gz",
        Encoding::Zstd => ".zst",
        Encoding::Identity => "",
    }
}

/// Answers a GET or HEAD for the regular file at `path` (already checked to be inside
/// `root`, when there is one).
pub(crate) fn file(
    options: &Options,
    root: Option<&Path>,
    path: &Path,
    method: &Method,
    headers: &HeaderMap,
) -> Response {
    let accept = AcceptEncoding::from_headers(headers);
    let variants = variants(options, root, path, &accept);
    let codings: Vec<Encoding> = variants.iter().map(|(e, _)| *e).collect();
    let chosen = accept.negotiate(&codings).unwrap_or(Encoding::Identity);
    let source = variants
        .iter()
        .find(|(e, _)| *e == chosen)
        .map_or(path, |(_, p)| p.as_path());
    let Opened {
        file,
        len,
        modified,
    } = match lookup::open(source, options.open_cache) {
        Ok(opened) => opened,
        Err(e) => return io_error(source, &e),
    };
    let validators = Validators::new(len, modified, chosen.content_encoding());
    let mut head = HeaderMap::new();
    validator_headers(&mut head, &validators);
    head.insert(CACHE_CONTROL, options.cache_control_for(path));
    if !options.precompressed.is_empty() {
        head.insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    match validators.evaluate(headers) {
        Verdict::Send => {}
        Verdict::NotModified => return with_headers(StatusCode::NOT_MODIFIED, head, Body::empty()),
        Verdict::Failed => {
            let res = status(StatusCode::PRECONDITION_FAILED, "412 Precondition Failed");
            return merge(res, head);
        }
    }
    head.insert(CONTENT_TYPE, mime::content_type(path));
    head.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(coding) = chosen.content_encoding() {
        head.insert(CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    body(file, len, method, headers, &validators, head)
}

/// The 200, 206 or 416 answer once the preconditions passed.
fn body(
    file: Arc<File>,
    len: u64,
    method: &Method,
    headers: &HeaderMap,
    validators: &Validators,
    mut head: HeaderMap,
) -> Response {
    // Range handling is only defined for GET (RFC 9110 §14.2).
    let range = headers
        .get(RANGE)
        .filter(|_| method == Method::GET && validators.if_range(headers))
        .and_then(|v| v.to_str().ok())
        .map_or(range::Ranged::Full, |v| range::parse(v, len));
    match range {
        range::Ranged::Full => with_headers(
            StatusCode::OK,
            head,
            Body::file(FileRegion::new(file, 0, len)),
        ),
        range::Ranged::Part { start, len: part } => {
            let end = start + part - 1;
            head.insert(CONTENT_RANGE, header(format!("bytes {start}-{end}/{len}")));
            let region = FileRegion::new(file, start, part);
            with_headers(StatusCode::PARTIAL_CONTENT, head, Body::file(region))
        }
        range::Ranged::Unsatisfiable => {
            let res = status(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "416 Range Not Satisfiable",
            );
            let mut res = merge(res, head);
            res.headers_mut()
                .insert(CONTENT_RANGE, header(format!("bytes */{len}")));
            res
        }
    }
}

fn validator_headers(head: &mut HeaderMap, validators: &Validators) {
    head.insert(ETAG, header(validators.etag.clone()));
    if let Some(date) = validators.last_modified() {
        head.insert(LAST_MODIFIED, header(date));
    }
}

/// A header value from text this crate formatted (ASCII digits, hex, HTTP dates).
fn header(text: String) -> HeaderValue {
    HeaderValue::try_from(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn with_headers(status: StatusCode, head: HeaderMap, body: Body) -> Response {
    let mut res = Response::new(body);
    *res.status_mut() = status;
    *res.headers_mut() = head;
    res
}

fn merge(mut res: Response, head: HeaderMap) -> Response {
    for (name, value) in &head {
        res.headers_mut().insert(name, value.clone());
    }
    res
}
