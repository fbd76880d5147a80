//! actix-web 4 benchmark peer: `GET /plaintext` and `GET /json`, TechEmpower style.
//!
//! Environment: `PORT` (default 3000), `WORKERS` (default 2), and `TLS_CERT` with `TLS_KEY`
//! (PEM files, both or neither): HTTPS over rustls with its default aws-lc-rs provider and
//! ALPN `http/1.1`, as actix-web users get it (bench/files.sh). Listens on 127.0.0.1 only.

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
    // TechEmpower rules: every answer names its server (actix adds Date itself).
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

/// The TLS settings when `TLS_CERT` and `TLS_KEY` are set.
fn tls_config() -> io::Result<Option<ServerConfig>> {
    let (cert, key) = match (std::env::var("TLS_CERT"), std::env::var("TLS_KEY")) {
        (Ok(cert), Ok(key)) => (cert, key),
        (Err(_), Err(_)) => return Ok(None),
        _ => {
            return Err(io::Error::other(
                "set both TLS_CERT and TLS_KEY, or neither",
            ));
        }
    };
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
    Ok(Some(config))
}

#[actix_web::main]
async fn main() -> io::Result<()> {
    let port = env_number("PORT", 3000)?;
    let workers = env_number("WORKERS", 2)?;
    let port = u16::try_from(port).map_err(io::Error::other)?;
    let server = HttpServer::new(|| App::new().service(plaintext).service(json)).workers(workers);
    let server = match tls_config()? {
        Some(tls) => server.bind_rustls_0_23(("127.0.0.1", port), tls)?,
        None => server.bind(("127.0.0.1", port))?,
    };
    server.run().await
}
