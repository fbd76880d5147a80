//! TechEmpower-style hello world: `GET /plaintext` and `GET /json`.
//!
//! Environment: `HOST` (default 127.0.0.1; `0.0.0.0` for every interface, an IPv6
//! address or a host name work too), `PORT` (default 3000), `WORKERS` (default: the
//! available cores), `HIVER_DRIVER` (`uring` or `epoll`; default: io_uring when the
//! kernel allows it), `TLS_CERT` and `TLS_KEY` (PEM certificate chain and private key,
//! both or neither: HTTPS instead of HTTP; `SIGHUP` reloads them), `STATIC_DIR` (serve
//! that directory under `/static/` with `hiver-static`, paths and open files reused for
//! 60 s) and `GZIP_LEVEL` (1–9: gzip those
//! files on the fly at that level, for clients that accept it). The last two are what
//! `bench/files.sh` compares with nginx.

use std::ffi::OsString;
use std::process::ExitCode;

use hiver::middleware::Compression;
use hiver::response::Json;
use hiver::routing::get;
use hiver::tls::TlsConfig;
use hiver::{Router, Server};
use hiver_static::ServeDir;
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

/// The routes, separate from `main` so tests can drive them in-process: `/plaintext`,
/// `/json` and, given a directory, `/static/{*path}` (gzipped on the fly at `gzip_level`).
fn app(files: Option<ServeDir>, gzip_level: Option<u32>) -> Router {
    let router = Router::new()
        .route("/plaintext", get(plaintext))
        .route("/json", get(json));
    let Some(files) = files else {
        return router;
    };
    let files = match gzip_level {
        Some(level) => get(files).layer(Compression::new().gzip(level).no_brotli().no_zstd()),
        None => get(files),
    };
    router.route("/static/{*path}", files)
}

/// `STATIC_DIR` and `GZIP_LEVEL`, checked.
fn static_files() -> Result<(Option<ServeDir>, Option<u32>), String> {
    let level = match env_number("GZIP_LEVEL")? {
        Some(n @ 1..=9) => Some(n as u32),
        Some(n) => return Err(format!("GZIP_LEVEL must be 1 to 9, got {n}")),
        None => None,
    };
    match std::env::var_os("STATIC_DIR") {
        Some(dir) => {
            // Paths and open files reused for 60 s, as the nginx it is compared with does
            // (`open_file_cache_valid 60s` in bench/peers/nginx/static.conf.template).
            let files = ServeDir::builder(&dir)
                .open_file_cache(std::time::Duration::from_secs(60))
                .build()
                .map_err(|e| format!("STATIC_DIR: {e}"))?;
            Ok((Some(files), level))
        }
        None if level.is_some() => Err("GZIP_LEVEL needs STATIC_DIR".to_owned()),
        None => Ok((None, None)),
    }
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
    let (files, gzip_level) = match static_files() {
        Ok(f) => f,
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
    match server.run(app(files, gzip_level)) {
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
        let client = TestClient::new(super::app(None, None));
        let res = client.get("/plaintext").send();
        assert_eq!(res.status(), 200);
        assert_eq!(res.text(), "Hello, World!");
        assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
        let res = client.get("/json").send();
        assert_eq!(res.status(), 200);
        assert_eq!(res.text(), r#"{"message":"Hello, World!"}"#);
        assert_eq!(res.headers()["content-type"], "application/json");
    }

    #[test]
    fn static_files_gzipped_on_request() {
        let dir = std::env::temp_dir().join(format!("hello-static-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let page = "<p>hello</p>\n".repeat(200);
        std::fs::write(dir.join("page.html"), &page).unwrap();
        let files = hiver_static::ServeDir::new(&dir).unwrap();
        let client = TestClient::new(super::app(Some(files), Some(5)));
        let res = client.get("/static/page.html").send();
        assert_eq!(res.text(), page);
        assert_eq!(res.header("content-encoding"), None);
        let res = client
            .get("/static/page.html")
            .header("accept-encoding", "gzip")
            .send();
        assert_eq!(res.header("content-encoding"), Some("gzip"));
        assert!(res.bytes().len() < page.len() / 4, "{}", res.bytes().len());
        assert_eq!(client.get("/static/missing.html").send().status(), 404);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
