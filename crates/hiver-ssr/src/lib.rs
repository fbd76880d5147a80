//! Server-side rendering for Hiver: a pool of JavaScript contexts that renders pages from a
//! bundle, behind a multi-level page cache. It knows nothing about sockets.

pub mod cache;
pub mod document;
pub mod engine;
pub mod pool;

pub use engine::{Bundle, BundleError, RenderError};
pub use pool::{PendingRender, RenderPool, RenderPoolBuilder, Rendered};
#[cfg(feature = "framework")]
pub mod serve;

#[cfg(feature = "framework")]
pub use serve::{PagePolicy, Ssr, SsrBuilder, SsrError};
