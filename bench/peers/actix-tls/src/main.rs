//! actix-web 4 over rustls, benchmark peer for TLS: `GET /plaintext` and `GET /json`.
//!
//! Environment: `PORT` (default 3000), `WORKERS` (default 2), `TLS_CERT` and `TLS_KEY`
//! (PEM files, required). Listens on 127.0.0.1 only; ALPN `http/1.1`.

use std::io;

use actix_web::{App, HttpResponse, HttpServer, Responder, get, http::header::ContentType, web};
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
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
    web::Json(Message {
        message: "Hello, World!",
    })
    .customize()
    .insert_header(("Server", "actix"))
}

fn env_number(name: &str, default: usize) -> io::Result<usize> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .map_err(|_| io::Error::other(format!("{name} must be a whole number, got {v:?}"))),
        Err(_) => Ok(default),
    }
}

fn tls_config() -> io::Result<ServerConfig> {
    let var = |name: &str| {
        std::env::var(name).map_err(|_| io::Error::other(format!("{name} is required")))
    };
    let (cert, key) = (var("TLS_CERT")?, var("TLS_KEY")?);
    let chain = CertificateDer::pem_file_iter(&cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| io::Error::other(format!("{cert}: {e}")))?;
    let key =
        PrivateKeyDer::from_pem_file(&key).map_err(|e| io::Error::other(format!("{key}: {e}")))?;
    let mut config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(io::Error::other)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[actix_web::main]
async fn main() -> io::Result<()> {
    let port = env_number("PORT", 3000)?;
    let workers = env_number("WORKERS", 2)?;
    let port = u16::try_from(port).map_err(io::Error::other)?;
    let tls = tls_config()?;
    HttpServer::new(|| App::new().service(plaintext).service(json))
        .workers(workers)
        .bind_rustls_0_23(("127.0.0.1", port), tls)?
        .run()
        .await
}
