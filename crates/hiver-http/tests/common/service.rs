//! The service every black-box test talks to: a few routes that make what the connection
//! loop did visible in the response.

use std::fs::{File, OpenOptions};
use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use hiver_http::http::{HeaderValue, StatusCode};
use hiver_http::{Body, BoxError, ConnectionInfo, FileRegion, Request, Response, Service};

/// Routes by path:
/// - `/` → `hello`
/// - `/echo` → the request body, its length in `x-body-len`
/// - `/slow?ms=N` → sleeps N ms, then `slept N`
/// - `/stream?n=N&delay=MS` → a streamed body `chunk0;chunk1;…` (default 5 chunks)
/// - `/method` → the method
/// - `/header?name=X` → the values of request header X, joined by `|`
/// - `/version` → `HTTP/1.0` or `HTTP/1.1`
/// - `/uri/…` → the path and query of the request-target
/// - `/big?n=N` → N bytes of `abcdefghij` repeated
/// - `/file?n=N&over=M` → the same N bytes as a file body (a `memfd`) whose region claims
///   M bytes more than the file holds (default 0)
/// - `/memory?n=N` → the same N bytes as an in-memory file body (`FileRegion::memory`)
/// - `/status?code=N` → status N with the body `x`, which the server must drop where
///   the status allows no content (1xx, 204, 304)
/// - `/peer` → `<peer addr> <local addr>` from the request's `ConnectionInfo`
/// - anything else → 404
pub struct TestService;

impl Service for TestService {
    fn call(&self, req: Request) -> impl Future<Output = Response> {
        route(req)
    }
}

async fn route(req: Request) -> Response {
    let path = req.uri().path().to_owned();
    match path.as_str() {
        "/" => text("hello"),
        "/echo" => echo(req),
        "/slow" => {
            let ms = query_num(&req, "ms").unwrap_or(0);
            hiver_runtime::time::sleep(Duration::from_millis(ms)).await;
            text(format!("slept {ms}"))
        }
        "/stream" => stream(&req),
        "/method" => text(req.method().as_str().to_owned()),
        "/header" => header(&req),
        "/version" => text(format!("{:?}", req.version())),
        "/big" => {
            let n = query_num(&req, "n").unwrap_or(0) as usize;
            text(
                b"abcdefghij"
                    .iter()
                    .cycle()
                    .take(n)
                    .copied()
                    .collect::<Vec<u8>>(),
            )
        }
        "/file" => {
            let n = query_num(&req, "n").unwrap_or(0);
            let over = query_num(&req, "over").unwrap_or(0);
            match pattern_file(n) {
                Ok(file) => text(Body::file(FileRegion::new(file, 0, n + over))),
                Err(e) => status(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            }
        }
        "/memory" => {
            let n = query_num(&req, "n").unwrap_or(0);
            let bytes = big_body(usize::try_from(n).unwrap_or(0));
            match FileRegion::memory("test", &bytes) {
                Ok(region) => text(Body::file(region)),
                Err(e) => status(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            }
        }
        "/status" => {
            let code = query_num(&req, "code").and_then(|c| u16::try_from(c).ok());
            match code.and_then(|c| StatusCode::from_u16(c).ok()) {
                Some(code) => status(code, "x"),
                None => status(StatusCode::BAD_REQUEST, "code= missing"),
            }
        }
        "/peer" => match req.extensions().get::<ConnectionInfo>() {
            Some(info) => text(format!("{} {}", info.peer_addr, info.local_addr)),
            None => status(StatusCode::INTERNAL_SERVER_ERROR, "no ConnectionInfo"),
        },
        p if p.starts_with("/uri/") => {
            let pq = req.uri().path_and_query().map(|pq| pq.as_str().to_owned());
            text(pq.unwrap_or_default())
        }
        _ => status(StatusCode::NOT_FOUND, "not found"),
    }
}

fn text(body: impl Into<Body>) -> Response {
    status(StatusCode::OK, body)
}

fn status(code: StatusCode, body: impl Into<Body>) -> Response {
    let mut resp = Response::new(body.into());
    *resp.status_mut() = code;
    resp
}

fn echo(req: Request) -> Response {
    let body = req.body().as_bytes().cloned().unwrap_or_default();
    let mut resp = text(body.clone());
    resp.headers_mut()
        .insert("x-body-len", HeaderValue::from(body.len()));
    resp
}

fn header(req: &Request) -> Response {
    let Some(name) = query(req, "name") else {
        return status(StatusCode::BAD_REQUEST, "name= missing");
    };
    let values: Vec<String> = req
        .headers()
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    text(values.join("|"))
}

fn stream(req: &Request) -> Response {
    let n = query_num(req, "n").unwrap_or(5);
    let delay = Duration::from_millis(query_num(req, "delay").unwrap_or(0));
    let chunks = futures_util::stream::unfold(0, move |i| async move {
        if i == n {
            return None;
        }
        if !delay.is_zero() {
            hiver_runtime::time::sleep(delay).await;
        }
        Some((Ok::<_, BoxError>(Bytes::from(format!("chunk{i};"))), i + 1))
    });
    text(Body::stream(chunks))
}

/// The decoded body `/stream?n=N` sends.
pub fn stream_body(n: u64) -> String {
    (0..n).map(|i| format!("chunk{i};")).collect()
}

fn query<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.uri()
        .query()?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn query_num(req: &Request, name: &str) -> Option<u64> {
    query(req, name)?.parse().ok()
}

/// The body `/big?n=N` and `/file?n=N` send.
pub fn big_body(n: usize) -> Vec<u8> {
    b"abcdefghij".iter().cycle().take(n).copied().collect()
}

/// An open, already unlinked temporary file holding `big_body(n)`.
fn pattern_file(n: u64) -> std::io::Result<Arc<File>> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "hiver-http-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    std::fs::remove_file(&path)?;
    file.write_all(&big_body(n as usize))?;
    Ok(Arc::new(file))
}
