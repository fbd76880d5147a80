//! axum 0.8 benchmark peer: `GET /plaintext` and `GET /json`, TechEmpower style, on a tokio
//! multi-thread runtime (`axum::serve`, HTTP/1 only). Answers carry `Server` and `Date`
//! like every server in the benchmark; hyper adds `Date`.
//!
//! Environment: `PORT` (default 3000), `WORKERS` (default 2) = tokio worker threads.
//! Listens on 127.0.0.1 only.

use axum::http::HeaderValue;
use axum::http::header::SERVER;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::{Json, Router};
use serde::Serialize;
use tokio::net::TcpListener;

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

const SERVER_NAME: HeaderValue = HeaderValue::from_static("axum");

async fn plaintext() -> impl IntoResponse {
    ([(SERVER, SERVER_NAME)], "Hello, World!")
}

async fn json() -> impl IntoResponse {
    (
        [(SERVER, SERVER_NAME)],
        Json(Message {
            message: "Hello, World!",
        }),
    )
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
    let app = Router::new()
        .route("/plaintext", get(plaintext))
        .route("/json", get(json));
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await?
        .tap_io(|stream| {
            // Every peer sets TCP_NODELAY; a failure only costs latency, not correctness.
            let _ = stream.set_nodelay(true);
        });
    axum::serve(listener, app).await
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
