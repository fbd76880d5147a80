//! One worker thread: its runtime, its listener, its accept loop and its shutdown.

use std::{
    future::Future,
    io,
    net::TcpListener as StdListener,
    pin::pin,
    rc::Rc,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
        mpsc,
    },
    thread,
    time::Duration,
};

use futures_util::future::{Either, select};

use crate::{
    Connection, Driver, Runtime, Shutdown, channel::Receiver, connection::Counter,
    driver::DriverConfig, net::TcpListener, time,
};

/// What a worker is, as seen by `make_handler`.
#[derive(Debug, Clone)]
pub struct WorkerInfo {
    index: usize,
    driver: Driver,
    /// The worker's published connection count, shared with its `Counter`.
    open: Arc<AtomicUsize>,
}

impl WorkerInfo {
    /// The worker's position, `0..workers`.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The I/O driver this worker's runtime actually uses.
    pub fn driver(&self) -> Driver {
        self.driver
    }

    /// Connections this worker has accepted and not yet closed, read now. Clones of this
    /// `WorkerInfo` may be sent to and read from any thread; the count is the same one
    /// [`ServerHandle::open_connections`](crate::ServerHandle::open_connections) reports.
    pub fn open_connections(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }
}

/// Messages from the server handle (or the signal thread) to a worker.
#[derive(Debug)]
pub(crate) enum Control {
    /// Stop accepting, trigger `Shutdown`, drain, exit.
    Shutdown,
}

/// Everything a worker needs besides its listener and handler factory.
#[derive(Debug, Clone)]
pub(crate) struct WorkerConfig {
    pub index: usize,
    pub cpu: Option<usize>,
    pub driver: DriverConfig,
    pub max_connections: usize,
    pub drain_timeout: Duration,
    /// This worker's open-connection count, also held by the `ServerHandle`.
    pub open: Arc<AtomicUsize>,
}

/// A worker's startup report: its index and the driver it runs, or why it could not start.
pub(crate) type Ready = (usize, io::Result<Driver>);

pub(crate) fn spawn<F, H, Fut>(
    cfg: WorkerConfig,
    listener: StdListener,
    make_handler: Arc<F>,
    control: Receiver<Control>,
    ready: mpsc::Sender<Ready>,
) -> io::Result<thread::JoinHandle<io::Result<()>>>
where
    F: Fn(&WorkerInfo) -> H + Send + Sync + 'static,
    H: Fn(Connection) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    thread::Builder::new()
        .name(format!("hiver-worker-{}", cfg.index))
        .spawn(move || run(cfg, listener, make_handler, control, ready))
}

fn run<F, H, Fut>(
    cfg: WorkerConfig,
    listener: StdListener,
    make_handler: Arc<F>,
    control: Receiver<Control>,
    ready: mpsc::Sender<Ready>,
) -> io::Result<()>
where
    F: Fn(&WorkerInfo) -> H + Send + Sync + 'static,
    H: Fn(Connection) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let index = cfg.index;
    if let Some(cpu) = cfg.cpu {
        crate::affinity::pin_current_thread(cpu);
    }
    let rt = match Runtime::with_config(&cfg.driver) {
        Ok(rt) => rt,
        Err(e) => return startup_failed(&ready, index, cfg.driver.startup_error(e)),
    };
    let driver = rt.driver();
    rt.block_on(async move {
        let listener = match TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => return startup_failed(&ready, index, e),
        };
        let info = WorkerInfo {
            index,
            driver,
            open: cfg.open.clone(),
        };
        let handler = make_handler(&info);
        drop(make_handler);
        tracing::info!(worker = index, %driver, cpu = ?cfg.cpu, "worker started");
        let _ = ready.send((index, Ok(driver)));
        drop(ready);
        serve(listener, handler, control, &cfg).await
    })
}

/// Reports a startup error to `listen`, and ends the thread with a copy of it.
fn startup_failed(ready: &mpsc::Sender<Ready>, index: usize, e: io::Error) -> io::Result<()> {
    let copy = io::Error::new(e.kind(), format!("worker {index} failed to start: {e}"));
    // The receiver is gone only if `listen` already gave up; nothing left to tell.
    let _ = ready.send((index, Err(e)));
    Err(copy)
}

/// Accepts until told to stop, then drains.
async fn serve<H, Fut>(
    listener: TcpListener,
    handler: H,
    mut control: Receiver<Control>,
    cfg: &WorkerConfig,
) -> io::Result<()>
where
    H: Fn(Connection) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let counter = Rc::new(Counter::new(cfg.open.clone()));
    let shutdown = Shutdown::new();
    let accept = crate::spawn(accept_loop(
        listener,
        handler,
        counter.clone(),
        shutdown.clone(),
        cfg.max_connections,
    ));
    let result = match select(accept, pin!(control.recv())).await {
        Either::Left((accepted, _)) => accepted,
        // Every sender is gone: the server was detached, so it serves until the process ends.
        Either::Right((None, accept)) => accept.await,
        // Dropping the accept task drops the listener: new connections are refused.
        Either::Right((Some(Control::Shutdown), accept)) => {
            drop(accept);
            Ok(())
        }
    };
    shutdown.trigger();
    drain(&counter, cfg).await;
    result
}

async fn drain(counter: &Counter, cfg: &WorkerConfig) {
    let open = counter.open();
    tracing::debug!(worker = cfg.index, open, "draining connections");
    if time::timeout(cfg.drain_timeout, counter.below(1))
        .await
        .is_err()
    {
        tracing::warn!(
            worker = cfg.index,
            open = counter.open(),
            "drain deadline passed; closing remaining connections"
        );
    }
}

async fn accept_loop<H, Fut>(
    listener: TcpListener,
    handler: H,
    counter: Rc<Counter>,
    shutdown: Shutdown,
    max_connections: usize,
) -> io::Result<()>
where
    H: Fn(Connection) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let listen_addr = listener.local_addr()?;
    loop {
        counter.below(max_connections).await;
        match listener.accept().await {
            Ok((stream, peer)) => {
                if let Err(e) = stream.set_nodelay(true) {
                    tracing::debug!(%peer, error = %e, "TCP_NODELAY not set");
                }
                let local = stream.local_addr().unwrap_or(listen_addr);
                let slot = counter.acquire();
                let conn = Connection::new(stream, peer, local, shutdown.clone(), slot);
                crate::spawn(handler(conn)).detach();
            }
            Err(e) => on_accept_error(e).await?,
        }
    }
}

/// Keeps accepting through per-connection and resource errors; gives up on a broken socket.
async fn on_accept_error(e: io::Error) -> io::Result<()> {
    use io::ErrorKind::*;
    match e.kind() {
        ConnectionAborted | ConnectionReset | Interrupted | WouldBlock => Ok(()),
        _ if is_resource_exhaustion(&e) => {
            // Out of descriptors or memory: retrying at once would spin; give the open
            // connections a moment to finish.
            tracing::warn!(error = %e, "accept failed; pausing 10 ms");
            time::sleep(Duration::from_millis(10)).await;
            Ok(())
        }
        _ => {
            tracing::error!(error = %e, "accept failed; worker stops accepting");
            Err(e)
        }
    }
}

fn is_resource_exhaustion(e: &io::Error) -> bool {
    const EMFILE: i32 = 24;
    const ENFILE: i32 = 23;
    const ENOBUFS: i32 = 105;
    const ENOMEM: i32 = 12;
    matches!(e.raw_os_error(), Some(EMFILE | ENFILE | ENOBUFS | ENOMEM))
        || e.kind() == io::ErrorKind::OutOfMemory
}
