//! Serving a router on every core.

use std::ffi::OsString;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::rc::Rc;
use std::time::Duration;

use hiver_http::{Http1Config, serve_connection};
use hiver_runtime::{Builder, DRIVER_ENV, Driver, ServerHandle};

use crate::metrics::Metrics;
use crate::{Error, Router};

/// Configures and starts an HTTP/1.1 server: one worker per core, each with its own
/// listener (SO_REUSEPORT), I/O driver and copy of the router.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
///
/// use hiver::routing::get;
/// use hiver::{Http1Config, Router, Server};
///
/// let app = Router::new().route("/", get(|| async { "hello" }));
/// Server::bind("0.0.0.0:3000")
///     .workers(4)
///     .http1(Http1Config::builder().max_body_bytes(1 << 20).build())
///     .drain_timeout(Duration::from_secs(10))
///     .run(app)?; // blocks; Ctrl-C drains and returns
/// # Ok::<(), hiver::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "a server does nothing until `start` or `run`"]
pub struct Server {
    /// What the user asked for, for error messages.
    addr_text: String,
    /// Resolved at `bind`; a failure is reported by `start`.
    addrs: io::Result<Vec<SocketAddr>>,
    runtime: Builder,
    /// Whether a driver was forced with [`Server::driver`] (then `HIVER_DRIVER` is ignored).
    driver_forced: bool,
    /// `None`: signals handled by `run` only.
    handle_signals: Option<bool>,
    http1: Http1Config,
    /// Told the driver and worker count once the workers run (`None`: no registry).
    metrics: Option<Metrics>,
    /// HTTPS instead of plain HTTP.
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::TlsConfig>,
}

impl Server {
    /// A server for `addr` (`"127.0.0.1:3000"`, a `SocketAddr`, …; port 0 picks a free
    /// port, see [`ServerHandle::local_addr`]). Nothing is bound until
    /// [`start`](Server::start) or [`run`](Server::run).
    pub fn bind<A: ToSocketAddrs + std::fmt::Debug>(addr: A) -> Self {
        Server {
            addr_text: format!("{addr:?}").trim_matches('"').to_owned(),
            addrs: addr.to_socket_addrs().map(Iterator::collect),
            runtime: Builder::new(),
            driver_forced: false,
            handle_signals: None,
            http1: Http1Config::default(),
            metrics: None,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// Number of workers (default: the available cores). Zero makes `start` fail.
    pub fn workers(mut self, n: usize) -> Self {
        self.runtime = self.runtime.workers(n);
        self
    }

    /// Forces an I/O driver (default: `HIVER_DRIVER`, else io_uring where the kernel
    /// allows it, else epoll).
    pub fn driver(mut self, driver: Driver) -> Self {
        self.runtime = self.runtime.driver(driver);
        self.driver_forced = true;
        self
    }

    /// HTTP/1.1 limits and timeouts (default: [`Http1Config::default`]).
    pub fn http1(mut self, config: Http1Config) -> Self {
        self.http1 = config;
        self
    }

    /// Serves HTTPS with `config` instead of plain HTTP (feature `tls`): each
    /// connection's TLS handshake must complete within the HTTP/1.1
    /// `header_read_timeout`. With signals handled, `SIGHUP` reloads the
    /// certificate and key from their files ([`TlsConfig::reload`](crate::tls::TlsConfig::reload));
    /// the handler stays registered after the server stops, except after
    /// [`run`](Server::run), which removes it.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: crate::tls::TlsConfig) -> Self {
        self.tls = Some(config);
        self
    }

    /// Records the I/O driver in use (`hiver_driver_info`) and the worker count
    /// (`hiver_workers`) in `metrics` once the server has started; see
    /// [`metrics`](crate::metrics). Request metrics come from
    /// [`Metrics::layer`](crate::metrics::Metrics::layer) on the router.
    pub fn metrics(mut self, metrics: &Metrics) -> Self {
        self.metrics = Some(metrics.clone());
        self
    }

    /// Whether each worker is pinned to a core (default: no, unless `HIVER_PIN_WORKERS=1`;
    /// see [`hiver_runtime::Builder::pin_workers`]).
    pub fn pin_workers(mut self, on: bool) -> Self {
        self.runtime = self.runtime.pin_workers(on);
        self
    }

    /// How long a worker that wakes for a completion (io_uring) or an event (epoll) keeps
    /// gathering more before it handles them (default: `HIVER_BATCH_WAIT_US`, else off); pays where handlers wait on a
    /// database. See [`hiver_runtime::Builder::batch_wait`].
    pub fn batch_wait(mut self, wait: Duration) -> Self {
        self.runtime = self.runtime.batch_wait(wait);
        self
    }

    /// Open connections per worker before it stops accepting (default 25 000).
    pub fn max_connections_per_worker(mut self, n: usize) -> Self {
        self.runtime = self.runtime.max_connections_per_worker(n);
        self
    }

    /// How long a graceful shutdown waits for in-flight requests (default 30 s).
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.runtime = self.runtime.drain_timeout(timeout);
        self
    }

    /// Whether SIGINT/SIGTERM start a graceful shutdown (default: yes for
    /// [`run`](Server::run), no for [`start`](Server::start)).
    pub fn handle_signals(mut self, on: bool) -> Self {
        self.handle_signals = Some(on);
        self
    }

    /// Starts the workers serving `router` and returns once every one is accepting.
    ///
    /// # Errors
    ///
    /// [`Error::is_bind`] if the address cannot be resolved or bound,
    /// [`Error::is_config`] for zero workers or a bad `HIVER_DRIVER`,
    /// [`Error::is_runtime`] if a worker's I/O driver cannot start.
    pub fn start(self, router: Router) -> Result<ServerHandle, Error> {
        self.start_with(router, false)
    }

    /// Serves `router` until a graceful shutdown (SIGINT/SIGTERM unless
    /// [`handle_signals(false)`](Server::handle_signals)) has drained.
    ///
    /// # Errors
    ///
    /// As [`start`](Server::start), and [`Error::is_runtime`] if a worker stopped with an
    /// error.
    pub fn run(self, router: Router) -> Result<(), Error> {
        #[cfg(feature = "tls")]
        let tls = match self.handle_signals {
            Some(false) => None,
            _ => self.tls.clone(),
        };
        let handle = self.start_with(router, true)?;
        #[cfg(feature = "tls")]
        let reload = match tls {
            Some(tls) => Some(crate::tls::reload_on_sighup(tls).map_err(|e| {
                handle.shutdown();
                let _ = handle.wait();
                Error::runtime("cannot handle SIGHUP", e)
            })?),
            None => None,
        };
        let res = handle
            .wait()
            .map_err(|e| Error::runtime("server stopped with an error", e));
        #[cfg(feature = "tls")]
        if let Some(reload) = reload {
            reload.close();
        }
        res
    }

    fn start_with(self, router: Router, signals_default: bool) -> Result<ServerHandle, Error> {
        self.check_driver_env()?;
        let addrs = self.addrs.map_err(|e| Error::bind(&self.addr_text, e))?;
        let runtime = self
            .runtime
            .handle_signals(self.handle_signals.unwrap_or(signals_default));
        let service = router.into_service();
        let http1 = self.http1;
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            // `run` registers SIGHUP itself, after the start, to remove it at the end.
            let sighup = !signals_default && self.handle_signals == Some(true);
            let handle = start_tls(
                &self.addr_text,
                &addrs,
                runtime,
                service,
                http1,
                tls.clone(),
                sighup,
            )?;
            return Ok(started(handle, self.metrics.as_ref()));
        }
        let handle = runtime
            .listen(&addrs[..], move |_worker| {
                let service = Rc::new(service.clone());
                let http1 = Rc::new(http1.clone());
                move |conn| serve_connection(conn, service.clone(), http1.clone())
            })
            .map_err(|e| classify(&self.addr_text, e))?;
        Ok(started(handle, self.metrics.as_ref()))
    }

    /// Reports a bad `HIVER_DRIVER` as a configuration error (the runtime would report it
    /// as a generic `InvalidInput`).
    fn check_driver_env(&self) -> Result<(), Error> {
        if self.driver_forced {
            return Ok(());
        }
        check_driver_value(std::env::var_os(DRIVER_ENV))
    }
}

/// `Server::start_with` for HTTPS.
#[cfg(feature = "tls")]
fn start_tls(
    addr_text: &str,
    addrs: &[SocketAddr],
    runtime: Builder,
    service: crate::routing::RouterService,
    http1: Http1Config,
    tls: crate::tls::TlsConfig,
    sighup: bool,
) -> Result<ServerHandle, Error> {
    let server_config = tls.server_config();
    let handle = runtime
        .listen(addrs, move |_worker| {
            let service = Rc::new(service.clone());
            let http1 = Rc::new(http1.clone());
            let server_config = server_config.clone();
            move |conn| {
                hiver_http::serve_tls_connection(
                    conn,
                    server_config.clone(),
                    service.clone(),
                    http1.clone(),
                )
            }
        })
        .map_err(|e| classify(addr_text, e))?;
    if sighup {
        // Lives until the process ends (see `Server::tls`).
        if let Err(e) = crate::tls::reload_on_sighup(tls) {
            handle.shutdown();
            let _ = handle.wait();
            return Err(Error::runtime("cannot handle SIGHUP", e));
        }
    }
    Ok(handle)
}

/// Logs the start and tells the metrics.
fn started(handle: ServerHandle, metrics: Option<&Metrics>) -> ServerHandle {
    tracing::info!(
        addr = %handle.local_addr(),
        driver = %handle.driver(),
        workers = handle.workers(),
        "hiver serving"
    );
    if let Some(metrics) = metrics {
        metrics.record_server(&handle);
    }
    handle
}

/// Validates a `HIVER_DRIVER` value; unset or empty means "auto". Pure, for tests.
fn check_driver_value(value: Option<OsString>) -> Result<(), Error> {
    let Some(value) = value else {
        return Ok(());
    };
    let text = value
        .to_str()
        .ok_or_else(|| Error::config(format!("{DRIVER_ENV}={value:?} is not valid UTF-8"), None))?;
    if text.is_empty() {
        return Ok(());
    }
    text.parse::<Driver>()
        .map(|_| ())
        .map_err(|e| Error::config(format!("invalid {DRIVER_ENV}"), Some(e.into())))
}

/// Sorts a runtime start-up error into bind, configuration and runtime failures.
fn classify(addr: &str, err: io::Error) -> Error {
    match err.kind() {
        io::ErrorKind::AddrInUse
        | io::ErrorKind::AddrNotAvailable
        | io::ErrorKind::PermissionDenied => Error::bind(addr, err),
        io::ErrorKind::InvalidInput => {
            Error::config("invalid server configuration", Some(err.into()))
        }
        _ => Error::runtime("failed to start the workers", err),
    }
}

/// Serves `router` on `addr` with the default settings until SIGINT/SIGTERM:
/// `Server::bind(addr).run(router)`.
///
/// # Errors
///
/// As [`Server::run`].
///
/// # Examples
///
/// ```no_run
/// use hiver::routing::get;
/// use hiver::Router;
///
/// hiver::serve("127.0.0.1:3000", Router::new().route("/", get(|| async { "hi" })))?;
/// # Ok::<(), hiver::Error>(())
/// ```
pub fn serve<A: ToSocketAddrs + std::fmt::Debug>(addr: A, router: Router) -> Result<(), Error> {
    Server::bind(addr).run(router)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_env_values() {
        assert!(check_driver_value(None).is_ok());
        assert!(check_driver_value(Some("".into())).is_ok());
        assert!(check_driver_value(Some("uring".into())).is_ok());
        assert!(check_driver_value(Some("epoll".into())).is_ok());
        let err = check_driver_value(Some("kqueue".into())).unwrap_err();
        assert!(err.is_config());
        assert!(
            err.to_string().starts_with("invalid HIVER_DRIVER: "),
            "{err}"
        );
    }

    #[test]
    fn runtime_errors_are_classified() {
        let e = |kind| classify("a", io::Error::from(kind));
        assert!(e(io::ErrorKind::AddrInUse).is_bind());
        assert!(e(io::ErrorKind::PermissionDenied).is_bind());
        assert!(e(io::ErrorKind::InvalidInput).is_config());
        assert!(e(io::ErrorKind::Unsupported).is_runtime());
    }
}
