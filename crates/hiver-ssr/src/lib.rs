//! Server-side rendering for Hiver: a pool of JavaScript contexts that renders React or
//! Preact pages from a bundle, behind a multi-level page cache.
//!
//! - [`engine`]: the [`Engine`](engine::Engine) trait and its QuickJS backend; the JS
//!   contract (`globalThis.render(url, props)`) and the globals every backend provides.
//! - [`pool`]: [`RenderPool`], N render threads each owning one engine context, a bounded
//!   queue, time / memory / stack budgets, and bundle reload with generations.
//! - [`cache`]: the page cache: a lock-free L1 per HTTP worker over a shared, byte-bounded
//!   L2, single flight, stale-while-revalidate, purges, pre-compressed pages with ETags.
//! - [`document`]: the HTML document around a render: Vite manifest asset tags, escaped
//!   hydration state, and the client-side shell served when a render fails.
//! - `serve` (feature `framework`): [`Ssr`], which wires the above into `hiver` routes.
//!
//! The engine, pool, cache and document modules know nothing about sockets or the
//! framework; they build alone with `default-features = false`.
//!
//! # Examples
//!
//! ```no_run
//! # #[cfg(feature = "framework")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//!
//! use hiver::Router;
//! use hiver_ssr::{PagePolicy, Ssr};
//!
//! let ssr = Ssr::builder()
//!     .bundle("web/dist/server.js")
//!     .manifest("web/dist/.vite/manifest.json", "src/client.jsx")
//!     .page("/", PagePolicy::new().query(["page"]).ttl(Duration::from_secs(60)))
//!     .page("/product/{id}", PagePolicy::new().tag("product:{id}"))
//!     .build()?; // a broken bundle fails here, naming file and line
//! let app = Router::new().merge(ssr.router());
//! hiver::serve("127.0.0.1:3000", app)?;
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "framework"))]
//! # fn main() {}
//! ```
//!
//! # Tracing
//!
//! Through the `tracing` crate, with no subscriber of its own:
//!
//! - a span per render, `render` (target `hiver_ssr::render`, [`pool::RENDER_TARGET`]),
//!   with `url`, `engine` and `generation`, opened on the render thread as a child of the
//!   span current where the render was submitted: under `hiver`'s `TraceLayer`, the
//!   request's span with its `request_id` (see [`pool`]);
//! - the bundle's `console` output, at the matching level, target `hiver_ssr::js`, inside
//!   that span;
//! - one `ERROR` event per failed page render, with the error and its JS stack (the
//!   client only gets the shell), inside the request's span.
//!
//! # Feature flags
//!
//! | feature | default | what it enables |
//! |---|---|---|
//! | `framework` | yes | the `serve` module: [`Ssr`] as `hiver` routes (depends on `hiver` and `hiver-runtime`) |
//! | `v8` | no | the V8 backend, `engine::V8` (the `v8` crate; its build script downloads the prebuilt V8 library, or reads the file named by `RUSTY_V8_ARCHIVE`) |

pub mod cache;
pub mod document;
pub mod engine;
pub mod pool;

pub use engine::{Bundle, BundleError, RenderError, RenderResult};
pub use pool::{PendingRender, RenderPool, RenderPoolBuilder, Rendered};
#[cfg(feature = "framework")]
pub mod serve;

#[cfg(feature = "framework")]
pub use serve::{PagePolicy, Ssr, SsrBuilder, SsrError};

/// The examples in README.md, compiled as doc tests so they cannot rot.
#[cfg(all(doctest, feature = "framework"))]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
