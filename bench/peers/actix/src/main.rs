//! actix-web 4 benchmark peer: `GET /plaintext` and `GET /json`, TechEmpower style.
//!
//! Environment: `PORT` (default 3000), `WORKERS` (default 2). Listens on 127.0.0.1 only.

use actix_web::{App, HttpResponse, HttpServer, Responder, get, http::header::ContentType, web};
use serde::Serialize;

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

#[get("/plaintext")]
async fn plaintext() -> impl Responder {
    HttpResponse::Ok()
        .content_type(ContentType::plaintext())
        .insert_header(("Server", "actix"))
        .body("Hello, World!")
}

#[get("/json")]
async fn json() -> impl Responder {
    // TechEmpower rules: every answer names its server (actix adds Date itself).
    web::Json(Message {
        message: "Hello, World!",
    })
    .customize()
    .insert_header(("Server", "actix"))
}

fn env_number(name: &str, default: usize) -> std::io::Result<usize> {
    match std::env::var(name) {
        Ok(v) => v.parse().map_err(|_| {
            std::io::Error::other(format!("{name} must be a whole number, got {v:?}"))
        }),
        Err(_) => Ok(default),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port = env_number("PORT", 3000)?;
    let workers = env_number("WORKERS", 2)?;
    let port = u16::try_from(port).map_err(std::io::Error::other)?;
    HttpServer::new(|| App::new().service(plaintext).service(json))
        .workers(workers)
        .bind(("127.0.0.1", port))?
        .run()
        .await
}
