//! What the template needs from a render, whichever layer produced it.

use crate::engine::Page;
use crate::pool::Rendered;

/// The parts of a finished render the document is built from: implemented by the engine's
/// [`Page`] and the pool's [`Rendered`], so either goes straight into
/// [`DocumentTemplate::render_page`](super::DocumentTemplate::render_page).
pub trait RenderOutput {
    /// The app's rendered markup, placed inside the root element.
    fn html(&self) -> &str;
    /// Markup for `<head>` (title, meta tags); trusted, inserted unescaped.
    fn head(&self) -> &str;
    /// The status the render asked for, checked by [`render_status`](super::render_status).
    fn status(&self) -> u16;
}

impl RenderOutput for Page {
    fn html(&self) -> &str {
        &self.html
    }

    fn head(&self) -> &str {
        &self.head
    }

    fn status(&self) -> u16 {
        self.status
    }
}

impl RenderOutput for Rendered {
    fn html(&self) -> &str {
        &self.html
    }

    fn head(&self) -> &str {
        &self.head
    }

    fn status(&self) -> u16 {
        self.status
    }
}
