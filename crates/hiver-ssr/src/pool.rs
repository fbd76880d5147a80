//! The render pool: N threads, each owning one engine context, fed by a bounded queue.
//!
//! ```
//! use hiver_ssr::{Bundle, RenderPool};
//! use std::time::Duration;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Usually `build_file("dist/server/entry.js")`: an esbuild IIFE that sets globalThis.render.
//! let bundle = Bundle::from_source(
//!     "entry.js",
//!     "globalThis.render = async (url, props) => `<h1>Hello ${props.name}</h1>`;",
//! );
//! let pool = RenderPool::builder()
//!     .threads(2)
//!     .time_limit(Duration::from_millis(500))
//!     .build(bundle)?;
//! let rendered = pool.render_blocking("/hello", &serde_json::json!({ "name": "world" }))?;
//! assert_eq!(rendered.result.html, "<h1>Hello world</h1>");
//! assert_eq!((rendered.result.status, rendered.generation), (200, 1));
//! # Ok(())
//! # }
//! ```
//!
//! [`RenderPool::submit`] never blocks: with the queue full it fails at once with
//! [`RenderError::is_queue_full`]. The [`PendingRender`] it returns is a plain `Future` (no
//! async runtime needed), so it can be awaited on any executor, including a Hiver worker.
//!
//! # Streaming
//!
//! [`RenderPool::submit_stream`] queues a render that may stream. It resolves to
//! [`Started::Whole`] for a whole page, or to [`Started::Stream`] once the bundle returned a
//! stream: a [`RenderStream`] with the head and status, then each piece of HTML as the
//! render thread produces it. Between the two threads sits a channel of [`STREAM_BUFFER`]
//! pieces: a consumer that reads slowly makes the render thread wait (never buffer), up to
//! the time limit, which covers the whole stream; a consumer that drops the stream cancels
//! the render, and the thread takes the next job. [`RenderPool::submit`] joins a stream
//! into one page on the render thread.
//!
//! A streamed render holds its render thread until the stream ends, including while it
//! waits for a slow data source (a timer): the context is the render's until then. Size
//! [`threads`](RenderPoolBuilder::threads) for the slow streams expected at once.
//!
//! Render threads are not pinned unless [`RenderPoolBuilder::pin_threads`] asks for it: by
//! default the OS places them.
//!
//! # Tracing
//!
//! Each render runs inside a span named `render` (level `INFO`, target
//! [`RENDER_TARGET`]) with the fields `url`, `engine` (the backend's
//! [`name`](EngineFactory::name)) and `generation` (the bundle generation that rendered it).
//! Its parent is the span that was current on the thread that called
//! [`submit`](RenderPool::submit): under `hiver`'s `TraceLayer`, the request's span with its
//! `request_id`, so the render and the bundle's `console` output (target `hiver_ssr::js`)
//! are tied to the request that asked for them. With no subscriber interested, the span
//! costs a cached check on each side.

mod builder;
mod metrics;
mod pinning;
mod render_thread;
mod stream;
mod watch;

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::Duration;

pub use builder::RenderPoolBuilder;
pub use metrics::{LATENCY_BUCKETS, LatencyHistogram, MetricsSnapshot};
pub use stream::{PendingStream, RenderStream, STREAM_BUFFER, Started};
#[cfg(feature = "framework")]
pub(crate) use watch::FileWatch;
pub use watch::Watcher;

use crate::engine::{Bundle, BundleError, EngineFactory, Limits, RenderError, RenderResult};
use metrics::Metrics;
use render_thread::RenderThread;

/// The target of the per-render `render` span, for filtering (e.g.
/// `RUST_LOG=info,hiver_ssr::render=warn` drops the spans but keeps other logs).
pub const RENDER_TARGET: &str = "hiver_ssr::render";

/// Extra native stack each render thread gets on top of the interpreter's stack limit, for
/// the Rust frames below the interpreter.
const THREAD_STACK_MARGIN: usize = 2 << 20;

/// The engine's [`RenderResult`], tagged with the bundle generation that rendered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// What the render produced: HTML, head markup and status.
    pub result: RenderResult,
    /// The bundle generation (see [`RenderPool::generation`]); a cache drops entries rendered
    /// by an older one.
    pub generation: u64,
}

/// A queued render. Await it, or call [`wait`](Self::wait) outside async code. Dropping it
/// cancels the render if no thread has started it yet.
#[derive(Debug)]
#[must_use = "a render is only useful if its result is awaited"]
pub struct PendingRender {
    reply: flume::Receiver<Result<Rendered, RenderError>>,
    /// Created on first poll; it holds its own handle on `reply`.
    future: Option<flume::r#async::RecvFut<'static, Result<Rendered, RenderError>>>,
}

impl PendingRender {
    /// Blocks the calling thread until the render finishes.
    ///
    /// # Errors
    ///
    /// The render's [`RenderError`]; [`RenderError::is_shut_down`] if the pool went away.
    pub fn wait(self) -> Result<Rendered, RenderError> {
        self.reply
            .recv()
            .unwrap_or_else(|_| Err(RenderError::shut_down()))
    }
}

impl Future for PendingRender {
    type Output = Result<Rendered, RenderError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let reply = &this.reply;
        let future = this
            .future
            .get_or_insert_with(|| reply.clone().into_recv_async());
        Pin::new(future)
            .poll(cx)
            .map(|r| r.unwrap_or_else(|_| Err(RenderError::shut_down())))
    }
}

/// Where a render's outcome goes.
enum Reply {
    /// [`RenderPool::submit`]: the whole page (a stream is joined on the render thread).
    Whole(flume::Sender<Result<Rendered, RenderError>>),
    /// [`RenderPool::submit_stream`]: a whole page, or a stream piece by piece (bounded).
    Stream(flume::Sender<stream::Event>),
}

impl Reply {
    /// Whether nobody waits for the outcome any more.
    fn is_disconnected(&self) -> bool {
        match self {
            Reply::Whole(reply) => reply.is_disconnected(),
            Reply::Stream(events) => events.is_disconnected(),
        }
    }

    /// Answers with `error` before the render started.
    fn fail(&self, error: RenderError) {
        // A dropped receiver only means nobody waits for this page any more.
        let _ = match self {
            Reply::Whole(reply) => reply.send(Err(error)).is_ok(),
            Reply::Stream(events) => events.send(stream::Event::Whole(Err(error))).is_ok(),
        };
    }
}

/// One queued render.
struct Job {
    url: String,
    props_json: String,
    reply: Reply,
    /// The span current when the job was submitted (under hiver's `TraceLayer`, the
    /// request's): the parent of the `render` span the render thread opens, so a render is
    /// linked to its request across the thread hop. A disabled span when nobody traces.
    parent: tracing::Span,
}

/// A bundle and its generation number.
struct Loaded {
    bundle: Bundle,
    generation: u64,
}

/// State shared by the pool handle, its render threads and a [`Watcher`].
struct Shared {
    /// Builds a context on each render thread, and validates bundles on reload.
    factory: Box<dyn EngineFactory>,
    limits: Limits,
    /// The bundle threads should run; replaced by `reload`, read when a thread (re)builds.
    current: Mutex<Arc<Loaded>>,
    /// `current.generation`, readable without the lock: threads compare it before each job.
    generation: AtomicU64,
    /// Serialises reloads so generations follow the order bundles were validated in.
    reload_lock: Mutex<()>,
    /// Set when the pool is dropped: queued jobs are answered with a shut-down error.
    stopping: AtomicBool,
    metrics: Metrics,
}

impl Shared {
    fn loaded(&self) -> Arc<Loaded> {
        Arc::clone(&self.current.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn reload(&self, bundle: Bundle) -> Result<u64, BundleError> {
        let _serial = self
            .reload_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        drop(self.factory.create(&bundle, &self.limits)?);
        let generation = self.generation.load(Ordering::Acquire) + 1;
        let loaded = Arc::new(Loaded { bundle, generation });
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = loaded;
        // Published after `current`, so a thread that sees the new number finds the new bundle.
        self.generation.store(generation, Ordering::Release);
        self.metrics.reloaded();
        tracing::info!(generation, "render pool reloaded its bundle");
        Ok(generation)
    }
}

/// A pool of render threads over one bundle. Share it between workers with an `Arc`.
///
/// Dropping it answers queued renders with [`RenderError::is_shut_down`], lets running renders
/// finish (each is bounded by the time limit) and joins the threads.
pub struct RenderPool {
    /// `None` only while dropping, to close the queue.
    jobs: Option<flume::Sender<Job>>,
    threads: Vec<JoinHandle<()>>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RenderPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderPool")
            .field("threads", &self.threads.len())
            .field("generation", &self.generation())
            .finish()
    }
}

impl RenderPool {
    /// A builder with the defaults.
    pub fn builder() -> RenderPoolBuilder {
        RenderPoolBuilder::default()
    }

    fn spawn(
        &self,
        index: usize,
        cpu: Option<core_affinity::CoreId>,
        queue: flume::Receiver<Job>,
        ready: flume::Sender<Result<(), BundleError>>,
    ) -> std::io::Result<JoinHandle<()>> {
        let shared = Arc::clone(&self.shared);
        std::thread::Builder::new()
            .name(format!("hiver-render-{index}"))
            .stack_size(shared.limits.stack + THREAD_STACK_MARGIN)
            .spawn(move || {
                // Before the context is built, so its heap is first touched on the right core.
                if let Some(cpu) = cpu {
                    pinning::pin_current(index, cpu);
                }
                if let Some(thread) = RenderThread::start(shared, ready) {
                    thread.run(queue);
                }
            })
    }

    /// Queues a render of `url` with `props` (handed to JavaScript as data: serialised to JSON
    /// here, `JSON.parse`d there).
    ///
    /// # Errors
    ///
    /// [`RenderError::is_queue_full`] at once when the queue is full;
    /// [`RenderError::is_shut_down`] when every render thread has exited.
    pub fn submit(
        &self,
        url: impl Into<String>,
        props: &serde_json::Value,
    ) -> Result<PendingRender, RenderError> {
        let (reply, receiver) = flume::bounded(1);
        self.queue(url.into(), props, Reply::Whole(reply))?;
        Ok(PendingRender {
            reply: receiver,
            future: None,
        })
    }

    /// Queues a render that may stream: when the bundle returns a stream, each piece of HTML
    /// is handed over as the render thread produces it (see [`RenderStream`]); a whole page
    /// comes back whole. At most [`STREAM_BUFFER`] pieces wait between the render thread and
    /// the consumer; a slow consumer makes the render thread wait, within the time limit.
    ///
    /// # Errors
    ///
    /// As [`submit`](Self::submit).
    pub fn submit_stream(
        &self,
        url: impl Into<String>,
        props: &serde_json::Value,
    ) -> Result<PendingStream, RenderError> {
        let (events, receiver) = flume::bounded(STREAM_BUFFER);
        self.queue(url.into(), props, Reply::Stream(events))?;
        Ok(PendingStream::new(receiver))
    }

    fn queue(
        &self,
        url: String,
        props: &serde_json::Value,
        reply: Reply,
    ) -> Result<(), RenderError> {
        let job = Job {
            url,
            props_json: props.to_string(),
            reply,
            parent: tracing::Span::current(),
        };
        let Some(jobs) = &self.jobs else {
            return Err(RenderError::shut_down());
        };
        match jobs.try_send(job) {
            Ok(()) => Ok(()),
            Err(flume::TrySendError::Full(_)) => {
                self.shared.metrics.queue_full();
                Err(RenderError::queue_full())
            }
            Err(flume::TrySendError::Disconnected(_)) => Err(RenderError::shut_down()),
        }
    }

    /// [`submit`](Self::submit) and wait on the calling thread: for tests and CLIs.
    ///
    /// # Errors
    ///
    /// As [`submit`](Self::submit), then the render's own [`RenderError`].
    pub fn render_blocking(
        &self,
        url: impl Into<String>,
        props: &serde_json::Value,
    ) -> Result<Rendered, RenderError> {
        self.submit(url, props)?.wait()
    }

    /// Swaps in a new bundle without dropping renders. The bundle is first loaded into a
    /// context on the calling thread (this blocks for as long as that takes); if that fails
    /// the old bundle keeps serving. Each render thread switches before its next job; renders
    /// already running finish on the old bundle.
    ///
    /// Returns the new generation number.
    ///
    /// # Errors
    ///
    /// A [`BundleError`], exactly as at start-up.
    pub fn reload(&self, bundle: Bundle) -> Result<u64, BundleError> {
        self.shared.reload(bundle)
    }

    /// [`reload`](Self::reload) from a file.
    ///
    /// # Errors
    ///
    /// As [`reload`](Self::reload), plus [`BundleError::is_io`].
    pub fn reload_file(&self, path: impl AsRef<Path>) -> Result<u64, BundleError> {
        self.shared.reload(Bundle::from_file(path)?)
    }

    /// Polls `path`'s modification time every `interval` and reloads the bundle when it
    /// changes (for development). A bundle that fails to load is logged and the old one keeps
    /// serving. Watching stops when the [`Watcher`] is dropped.
    ///
    /// # Errors
    ///
    /// When the watcher thread cannot be spawned.
    pub fn watch(&self, path: impl AsRef<Path>, interval: Duration) -> std::io::Result<Watcher> {
        Watcher::spawn(Arc::clone(&self.shared), path.as_ref().to_owned(), interval)
    }

    /// The generation of the bundle now being served: 1 at start, +1 per successful reload.
    pub fn generation(&self) -> u64 {
        self.shared.generation.load(Ordering::Acquire)
    }

    /// Number of render threads.
    pub fn threads(&self) -> usize {
        self.threads.len()
    }

    /// The counters, and the current queue depth.
    pub fn metrics(&self) -> MetricsSnapshot {
        let depth = self.jobs.as_ref().map_or(0, flume::Sender::len);
        self.shared.metrics.snapshot(depth)
    }
}

impl Drop for RenderPool {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::Release);
        self.jobs = None;
        for thread in self.threads.drain(..) {
            // A render thread that panicked outside the engine has nothing left to clean up.
            let _ = thread.join();
        }
    }
}
