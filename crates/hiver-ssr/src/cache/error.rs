//! The error a cache lookup returns: the render failed and no stale page could stand in.

use std::error::Error;
use std::fmt;

use super::flight::SharedError;

/// A render failed and no stale page was allowed to stand in. Never cached: the next request
/// renders again. The render's own error is the [`source`](Error::source); downcast it to
/// the render pool's error type for details.
#[derive(Clone)]
pub struct CacheError {
    source: SharedError,
    coalesced: bool,
    bypass: bool,
}

impl CacheError {
    pub(crate) fn render(source: SharedError, coalesced: bool) -> Self {
        Self {
            source,
            coalesced,
            bypass: false,
        }
    }

    pub(crate) fn bypassed(source: SharedError) -> Self {
        Self {
            source,
            coalesced: false,
            bypass: true,
        }
    }

    /// The failed render belonged to another request this one waited for; log it once, from
    /// the request that rendered.
    pub fn is_coalesced(&self) -> bool {
        self.coalesced
    }

    /// The failed render was for a request that bypassed the cache (see
    /// [`Destination::Bypass`](super::Destination::Bypass)).
    pub fn is_bypass(&self) -> bool {
        self.bypass
    }

    /// The render's error.
    pub fn render_error(&self) -> &(dyn Error + Send + Sync + 'static) {
        &*self.source
    }
}

impl fmt::Debug for CacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheError")
            .field("render_error", &self.source)
            .field("coalesced", &self.coalesced)
            .field("bypass", &self.bypass)
            .finish()
    }
}

impl fmt::Display for CacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "page render failed: {}", self.source)
    }
}

impl Error for CacheError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&*self.source)
    }
}
