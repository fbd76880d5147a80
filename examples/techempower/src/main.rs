//! TechEmpower's benchmark app (see the library docs for the routes).
//!
//! Environment: `DATABASE_URL` (default
//! `postgres://benchmarkdbuser:benchmarkdbpass@127.0.0.1:5432/hello_world`, the database
//! `scripts/postgres/start.sh` sets up), `HOST` (default 127.0.0.1), `PORT` (default 8080),
//! `WORKERS` (default: the available cores), `DB_CONNECTIONS` (connections per worker,
//! default 1), `HIVER_DRIVER` (`uring` or `epoll`), `HIVER_BATCH_WAIT_US` (default 50 here:
//! a worker woken by a database answer gathers more for up to 50 µs, which measured 1.3 to
//! 1.4 times as many requests per CPU-second on `/updates` on io_uring and 1.7 to 2.4 times
//! on epoll, see BENCHMARKS.md; `0` turns it off).
//! A database that sends nothing for 10 s while answers are owed is dropped (503s) and
//! reconnected.

use std::process::ExitCode;
use std::time::Duration;

use hiver::Server;
use techempower::{Config, Settings, app};

/// The batch wait this app uses unless `HIVER_BATCH_WAIT_US` says otherwise.
const BATCH_WAIT: Duration = Duration::from_micros(50);

const DEFAULT_URL: &str = "postgres://benchmarkdbuser:benchmarkdbpass@127.0.0.1:5432/hello_world";

fn env_number(name: &str) -> Result<Option<usize>, String> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .map(Some)
            .map_err(|_| format!("{name} must be a whole number, got {v:?}")),
        Err(_) => Ok(None),
    }
}

fn settings() -> Result<(String, Settings, Option<usize>), String> {
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".into());
    let port = env_number("PORT")?.unwrap_or(8080);
    let workers = env_number("WORKERS")?;
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.into());
    let config: Config = url.parse().map_err(|e| format!("DATABASE_URL: {e}"))?;
    // A database that stops answering gets 503s after this, not requests that hang.
    let database = config.query_timeout(Duration::from_secs(10));
    let connections = env_number("DB_CONNECTIONS")?.unwrap_or(1).max(1);
    let addr = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    Ok((
        addr,
        Settings {
            database,
            connections,
        },
        workers,
    ))
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let (addr, settings, workers) = match settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("techempower: {e}");
            return ExitCode::from(2);
        }
    };
    let mut server = Server::bind(addr);
    if let Some(n) = workers {
        server = server.workers(n);
    }
    if std::env::var_os(hiver::BATCH_WAIT_ENV).is_none() {
        server = server.batch_wait(BATCH_WAIT);
    }
    match server.run(app(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("techempower: {e}");
            ExitCode::FAILURE
        }
    }
}
