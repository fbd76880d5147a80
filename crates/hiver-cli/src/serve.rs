//! `hiver serve`: the site's routes, `/metrics`, and the server, until Ctrl-C has drained.

use std::io::Write;

use hiver::http::{Method, StatusCode};
use hiver::metrics::{self, Metrics};
use hiver::middleware::{self, Layer, Next};
use hiver::routing::get;
use hiver::{Http1Config, Request, Router, Server};
use hiver_ssr::Ssr;
use hiver_static::ServeDir;

use crate::config::{Config, MetricsConfig, ServerConfig};
use crate::error::CliError;
use crate::site::Site;

/// Serves the site until SIGINT or SIGTERM has drained the server.
///
/// # Errors
///
/// Bad input (see [`Site::load`]) or a metrics path that a client file also has; a runtime
/// error when the server cannot start (the port is taken) or a worker fails.
pub fn run(config: &Config) -> Result<(), CliError> {
    let site = Site::load(&config.ssr)?;
    let files = match &config.ssr.static_dir {
        Some(dir) => Some(ServeDir::new(dir).map_err(|e| CliError::input(format!("static: {e}")))?),
        None => None,
    };
    let metrics = config.metrics.enabled.then(Metrics::new);
    let router = router(&site.ssr, files, metrics.as_ref(), &config.metrics)?;
    let handle = server(&config.server, metrics.as_ref())
        .start(router)
        .map_err(|e| {
            if e.is_config() {
                CliError::input(e.to_string())
            } else {
                CliError::runtime(e.to_string())
            }
        })?;
    // Scripts and tests wait for this line to learn the port (with `port = 0`).
    let mut stdout = std::io::stdout().lock();
    // A closed stdout (the reader went away) must not stop the server.
    let _ = writeln!(stdout, "hiver: serving on http://{}", handle.local_addr());
    let _ = stdout.flush();
    drop(stdout);
    handle
        .wait()
        .map_err(|e| CliError::runtime(format!("the server stopped with an error: {e}")))
}

/// The pages and assets, the static directory's files (before the pages), and the metrics
/// endpoint and layer when metrics are on.
fn router(
    ssr: &Ssr,
    files: Option<ServeDir>,
    metrics: Option<&Metrics>,
    config: &MetricsConfig,
) -> Result<Router, CliError> {
    // Router::route refuses patterns with braces; a manifest naming such a file is input.
    if let Some(odd) = ssr.asset_paths().find(|p| p.contains(['{', '}'])) {
        let message = format!("the manifest names a file that cannot be served: {odd:?}");
        return Err(CliError::input(message));
    }
    let site = match files {
        Some(files) => ssr.router().layer(static_first(files)),
        None => ssr.router(),
    };
    let Some(metrics) = metrics else {
        return Ok(site);
    };
    if ssr.asset_paths().any(|p| p == config.path) {
        let message = format!(
            "metrics.path {:?} is also a file of the client build; choose another",
            config.path
        );
        return Err(CliError::input(message));
    }
    ssr.register_metrics(metrics);
    Ok(Router::new()
        .route(&config.path, get(metrics::handler(metrics)))
        .merge(site)
        .layer(metrics.layer()))
}

/// A layer answering GET and HEAD from the static directory when it has the path (a file,
/// or a directory's redirect or index), and passing every other request on to the pages.
fn static_first(files: ServeDir) -> impl Layer {
    // ServeDir is an Arc inside: a clone per request is a reference count.
    middleware::from_fn(move |req: Request, next: Next| {
        let files = files.clone();
        async move {
            if req.method() == Method::GET || req.method() == Method::HEAD {
                // serve_path takes the path relative to the directory.
                let path = req.uri().path();
                let relative = path.strip_prefix('/').unwrap_or(path);
                let res = files.serve_path(req.method(), relative, req.headers());
                if res.status() != StatusCode::NOT_FOUND {
                    return res;
                }
            }
            next.run(req).await
        }
    })
}

fn server(config: &ServerConfig, metrics: Option<&Metrics>) -> Server {
    // As text, so a bind error reads `failed to bind 127.0.0.1:3000`.
    let addr = if config.host.contains(':') && !config.host.starts_with('[') {
        format!("[{}]:{}", config.host, config.port)
    } else {
        format!("{}:{}", config.host, config.port)
    };
    let mut server = Server::bind(addr.as_str())
        .handle_signals(true)
        .http1(http1(config));
    if let Some(workers) = config.workers {
        server = server.workers(workers);
    }
    if let Some(driver) = config.driver {
        server = server.driver(driver);
    }
    if let Some(n) = config.max_connections {
        server = server.max_connections_per_worker(n);
    }
    if let Some(timeout) = config.drain_timeout {
        server = server.drain_timeout(timeout);
    }
    if let Some(metrics) = metrics {
        server = server.metrics(metrics);
    }
    server
}

fn http1(config: &ServerConfig) -> Http1Config {
    let mut http1 = Http1Config::builder();
    if let Some(timeout) = config.header_read_timeout {
        http1 = http1.header_read_timeout(timeout);
    }
    if let Some(timeout) = config.keep_alive_timeout {
        http1 = http1.keep_alive_timeout(timeout);
    }
    if let Some(timeout) = config.request_timeout {
        http1 = http1.request_timeout(timeout);
    }
    http1.build()
}
