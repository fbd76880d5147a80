//! TechEmpower-style hello world: `GET /plaintext` and `GET /json`.
//!
//! Environment: `HOST` (default 127.0.0.1; `0.0.0.0` for every interface, an IPv6
//! address or a host name work too), `PORT`
//! (default 3000), `WORKERS` (default: the available cores),
//! `HIVER_DRIVER` (`uring` or `epoll`; default: io_uring when the kernel allows it).

use std::process::ExitCode;

use hiver::response::Json;
use hiver::routing::get;
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
