//! Runs a test case once per JS engine backend, as hiver-http's `both_drivers!` runs one per
//! I/O driver: `<case>::quickjs` always, `<case>::v8` with `--features v8`.
//!
//! Shared by the `engines` and `handler` test binaries (the only two that render, so only
//! two binaries pay for linking V8).
#![allow(dead_code)] // each binary uses a different part

use hiver_ssr::engine::{Bundle, BundleError, Engine, EngineFactory, Limits, QuickJs};
use hiver_ssr::pool::{RenderPool, RenderPoolBuilder};
#[cfg(feature = "framework")]
use hiver_ssr::serve::{Ssr, SsrBuilder};

/// One engine backend under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    QuickJs,
    #[cfg(feature = "v8")]
    V8,
}

impl Backend {
    /// The name logs and spans give the backend.
    pub fn name(self) -> &'static str {
        match self {
            Backend::QuickJs => "quickjs",
            #[cfg(feature = "v8")]
            Backend::V8 => "v8",
        }
    }

    /// A context for `bundle`, as the pool would create it.
    pub fn create(self, bundle: &Bundle, limits: &Limits) -> Result<Box<dyn Engine>, BundleError> {
        match self {
            Backend::QuickJs => QuickJs.create(bundle, limits),
            #[cfg(feature = "v8")]
            Backend::V8 => hiver_ssr::engine::V8.create(bundle, limits),
        }
    }

    /// A pool builder on this backend.
    pub fn pool(self) -> RenderPoolBuilder {
        let builder = RenderPool::builder();
        match self {
            Backend::QuickJs => builder.engine(QuickJs),
            #[cfg(feature = "v8")]
            Backend::V8 => builder.engine(hiver_ssr::engine::V8),
        }
    }

    /// An SSR handler builder on this backend.
    #[cfg(feature = "framework")]
    pub fn ssr(self) -> SsrBuilder {
        let builder = Ssr::builder();
        match self {
            Backend::QuickJs => builder.engine(QuickJs),
            #[cfg(feature = "v8")]
            Backend::V8 => builder.engine(hiver_ssr::engine::V8),
        }
    }
}

/// Generates each case once per backend, as `<case>::quickjs` and `<case>::v8`; attributes
/// (`#[ignore]`) apply to both.
macro_rules! every_engine {
    ($($(#[$meta:meta])* fn $name:ident($e:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn case($e: crate::every_engine::Backend) $body

            $(#[$meta])*
            #[test]
            fn quickjs() {
                case(crate::every_engine::Backend::QuickJs)
            }

            $(#[$meta])*
            #[cfg(feature = "v8")]
            #[test]
            fn v8() {
                case(crate::every_engine::Backend::V8)
            }
        }
    )*};
}
pub(crate) use every_engine;
