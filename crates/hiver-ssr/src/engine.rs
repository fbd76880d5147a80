//! The JavaScript engine trait and its backends.
//!
//! An [`EngineFactory`] turns a loaded [`Bundle`] into one [`Engine`] (a JS context with the
//! bundle evaluated once) per render thread. The render pool and the page cache only see these
//! traits. Two backends implement them:
//!
//! | backend | feature | notes |
//! |---|---|---|
//! | [`QuickJs`] | always | the default; compiled from C, no downloads, ~1 MB per context |
//! | `V8` | `v8` | Google's V8 via the `v8` crate (=152.2.0): JIT, many times faster on React pages; a prebuilt static library (~190 MB unpacked) linked in |
//!
//! # Choosing an engine
//!
//! Enable the `v8` feature of `hiver-ssr`, then name the factory on the pool (or on
//! `SsrBuilder::engine`):
//!
//! ```no_run
//! # #[cfg(feature = "v8")]
//! # fn main() -> Result<(), hiver_ssr::BundleError> {
//! use hiver_ssr::RenderPool;
//! use hiver_ssr::engine::V8;
//!
//! let pool = RenderPool::builder().engine(V8).build_file("dist/server.js")?;
//! # drop(pool);
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "v8"))]
//! # fn main() {}
//! ```
//!
//! Building with `v8`: the `v8` crate's build script downloads its prebuilt library
//! (`librusty_v8`) from the crate's GitHub releases; without network access, point
//! `RUSTY_V8_ARCHIVE` at a local copy of the file. Only the ICU data the crate bundles is
//! compiled in (about 7 MB, most locales), so `Intl` works for the usual locales. An
//! application that needs every locale loads a full `icudtl.dat` (ICU 78) before the first
//! engine is created:
//!
//! ```ignore
//! // The data must live for the whole process (and be 16-byte aligned).
//! static ICU_DATA: &[u8] = include_bytes!("icudtl.dat");
//! v8::icu::set_common_data_78(ICU_DATA).expect("valid ICU data");
//! ```
//!
//! The V8 platform is initialised once per process, by the first `V8` engine created; every
//! isolate (one per render thread) shares it.
//!
//! # The bundle contract
//!
//! The bundle is a classic script (esbuild `--format=iife`) that defines
//! `globalThis.render(url, props)`. `props` is the parsed JSON object the caller passed (it
//! crosses into JavaScript as a JSON string argument and is parsed there; it is never spliced
//! into source). `render` returns one of:
//!
//! | `render` returns | the page |
//! |---|---|
//! | a string of HTML | whole; head `""`, status 200 |
//! | `{ html, head = "", status = 200 }` with `html` a string | whole |
//! | a `ReadableStream` whose chunks are strings or `Uint8Array`s (UTF-8), or an async iterator of strings | streamed; head `""`, status 200 |
//! | `{ html, head, status }` with `html` such a stream or iterator | streamed with that head and status |
//! | a `Promise` of any of these | as what it settles to |
//!
//! React 19's `renderToReadableStream` (`react-dom/server.edge` or `.browser`) returns a
//! promise of a byte stream; Preact's (`preact-render-to-string/stream`) a byte stream.
//! Microtasks and timers run until a promise settles. A promise that nothing can settle any
//! more (no microtask or timer left) fails at once with [`RenderError::is_timeout`]; one kept
//! pending by ever new timers ends at the time limit.
//!
//! # Streaming
//!
//! [`Engine::render_streaming`] hands a stream to a [`RenderSink`] piece by piece as
//! JavaScript produces it (empty pieces skipped, byte chunks decoded as UTF-8 with a
//! character split between chunks joined); [`Engine::render`] joins it into one page. The
//! time budget and the memory limit cover the whole stream, waits on the sink included. A
//! stream that errors after its first piece makes the render fail with that error (the
//! pieces already handed over stay handed over). A sink that reports its consumer gone
//! ([`RenderSink::is_cancelled`], checked at each piece and while the render waits on
//! timers) stops the render with [`RenderError::is_cancelled`]; the bundle's stream is
//! cancelled (its `cancel` callback runs) and its timers are dropped, and the context is kept.
//!
//! # Globals provided
//!
//! Every backend evaluates the same prelude ([`PRELUDE`]) before the bundle. It defines what
//! React 19's and Preact's server renderers touch:
//!
//! | global | behaviour |
//! |---|---|
//! | `console.{log,info,warn,error,debug,trace}` | to `tracing` (target `hiver_ssr::js`) at the matching level |
//! | `queueMicrotask(fn)` | a microtask; a throw is logged with `console.error` |
//! | `setTimeout(fn, delay, ...args)` / `clearTimeout(id)` | real delays (never early, up to 1 ms late), all within the render's time budget: once the microtask queue is empty the host runs the timer due first (ties in creation order), drains microtasks again, and sleeps while the next is not yet due. Leftover timers are dropped after each render |
//! | `MessageChannel` | `port.postMessage` delivers to the other port's `onmessage` as a zero-delay timer (React's `server.browser` schedules work through it) |
//! | `ReadableStream` | the default-reader subset: an underlying source with `start`, `pull`, `cancel` and `type: "bytes"`, `highWaterMark` and `size`, `getReader()` (`read`, `cancel`, `releaseLock`, `closed`), `cancel()`, `locked`, async iteration; no BYOB readers (`byobRequest` is `null`), `tee` or piping |
//! | `TextEncoder` / `TextDecoder` | UTF-8 only, `encodeInto` (whole characters only), `decode(..., { stream: true })` supported |
//! | `process.env.NODE_ENV` | `"production"` (only `process.env` exists) |
//! | `globalThis` | the engine's own |
//!
//! Deliberately absent: `window`, `self` and `document` (libraries would take the browser
//! path), `setInterval`, `setImmediate`, `URL`, `fetch`, `AbortController`,
//! `WritableStream` and `TransformStream`.
//!
//! # Budgets
//!
//! Each render runs under [`Limits`]: a wall-clock time limit (an infinite loop ends with
//! [`RenderError::is_timeout`]), a memory limit per context ([`RenderError::is_memory`]) and a
//! stack limit ([`RenderError::is_stack_overflow`]). A context that hit one of them is
//! discarded by the pool and a fresh one is built from the same bundle.
//!
//! | budget | QuickJS | V8 |
//! |---|---|---|
//! | time | the interrupt handler QuickJS polls checks the deadline | a watchdog thread per context calls `terminate_execution` at the deadline; the isolate is usable again afterwards (`cancel_terminate_execution`) |
//! | memory | the runtime's allocator refuses past the limit | the old generation (what the page keeps alive) is capped at `Limits::memory`, with a young generation on top for each render's short-lived garbage (24 MiB by default, `V8::young_generation` sets another, collected between renders by `Engine::idle`) (a young generation carved out of a small cap made renders 0.6-0.7x as fast); near the cap a callback terminates the script and grants a little more room, so V8 unwinds instead of aborting the process |
//! | stack | `set_max_stack_size` | V8's own limit (984 KiB below the top of the thread's stack); `Limits::stack` is not applied, since V8 152 drops a per-isolate limit given at creation and the crate exposes no other way. The pool's threads have `Limits::stack` + 2 MiB of stack |

mod bundle;
mod console;
mod error;
mod failure;
mod quickjs;
mod stream;
#[cfg(feature = "v8")]
mod v8;

use std::time::Duration;

#[cfg(feature = "v8")]
pub use self::v8::V8;

/// The smallest young generation `V8::young_generation` takes, in bytes: three 1 MiB
/// semi-spaces' worth (smaller values are raised to it). Here rather than beside `V8` so
/// that configuration can be checked in builds without V8.
pub const MIN_YOUNG_GENERATION: usize = 3 << 20;
pub use bundle::Bundle;
pub use error::{BundleError, RenderError};
pub use quickjs::QuickJs;
pub use stream::{Delivery, RenderSink};

/// The JavaScript prelude every backend evaluates before the bundle (see the module docs).
///
/// It is a single function expression; the host calls it with `{ log(level, message) }` and
/// keeps the returned `{ render, finish, next, runTimers, clearTimers }`.
pub const PRELUDE: &str = include_str!("engine/prelude.js");

/// The budgets of one engine context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Wall-clock time one render (or loading the bundle) may take.
    pub time: Duration,
    /// Bytes the context's heap may use; the engine's allocator refuses more. (V8: the cap of
    /// the old generation, which holds what outlives a render; the young generation, by
    /// default 24 MiB at most, comes on top. V8 raises a limit below its own minimum heap,
    /// a few MiB, to that minimum.)
    pub memory: usize,
    /// Bytes of native stack the interpreter may use. The render thread's own stack is sized
    /// larger than this. (QuickJS only: V8 keeps its own limit of 984 KiB, see the budget
    /// table in the [`engine`](crate::engine) docs.)
    pub stack: usize,
}

impl Default for Limits {
    /// 2 s, 64 MiB, 1 MiB.
    fn default() -> Self {
        Limits {
            time: Duration::from_secs(2),
            memory: 64 << 20,
            stack: 1 << 20,
        }
    }
}

/// What one successful render produced: the one render result every layer passes on (the
/// pool tags it with its bundle generation in [`Rendered`](crate::Rendered); the document is
/// built from it). Not to be confused with [`cache::Page`](crate::cache::Page), the finished
/// HTTP page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderResult {
    /// The rendered HTML fragment (the application's root markup).
    pub html: String,
    /// Markup for `<head>` (title, meta tags); empty when `render` returned a plain string.
    pub head: String,
    /// The HTTP status the page asks for; 200 unless `render` returned one.
    pub status: u16,
}

/// One JavaScript context with the bundle loaded, owned by one render thread.
///
/// Engines are not `Send`: they are created on the thread that uses them.
pub trait Engine {
    /// Renders `url` with `props_json` (a JSON text) under the context's time budget.
    ///
    /// # Errors
    ///
    /// See [`RenderError`]. After a timeout, memory, stack or crash error the caller drops this
    /// engine and creates a new one.
    fn render(&mut self, url: &str, props_json: &str) -> Result<RenderResult, RenderError>;

    /// Renders as [`render`](Self::render) does, but hands a stream to `sink` piece by piece
    /// as JavaScript produces it instead of joining it: [`Delivery::Streamed`] then. A whole
    /// page (string, object, promise of either) comes back as [`Delivery::Whole`] without
    /// touching the sink. The time budget and the memory limit cover the whole stream.
    ///
    /// The default never streams: it calls [`render`](Self::render) (which joins a stream).
    ///
    /// # Errors
    ///
    /// As [`render`](Self::render), plus what `sink` returned to stop the render (the
    /// stream is then cancelled and its timers dropped). An error after
    /// [`RenderSink::start`] means the stream ended early.
    fn render_streaming(
        &mut self,
        url: &str,
        props_json: &str,
        _sink: &mut dyn RenderSink,
    ) -> Result<Delivery, RenderError> {
        self.render(url, props_json).map(Delivery::Whole)
    }

    /// Runs the housekeeping the engine put off while it rendered. The render thread calls
    /// it after each render's result is handed over, before it waits for the next job, so
    /// the work falls between renders rather than inside one.
    ///
    /// The default does nothing. V8 runs the tasks its heap posted meanwhile (the
    /// young-generation collection it schedules once a render has filled 40 % of a
    /// semi-space, incremental marking steps), as an event loop does between requests;
    /// that scavenge then finds the finished render's objects dead instead of copying
    /// them mid-render.
    ///
    /// # Errors
    ///
    /// As [`render`](Self::render), for JavaScript that ran from such a task (a
    /// `FinalizationRegistry` callback) and overran the time budget or the memory limit;
    /// the caller then replaces the engine.
    fn idle(&mut self) -> Result<(), RenderError> {
        Ok(())
    }
}

/// Creates engines: one per render thread, and one more to validate a bundle before use.
pub trait EngineFactory: Send + Sync {
    /// Creates a context, evaluates the prelude and `bundle` once, and checks that
    /// `globalThis.render` is a function.
    ///
    /// # Errors
    ///
    /// A [`BundleError`] naming the file, line and JS message when the bundle does not load.
    fn create(&self, bundle: &Bundle, limits: &Limits) -> Result<Box<dyn Engine>, BundleError>;

    /// A short name for logs, e.g. `"quickjs"`.
    fn name(&self) -> &'static str;
}
