//! Configuring and starting the workers.

use std::{
    future::Future,
    io,
    net::{TcpListener as StdListener, ToSocketAddrs},
    sync::{Arc, atomic::AtomicUsize, mpsc},
    thread,
    time::Duration,
};

use crate::{
    Connection, Driver, ServerHandle, WorkerInfo, affinity, channel,
    driver::{DRIVER_ENV, DriverConfig, driver_from_env},
    listener,
    server::{join_all, send_shutdown},
    worker::{self, Control, WorkerConfig},
};

/// Configures and starts a thread-per-core server; see the [crate docs](crate).
#[derive(Debug, Clone)]
pub struct Builder {
    workers: Option<usize>,
    driver: Option<Driver>,
    defer_taskrun: bool,
    /// `None`: `HIVER_BATCH_WAIT_US`, else off.
    batch_wait: Option<Duration>,
    /// `None`: `HIVER_PIN_WORKERS`, else unpinned.
    pin_workers: Option<bool>,
    max_connections_per_worker: usize,
    drain_timeout: Duration,
    handle_signals: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// Defaults: one worker per available core, unpinned (or as `HIVER_PIN_WORKERS` says);
    /// driver from `HIVER_DRIVER` or auto;
    /// 25 000 connections per worker; 30 s drain; no signal handling.
    pub fn new() -> Self {
        Self {
            workers: None,
            driver: None,
            defer_taskrun: false,
            batch_wait: None,
            pin_workers: None,
            max_connections_per_worker: 25_000,
            drain_timeout: Duration::from_secs(30),
            handle_signals: false,
        }
    }

    /// Number of worker threads (default: `std::thread::available_parallelism()`). Zero makes
    /// [`listen`](Self::listen) fail.
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = Some(n);
        self
    }

    /// Forces a driver. Without it, `HIVER_DRIVER` (`uring`, `io_uring` or `epoll`; unset or
    /// empty means auto) decides, and without that, io_uring is used where the kernel allows
    /// it and epoll otherwise.
    /// Forcing io_uring where it is unavailable makes [`listen`](Self::listen) fail.
    pub fn driver(mut self, d: Driver) -> Self {
        self.driver = Some(d);
        self
    }

    /// Sets up io_uring rings with SINGLE_ISSUER + DEFER_TASKRUN instead of the default
    /// COOP_TASKRUN + TASKRUN_FLAG (needs Linux 6.1; falls back to COOP_TASKRUN where the
    /// kernel refuses it). Both avoid the completion interrupts that make default rings
    /// slower than epoll; no effect on epoll. Measured on the 2-core VM (hello, 2 workers,
    /// 3 alternating rounds): 0.85–1.04 of COOP_TASKRUN's requests per CPU-second at 64
    /// connections, 1.04–1.31 pipelined: no clear winner, so the default stays.
    pub fn defer_taskrun(mut self, on: bool) -> Self {
        self.defer_taskrun = on;
        self
    }

    /// Once a sleeping worker sees its first completion, it keeps sleeping until
    /// `wait` has passed since it went to sleep (or 64 completions are ready), then handles
    /// all of them in one turn, like a network card's interrupt coalescing. A worker that
    /// slept longer than `wait` wakes at its first completion, so an idle server adds no
    /// delay; a busy one adds up to `wait` to each response and saves a wake-up for every
    /// completion folded into the batch. Zero turns it off (the default). Without this
    /// call, `HIVER_BATCH_WAIT_US` (microseconds) decides, and without that it is off.
    ///
    /// io_uring: the kernel's minimum wait; implies SINGLE_ISSUER + DEFER_TASKRUN, and
    /// applied only where the kernel has the minimum wait (Linux 6.12) and deferred task
    /// work, and only while completions trickle in (fewer than 1.5 per plain wait on
    /// average): where each wake-up already finds several, waiting only delays them. epoll: a wait that ends early sleeps out the rest (`nanosleep`) and takes what
    /// arrived with one more `epoll_wait`. It pays where workers wait on another server,
    /// such as a database: on the 2-core VM, the TechEmpower app's `/updates?queries=20`
    /// (BENCHMARKS.md) did 1.3 to 1.4 times as many requests per CPU-second with 50 µs on
    /// io_uring, 1.7 to 2.4 times on epoll; on `/plaintext`, where nobody else's answer
    /// is awaited, it changed nothing beyond the noise, so it is off by default.
    pub fn batch_wait(mut self, wait: Duration) -> Self {
        self.batch_wait = Some(wait);
        self
    }

    /// Pins worker `i` to the `i`-th CPU this process may use. Without this call,
    /// `HIVER_PIN_WORKERS` (`1`/`on`/`true` or `0`/`off`/`false`) decides, and without that
    /// workers are not pinned.
    ///
    /// Pin when the server owns its cores. Measured on a 2-core VM where the load generator
    /// shared the cores with two workers: pinned workers answered 0.75–0.85 of the requests
    /// per CPU-second of unpinned ones (the scheduler could no longer move a worker off the
    /// core the other process was busy on), so unpinned is the default.
    pub fn pin_workers(mut self, on: bool) -> Self {
        self.pin_workers = Some(on);
        self
    }

    /// Open connections per worker at which its accept loop pauses until one closes
    /// (default 25 000; zero counts as one). Connections beyond it wait in the kernel's
    /// backlog.
    pub fn max_connections_per_worker(mut self, n: usize) -> Self {
        self.max_connections_per_worker = n.max(1);
        self
    }

    /// How long a graceful shutdown waits for open connections before closing them
    /// (default 30 s).
    pub fn drain_timeout(mut self, d: Duration) -> Self {
        self.drain_timeout = d;
        self
    }

    /// Turns SIGINT and SIGTERM into a graceful shutdown (default false).
    pub fn handle_signals(mut self, on: bool) -> Self {
        self.handle_signals = on;
        self
    }

    /// Binds one listener per worker to `addr` (SO_REUSEPORT), starts the workers and returns
    /// once every one of them is accepting.
    ///
    /// `make_handler` runs once on each worker thread; the handler it returns is called for
    /// each connection that worker accepts, and its future is spawned on that worker. Neither
    /// ever leaves the thread, so they need not be `Send`.
    ///
    /// # Errors
    ///
    /// - `InvalidInput`: zero workers, or a bad `HIVER_DRIVER`, `HIVER_PIN_WORKERS` or
    ///   `HIVER_BATCH_WAIT_US` value (the message names it).
    /// - The bind error (e.g. `AddrInUse`) if any listener cannot be bound.
    /// - The driver error if a worker's runtime cannot start. When io_uring was forced and
    ///   the kernel (or a seccomp filter) refuses it, the error keeps the OS error's kind
    ///   (typically `PermissionDenied`) and its message starts with "io_uring was requested"
    ///   and names the setting that forced it; auto mode falls back to epoll instead.
    ///
    /// On error no worker is left running.
    pub fn listen<A, F, H, Fut>(self, addr: A, make_handler: F) -> io::Result<ServerHandle>
    where
        A: ToSocketAddrs,
        F: Fn(&WorkerInfo) -> H + Send + Sync + 'static,
        H: Fn(Connection) -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let n = self.worker_count()?;
        let (forced, forced_by_env) = match self.driver {
            Some(d) => (Some(d), false),
            None => (driver_from_env(std::env::var_os(DRIVER_ENV))?, true),
        };
        let batch_wait = match self.batch_wait {
            Some(d) => d,
            None => batch_wait_from_env(std::env::var_os(BATCH_WAIT_ENV))?,
        };
        let listeners = listener::bind_all(addr, n)?;
        let local_addr = listeners[0].local_addr()?;
        let driver_cfg = DriverConfig {
            forced,
            forced_by_env,
            defer_taskrun: self.defer_taskrun,
            batch_wait,
            ..DriverConfig::default()
        };
        let started = self.start_workers(listeners, driver_cfg, Arc::new(make_handler))?;
        let Started {
            controls,
            threads,
            driver,
            open,
        } = started;
        let signals = match self.handle_signals {
            true => match spawn_signal_thread(controls.clone()) {
                Ok(h) => Some(h),
                Err(e) => {
                    abort(&controls, threads);
                    return Err(e);
                }
            },
            false => None,
        };
        tracing::info!(%local_addr, workers = n, %driver, "listening");
        Ok(ServerHandle::new(
            local_addr, driver, controls, threads, signals, open,
        ))
    }

    fn worker_count(&self) -> io::Result<usize> {
        let n = match self.workers {
            Some(n) => n,
            None => thread::available_parallelism().map_or(1, |n| n.get()),
        };
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the number of workers must be at least 1",
            ));
        }
        Ok(n)
    }

    fn start_workers<F, H, Fut>(
        &self,
        listeners: Vec<StdListener>,
        driver: DriverConfig,
        make_handler: Arc<F>,
    ) -> io::Result<Started>
    where
        F: Fn(&WorkerInfo) -> H + Send + Sync + 'static,
        H: Fn(Connection) -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let n = listeners.len();
        let pin = match self.pin_workers {
            Some(on) => on,
            None => pin_from_env(std::env::var_os(PIN_ENV))?,
        };
        let cpus = if pin {
            affinity::allowed_cpus()
        } else {
            Vec::new()
        };
        let (ready_tx, ready_rx) = mpsc::channel();
        let mut controls = Vec::with_capacity(n);
        let mut threads = Vec::with_capacity(n);
        let open: Vec<_> = (0..n).map(|_| Arc::new(AtomicUsize::new(0))).collect();
        for (index, l) in listeners.into_iter().enumerate() {
            let cfg = WorkerConfig {
                open: open[index].clone(),
                index,
                cpu: (!cpus.is_empty()).then(|| cpus[index % cpus.len()]),
                driver,
                max_connections: self.max_connections_per_worker,
                drain_timeout: self.drain_timeout,
            };
            let (tx, rx) = channel::channel();
            match worker::spawn(cfg, l, make_handler.clone(), rx, ready_tx.clone()) {
                Ok(t) => {
                    controls.push(tx);
                    threads.push(t);
                }
                Err(e) => {
                    abort(&controls, threads);
                    return Err(e);
                }
            }
        }
        drop(ready_tx);
        match await_ready(&ready_rx, n) {
            Ok(driver) => Ok(Started {
                controls,
                threads,
                driver,
                open,
            }),
            Err(e) => {
                abort(&controls, threads);
                Err(e)
            }
        }
    }
}

/// The environment variable that pins workers when the [`Builder`] did not say.
pub const PIN_ENV: &str = "HIVER_PIN_WORKERS";

/// Interprets the value of `HIVER_PIN_WORKERS`: unset or empty means unpinned.
fn pin_from_env(value: Option<std::ffi::OsString>) -> io::Result<bool> {
    let value = value.unwrap_or_default();
    match value.to_str() {
        Some("" | "0" | "off" | "false") => Ok(false),
        Some("1" | "on" | "true") => Ok(true),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{PIN_ENV}={value:?}: expected 1, on, true, 0, off or false"),
        )),
    }
}

/// The environment variable that sets [`Builder::batch_wait`] in microseconds when the
/// builder does not.
pub const BATCH_WAIT_ENV: &str = "HIVER_BATCH_WAIT_US";

/// Interprets the value of `HIVER_BATCH_WAIT_US`: unset or empty means off.
fn batch_wait_from_env(value: Option<std::ffi::OsString>) -> io::Result<Duration> {
    let value = value.unwrap_or_default();
    match value.to_str().map(|v| (v, v.parse::<u32>())) {
        Some(("", _)) => Ok(Duration::ZERO),
        Some((_, Ok(us))) => Ok(Duration::from_micros(us.into())),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{BATCH_WAIT_ENV}={value:?}: expected a whole number of microseconds, e.g. 50"),
        )),
    }
}

struct Started {
    controls: Vec<channel::Sender<Control>>,
    threads: Vec<thread::JoinHandle<io::Result<()>>>,
    driver: Driver,
    /// One open-connection count per worker, by index.
    open: Vec<Arc<AtomicUsize>>,
}

/// The startup handshake: every worker reports its driver or its error.
fn await_ready(rx: &mpsc::Receiver<worker::Ready>, n: usize) -> io::Result<Driver> {
    let mut drivers = vec![None; n];
    for _ in 0..n {
        match rx.recv() {
            Ok((i, Ok(d))) => drivers[i] = Some(d),
            Ok((_, Err(e))) => return Err(e),
            Err(_) => return Err(io::Error::other("a worker exited during startup")),
        }
    }
    let first = drivers[0];
    if drivers.iter().any(|d| *d != first) {
        tracing::warn!(?drivers, "workers run on different I/O drivers");
    }
    // Invariant: the loop above stored exactly n successful reports.
    Ok(first.expect("every worker reported"))
}

/// Stops workers that did start, so a failed `listen` leaves nothing behind.
fn abort(controls: &[channel::Sender<Control>], threads: Vec<thread::JoinHandle<io::Result<()>>>) {
    send_shutdown(controls);
    join_all(threads);
}

fn spawn_signal_thread(
    controls: Vec<channel::Sender<Control>>,
) -> io::Result<signal_hook::iterator::Handle> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    let handle = signals.handle();
    thread::Builder::new()
        .name("hiver-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                tracing::info!(signal, "signal received; shutting down gracefully");
                send_shutdown(&controls);
            }
        })?;
    Ok(handle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_wait_env_values() {
        assert_eq!(batch_wait_from_env(None).unwrap(), Duration::ZERO);
        assert_eq!(
            batch_wait_from_env(Some("".into())).unwrap(),
            Duration::ZERO
        );
        assert_eq!(
            batch_wait_from_env(Some("50".into())).unwrap(),
            Duration::from_micros(50)
        );
        for bad in ["-1", "50us", "0.5"] {
            let err = batch_wait_from_env(Some(bad.into())).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{bad}");
            assert!(err.to_string().contains(BATCH_WAIT_ENV), "{err}");
        }
    }

    #[test]
    fn pin_env_values() {
        for (v, on) in [("", false), ("0", false), ("off", false), ("false", false)] {
            assert_eq!(pin_from_env(Some(v.into())).unwrap(), on, "{v}");
        }
        for v in ["1", "on", "true"] {
            assert!(pin_from_env(Some(v.into())).unwrap(), "{v}");
        }
        assert!(!pin_from_env(None).unwrap());
        let err = pin_from_env(Some("yes".into())).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains(PIN_ENV), "{err}");
    }
}
