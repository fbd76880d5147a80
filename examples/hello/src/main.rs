//! TechEmpower-style hello world: `GET /plaintext` and `GET /json`.
//!
//! Environment: `HOST` (default 127.0.0.1; `0.0.0.0` for every interface, an IPv6
//! address or a host name work too), `PORT` (default 3000), `WORKERS` (default: the
//! available cores), `HIVER_DRIVER` (`uring` or `epoll`; default: io_uring when the
//! kernel allows it), `TLS_CERT` and `TLS_KEY` (PEM certificate chain and private key,
//! both or neither: HTTPS instead of HTTP; `SIGHUP` reloads them).

use std::ffi::OsString;
use std::process::ExitCode;

use hiver::response::Json;
use hiver::routing::get;
use hiver::tls::TlsConfig;
use hiver::{Router, Server};
use serde::Serialize;

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

async fn plaintext() -> &'static str {
    "Hello, World!"
}

async fn json() -> Json<Message> {
    Json(Message {
        message: "Hello, World!",
    })
}

/// The routes, separate from `main` so tests can drive them in-process.
fn app() -> Router {
    Router::new()
        .route("/plaintext", get(plaintext))
        .route("/json", get(json))
}

fn env_number(name: &str) -> Result<Option<usize>, String> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .map(Some)
            .map_err(|_| format!("{name} must be a whole number, got {v:?}")),
        Err(_) => Ok(None),
    }
}

/// The certificate and key files from `TLS_CERT` and `TLS_KEY`: both or neither.
fn tls_files(
    cert: Option<OsString>,
    key: Option<OsString>,
) -> Result<Option<(OsString, OsString)>, String> {
    match (cert, key) {
        (Some(cert), Some(key)) => Ok(Some((cert, key))),
        (None, None) => Ok(None),
        (Some(_), None) => Err("TLS_CERT is set but TLS_KEY is not: set both or neither".into()),
        (None, Some(_)) => Err("TLS_KEY is set but TLS_CERT is not: set both or neither".into()),
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let (port, workers) = match (env_number("PORT"), env_number("WORKERS")) {
        (Ok(p), Ok(w)) => (p.unwrap_or(3000), w),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("hello: {e}");
            return ExitCode::from(2);
        }
    };
    let tls = match tls_files(std::env::var_os("TLS_CERT"), std::env::var_os("TLS_KEY")) {
        Ok(Some((cert, key))) => match TlsConfig::from_pem_files(cert, key) {
            Ok(config) => Some(config),
            Err(e) => {
                eprintln!("hello: {e}");
                return ExitCode::from(2);
            }
        },
        Ok(None) => None,
        Err(e) => {
            eprintln!("hello: {e}");
            return ExitCode::from(2);
        }
    };
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".to_owned());
    let addr = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut server = Server::bind(addr);
    if let Some(n) = workers {
        server = server.workers(n);
    }
    if let Some(tls) = tls {
        server = server.tls(tls);
    }
    match server.run(app()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hello: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use hiver::test::TestClient;

    #[test]
    fn tls_files_both_or_neither() {
        let f = |c: Option<&str>, k: Option<&str>| {
            super::tls_files(c.map(Into::into), k.map(Into::into))
        };
        assert_eq!(f(None, None), Ok(None));
        assert_eq!(f(Some("c"), Some("k")), Ok(Some(("c".into(), "k".into()))));
        assert!(f(Some("c"), None).unwrap_err().contains("TLS_KEY is not"));
        assert!(f(None, Some("k")).unwrap_err().contains("TLS_CERT is not"));
    }

    #[test]
    fn plaintext_and_json_answer_like_techempower() {
        let client = TestClient::new(super::app());
        let res = client.get("/plaintext").send();
        assert_eq!(res.status(), 200);
        assert_eq!(res.text(), "Hello, World!");
        assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
        let res = client.get("/json").send();
        assert_eq!(res.status(), 200);
        assert_eq!(res.text(), r#"{"message":"Hello, World!"}"#);
        assert_eq!(res.headers()["content-type"], "application/json");
    }
}
