//! The access log: one line per request, as text or JSON, through `tracing` or to a file.

use std::fmt::{self, Write as _};
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::Stream;
use hiver_http::{BodyInner, BoxError};
use http::{Method, Version};
use serde::Serialize;

use super::{RequestId, X_REQUEST_ID};
use crate::middleware::Layer;
use crate::routing::Route;
use crate::{Body, ConnectionInfo, Request, Response};

/// The target of the access-log events sent through `tracing`, for filtering.
pub const ACCESS_TARGET: &str = "hiver::access";

/// Writes one line per request: time, client address, method, target, version, status,
/// body bytes, duration and request id.
///
/// - **Format:** [`text`](Self::text) (one line in the spirit of nginx's `combined`) or
///   [`json`](Self::json) (one object per line).
/// - **Sink:** `tracing` by default (an `INFO` event with target [`ACCESS_TARGET`], the
///   line as its message and every value as a field), or [`to_file`](Self::to_file): the
///   lines are appended to the file, each with one `write` under a lock, so no line is
///   held in a buffer when the server stops and lines of different workers never
///   interleave. The write happens on the worker thread.
/// - **Bytes** are the body bytes the handler produced (0 for `HEAD`, whose body is not
///   sent). For a streamed body they are counted as the chunks pass and the line is
///   written when the stream ends, or when it is dropped before its end (the client went
///   away; `"complete": false`).
/// - **Duration** runs from the request entering this layer until the response is
///   ready, or for a streamed body until its last chunk was produced.
/// - **Request id:** the [`RequestId`] of an outer [`TraceLayer`](super::TraceLayer) if
///   there is one, else the request's valid `X-Request-Id`, else a generated one; it is
///   put in the request's extensions and echoed in the response's `X-Request-Id`, as
///   `TraceLayer` does.
///
/// Add it with [`Router::layer`](crate::Router::layer) so 404s and 405s are logged too.
///
/// # Examples
///
/// ```no_run
/// use hiver::routing::get;
/// use hiver::trace::AccessLog;
/// use hiver::Router;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let app = Router::new()
///     .route("/", get(|| async { "hi" }))
///     .layer(AccessLog::json().to_file("access.log")?);
/// hiver::serve("127.0.0.1:3000", app)?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct AccessLog {
    format: AccessLogFormat,
    sink: Sink,
}

/// How an access-log line is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessLogFormat {
    /// `2026-12-05T06:20:00.123Z 127.0.0.1:51234 "GET /a?b=1 HTTP/1.1" 200 13 0.412ms id=…`
    /// (`incomplete` is appended when a streamed body ended early).
    Text,
    /// `{"time":…,"peer":…,"method":…,"target":…,"version":…,"status":…,"bytes":…,
    /// "duration_us":…,"request_id":…,"complete":…}`
    Json,
}

#[derive(Clone)]
enum Sink {
    Tracing,
    /// The file and its path (for the error message when a write fails). Shared by every
    /// worker; the lock is held for one `write_all` of one line.
    File(Arc<(Mutex<File>, PathBuf)>),
}

impl fmt::Debug for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sink::Tracing => f.write_str("Tracing"),
            Sink::File(file) => f.debug_tuple("File").field(&file.1).finish(),
        }
    }
}

/// The access log file could not be opened.
#[derive(Debug)]
pub struct AccessLogError {
    path: PathBuf,
    source: std::io::Error,
}

impl AccessLogError {
    /// The file that could not be opened.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl fmt::Display for AccessLogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot open the access log {}: {}",
            self.path.display(),
            self.source
        )
    }
}

impl std::error::Error for AccessLogError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

impl AccessLog {
    /// Text lines, through `tracing`.
    pub fn text() -> Self {
        AccessLog {
            format: AccessLogFormat::Text,
            sink: Sink::Tracing,
        }
    }

    /// JSON lines, through `tracing`.
    pub fn json() -> Self {
        AccessLog {
            format: AccessLogFormat::Json,
            sink: Sink::Tracing,
        }
    }

    /// The format of the lines.
    pub fn format(&self) -> AccessLogFormat {
        self.format
    }

    /// Appends the lines to `path` (created if missing, never truncated).
    ///
    /// # Errors
    ///
    /// The file cannot be opened for appending (missing directory, permissions); the
    /// error names the path.
    pub fn to_file(mut self, path: impl AsRef<Path>) -> Result<Self, AccessLogError> {
        let path = path.as_ref();
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| AccessLogError {
                path: path.to_path_buf(),
                source,
            })?;
        self.sink = Sink::File(Arc::new((Mutex::new(file), path.to_path_buf())));
        Ok(self)
    }

    /// Sends the lines through `tracing` (the default).
    pub fn to_tracing(mut self) -> Self {
        self.sink = Sink::Tracing;
        self
    }
}

impl Layer for AccessLog {
    fn layer(&self, inner: Route) -> Route {
        let log = self.clone();
        Route::new(move |req| log.call(&inner, req))
    }
}

impl AccessLog {
    fn call(&self, inner: &Route, mut req: Request) -> impl Future<Output = Response> + use<> {
        let start = Instant::now();
        let id = match req.extensions().get::<RequestId>() {
            Some(id) => id.clone(),
            None => RequestId::from_headers(req.headers()),
        };
        req.extensions_mut().insert(id.clone());
        let entry = Entry {
            time: SystemTime::now(),
            start,
            peer: req
                .extensions()
                .get::<ConnectionInfo>()
                .map(|c| c.peer_addr.to_string()),
            head: req.method() == Method::HEAD,
            method: req.method().clone(),
            target: req
                .uri()
                .path_and_query()
                .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned()),
            version: req.version(),
            status: 0,
            request_id: id.clone(),
        };
        let fut = inner.call(req);
        let log = self.clone();
        async move {
            let mut res = fut.await;
            res.headers_mut()
                .insert(X_REQUEST_ID, id.header_value().clone());
            let mut entry = entry;
            entry.status = res.status().as_u16();
            if entry.head {
                log.write(&entry, 0, true);
                return res;
            }
            let (parts, body) = res.into_parts();
            let body = match body.into_inner() {
                BodyInner::Stream(stream) => Body::stream(Counted {
                    stream,
                    bytes: 0,
                    pending: Some((log, entry)),
                }),
                BodyInner::Full(bytes) => {
                    log.write(&entry, bytes.len() as u64, true);
                    Body::full(bytes)
                }
                BodyInner::File(region) => {
                    log.write(&entry, region.len(), true);
                    Body::file(region)
                }
            };
            Response::from_parts(parts, body)
        }
    }

    fn write(&self, entry: &Entry, bytes: u64, complete: bool) {
        let duration_us = u64::try_from(entry.start.elapsed().as_micros()).unwrap_or(u64::MAX);
        let line = match self.format {
            AccessLogFormat::Text => entry.text(bytes, duration_us, complete),
            AccessLogFormat::Json => entry.json(bytes, duration_us, complete),
        };
        match &self.sink {
            Sink::Tracing => tracing::info!(
                target: ACCESS_TARGET,
                method = %entry.method,
                target_uri = entry.target.as_str(),
                status = entry.status,
                bytes,
                duration_us,
                request_id = entry.request_id.as_str(),
                peer = entry.peer.as_deref().unwrap_or("-"),
                complete,
                "{line}"
            ),
            Sink::File(file) => {
                let mut line = line;
                line.push('\n');
                // A poisoned lock only means another worker panicked mid-write; the file
                // itself is still fine to append to.
                let mut f = file.0.lock().unwrap_or_else(|e| e.into_inner());
                if let Err(e) = f.write_all(line.as_bytes()) {
                    tracing::error!(target: ACCESS_TARGET, path = %file.1.display(), error = %e, "cannot write the access log");
                }
            }
        }
    }
}

/// What is known of a request when it enters the layer, plus its status.
struct Entry {
    time: SystemTime,
    start: Instant,
    peer: Option<String>,
    head: bool,
    method: Method,
    target: String,
    version: Version,
    status: u16,
    request_id: RequestId,
}

#[derive(Serialize)]
struct JsonLine<'a> {
    time: &'a str,
    peer: Option<&'a str>,
    method: &'a str,
    target: &'a str,
    version: &'a str,
    status: u16,
    bytes: u64,
    duration_us: u64,
    request_id: &'a str,
    complete: bool,
}

impl Entry {
    fn text(&self, bytes: u64, duration_us: u64, complete: bool) -> String {
        let mut line = String::with_capacity(128 + self.target.len());
        // Writing to a String cannot fail.
        let _ = write!(
            line,
            "{} {} \"{} {} {:?}\" {} {} {}.{:03}ms id={}",
            rfc3339(self.time),
            self.peer.as_deref().unwrap_or("-"),
            self.method,
            escape_target(&self.target),
            self.version,
            self.status,
            bytes,
            duration_us / 1000,
            duration_us % 1000,
            self.request_id.as_str(),
        );
        if !complete {
            line.push_str(" incomplete");
        }
        line
    }

    fn json(&self, bytes: u64, duration_us: u64, complete: bool) -> String {
        let version = format!("{:?}", self.version);
        let line = JsonLine {
            time: &rfc3339(self.time),
            peer: self.peer.as_deref(),
            method: self.method.as_str(),
            target: &self.target,
            version: &version,
            status: self.status,
            bytes,
            duration_us,
            request_id: self.request_id.as_str(),
            complete,
        };
        // Serializing plain strings and integers cannot fail.
        serde_json::to_string(&line).unwrap_or_default()
    }
}

/// A request target is visible ASCII (the parser refuses anything else), but `"` and
/// `\` would make the quoted text field ambiguous.
fn escape_target(target: &str) -> std::borrow::Cow<'_, str> {
    if !target.contains(['"', '\\']) {
        return target.into();
    }
    target.replace('\\', "\\\\").replace('"', "\\\"").into()
}

/// `2026-12-05T06:20:00.123Z`: UTC, milliseconds (days to a civil date after Howard
/// Hinnant's `civil_from_days`).
fn rfc3339(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// A streamed body that counts its bytes and writes the line when it ends or is dropped.
struct Counted {
    stream: hiver_http::BodyStream,
    bytes: u64,
    /// Taken when the line is written.
    pending: Option<(AccessLog, Entry)>,
}

impl Stream for Counted {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let next = this.stream.as_mut().poll_next(cx);
        match &next {
            Poll::Ready(Some(Ok(chunk))) => this.bytes += chunk.len() as u64,
            Poll::Ready(Some(Err(_))) => this.finish(false),
            Poll::Ready(None) => this.finish(true),
            Poll::Pending => {}
        }
        next
    }
}

impl Counted {
    fn finish(&mut self, complete: bool) {
        if let Some((log, entry)) = self.pending.take() {
            log.write(&entry, self.bytes, complete);
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.finish(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_796_454_000_123);
        assert_eq!(rfc3339(t), "2026-12-05T07:00:00.123Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn targets_are_escaped_in_text() {
        assert_eq!(escape_target("/a?b=1"), "/a?b=1");
        assert_eq!(escape_target("/a\"b\\c"), "/a\\\"b\\\\c");
    }

    #[test]
    fn unopenable_file_names_the_path() {
        let err = AccessLog::text()
            .to_file("/nonexistent-dir-for-hiver-tests/access.log")
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("/nonexistent-dir-for-hiver-tests/access.log")
        );
        assert_eq!(
            err.path(),
            Path::new("/nonexistent-dir-for-hiver-tests/access.log")
        );
    }
}
