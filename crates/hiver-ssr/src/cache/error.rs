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
}

impl CacheError {
    pub(crate) fn render(source: SharedError, coalesced: bool) -> Self {
        Self { source, coalesced }
    }

    /// The failed render belonged to another request this one waited for; log it once, from
    /// the request that rendered.
    pub fn is_coalesced(&self) -> bool {
        self.coalesced
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
