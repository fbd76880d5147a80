//! hyper 1 benchmark peer: the plain hyper hello-world server (HTTP/1 only, keep-alive,
//! `pipeline_flush` on) on a tokio multi-thread runtime, answering `GET /plaintext` and
//! `GET /json` TechEmpower style.
//!
//! Environment: `PORT` (default 3000), `WORKERS` (default 2) = tokio worker threads.
//! Listens on 127.0.0.1 only.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue, SERVER};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpListener;

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

fn respond(content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(body));
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    // TechEmpower rules: every answer names its server (hyper adds Date itself).
    res.headers_mut()
        .insert(SERVER, HeaderValue::from_static("hyper"));
    res
}

async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let res = match (req.method(), req.uri().path()) {
        (&Method::GET, "/plaintext") => respond(
            "text/plain; charset=utf-8",
            Bytes::from_static(b"Hello, World!"),
        ),
        (&Method::GET, "/json") => {
            let msg = Message {
                message: "Hello, World!",
            };
            // Serialising a struct of one &str into a Vec cannot fail.
            let body = serde_json::to_vec(&msg).unwrap_or_default();
            respond("application/json", Bytes::from(body))
        }
        _ => {
            let mut res = Response::new(Full::new(Bytes::new()));
            *res.status_mut() = StatusCode::NOT_FOUND;
            res
        }
    };
    Ok(res)
}

fn env_number(name: &str, default: usize) -> std::io::Result<usize> {
    match std::env::var(name) {
        Ok(v) => v.parse().map_err(|_| {
            std::io::Error::other(format!("{name} must be a whole number, got {v:?}"))
        }),
        Err(_) => Ok(default),
    }
}

async fn serve(port: u16) -> std::io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        tokio::spawn(async move {
            // A client that goes away mid-request is not an error worth reporting here.
            let _ = http1::Builder::new()
                .keep_alive(true)
                .pipeline_flush(true)
                .serve_connection(TokioIo::new(stream), service_fn(handle))
                .await;
        });
    }
}

fn main() -> std::io::Result<()> {
    let port = u16::try_from(env_number("PORT", 3000)?).map_err(std::io::Error::other)?;
    let workers = env_number("WORKERS", 2)?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_io()
        .build()?
        .block_on(serve(port))
}
