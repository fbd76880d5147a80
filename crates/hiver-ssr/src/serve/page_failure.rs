//! Why one page render failed, as the cache carries it to every waiting request.

use std::error::Error;
use std::fmt;

use crate::RenderError;
use crate::document::DocumentError;

/// A failed page render. Never cached; the request gets the client-side shell.
#[derive(Debug)]
pub(crate) enum PageFailure {
    /// The pool refused or the engine failed (JS error, timeout, memory, queue full).
    Render(RenderError),
    /// The render's output could not be placed in the document (a status outside 100–599).
    Document(DocumentError),
    /// The finisher threads are gone (the `Ssr` is shutting down).
    Finisher,
}

impl PageFailure {
    /// Failures that mean "overloaded" rather than "broken": answered with 503.
    pub(crate) fn is_unavailable(&self) -> bool {
        matches!(self, PageFailure::Render(e) if e.is_queue_full() || e.is_shut_down())
            || matches!(self, PageFailure::Finisher)
    }

    pub(crate) fn js_stack(&self) -> Option<&str> {
        match self {
            PageFailure::Render(e) => e.js_stack(),
            _ => None,
        }
    }
}

impl fmt::Display for PageFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PageFailure::Render(e) => write!(f, "render failed: {e}"),
            PageFailure::Document(e) => write!(f, "document assembly failed: {e}"),
            PageFailure::Finisher => f.write_str("page finisher threads have stopped"),
        }
    }
}

impl Error for PageFailure {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            PageFailure::Render(e) => Some(e),
            PageFailure::Document(e) => Some(e),
            PageFailure::Finisher => None,
        }
    }
}
