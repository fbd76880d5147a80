//! The page skeleton, split into static pieces once so a page is a few copies.

use bytes::Bytes;
use http::StatusCode;

use crate::engine::RenderResult;

use super::assets::AssetTags;
use super::error::DocumentError;
use super::escape::{escape_html, escape_html_into};
use super::state::{HydrationState, STATE_ELEMENT_ID};

/// The HTML document every page of an app is placed into.
///
/// ```text
/// <!doctype html><html lang="LANG"><head><meta charset="utf-8"><meta name="viewport" …>
/// EXTRA HEAD · HEAD FROM THE RENDER · ASSET TAGS</head><body><div id="ROOT">SERVER HTML</div>
/// <script id="__HIVER_STATE__" type="application/json">STATE</script></body></html>
/// ```
///
/// (without the line breaks). Everything but the render's head, its HTML and the state is
/// built once by [`DocumentTemplateBuilder::build`]; a page is one exactly sized allocation
/// and seven copies.
///
/// The render's `head` and `html` are inserted as they are: they come from the app's own
/// bundle and are as trusted as the bundle. Only the hydration state, which carries request
/// data, is escaped.
///
/// # Examples
///
/// ```
/// use hiver_ssr::document::{DocumentTemplate, HydrationState, Manifest};
///
/// let manifest = Manifest::from_str(r#"{"src/main.js": {"file": "assets/main-1a.js", "isEntry": true}}"#)?;
/// let template = DocumentTemplate::builder()
///     .lang("fr")
///     .assets(manifest.asset_tags("src/main.js", "/")?)
///     .build();
/// let state = HydrationState::new(&serde_json::json!({ "user": "ada" }))?;
/// let page = template.assemble("<title>Hi</title>", "<p>Hello</p>", &state);
/// assert!(page.starts_with(b"<!doctype html><html lang=\"fr\">"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct DocumentTemplate {
    /// From the doctype to the end of the extra static head.
    start: Bytes,
    /// Asset tags, the end of the head and the opening root element.
    before_html: Bytes,
    /// The closing root element and the opening state script.
    before_state: Bytes,
    /// The closing state script and the end of the document.
    end: Bytes,
}

impl DocumentTemplate {
    /// A builder with the defaults: `lang="en"`, root `<div id="app">`, a
    /// `width=device-width, initial-scale=1` viewport, no extra head and no asset tags.
    pub fn builder() -> DocumentTemplateBuilder {
        DocumentTemplateBuilder::default()
    }

    /// The document with the render's `head` and `html` and the hydration `state`.
    pub fn assemble(&self, head: &str, html: &str, state: &HydrationState) -> Bytes {
        let state = state.as_bytes();
        let len = self.static_len() + head.len() + html.len() + state.len();
        let mut page = Vec::with_capacity(len);
        page.extend_from_slice(&self.start);
        page.extend_from_slice(head.as_bytes());
        page.extend_from_slice(&self.before_html);
        page.extend_from_slice(html.as_bytes());
        page.extend_from_slice(&self.before_state);
        page.extend_from_slice(state);
        page.extend_from_slice(&self.end);
        debug_assert_eq!(page.len(), len);
        Bytes::from(page)
    }

    /// The document up to the server HTML, for a streamed page: sent before the first
    /// chunk, so the browser starts on the asset tags and preload hints at once.
    /// `opening(head) + html + closing(state)` is [`assemble`](Self::assemble)`(head, html,
    /// state)`, byte for byte.
    pub fn opening(&self, head: &str) -> Bytes {
        let len = self.start.len() + head.len() + self.before_html.len();
        let mut part = Vec::with_capacity(len);
        part.extend_from_slice(&self.start);
        part.extend_from_slice(head.as_bytes());
        part.extend_from_slice(&self.before_html);
        Bytes::from(part)
    }

    /// The document after the server HTML, for a streamed page: the end of the root
    /// element, the hydration state and the end of the document (see
    /// [`opening`](Self::opening)).
    pub fn closing(&self, state: &HydrationState) -> Bytes {
        let state = state.as_bytes();
        let len = self.before_state.len() + state.len() + self.end.len();
        let mut part = Vec::with_capacity(len);
        part.extend_from_slice(&self.before_state);
        part.extend_from_slice(state);
        part.extend_from_slice(&self.end);
        Bytes::from(part)
    }

    /// The document for a successful render, with the status the render asked for.
    ///
    /// # Errors
    ///
    /// [`DocumentError::is_status`] when the render's status is outside 100–599 (see
    /// [`render_status`]).
    pub fn render_page(
        &self,
        result: &RenderResult,
        state: &HydrationState,
    ) -> Result<(StatusCode, Bytes), DocumentError> {
        let status = render_status(result.status)?;
        Ok((status, self.assemble(&result.head, &result.html, state)))
    }

    /// The client-side shell: the document with an empty root element, so the client renders
    /// the page itself on hydration. Served when the server render failed or timed out.
    ///
    /// `head` is the head markup to use (often `""`, or a fixed `<title>`).
    pub fn shell(&self, state: &HydrationState, head: &str) -> Bytes {
        self.assemble(head, "", state)
    }

    /// [`shell`](Self::shell) paired with the status to send it with, which the caller chooses
    /// (200 for a page that still works, 500 after a JS error, 503 when the pool is full).
    pub fn shell_response(
        &self,
        status: StatusCode,
        state: &HydrationState,
        head: &str,
    ) -> (StatusCode, Bytes) {
        (status, self.shell(state, head))
    }

    /// Bytes of every page that do not depend on the render.
    pub fn static_len(&self) -> usize {
        self.start.len() + self.before_html.len() + self.before_state.len() + self.end.len()
    }
}

/// Checks the status a render asked for.
///
/// A status outside 100–599 is a bug in the app, so it is reported rather than clamped: the
/// caller handles it like a failed render (serves the shell with 500, does not cache) and the
/// error names the bad value.
///
/// # Errors
///
/// [`DocumentError::is_status`] when `status` is outside 100–599.
pub fn render_status(status: u16) -> Result<StatusCode, DocumentError> {
    if !(100..=599).contains(&status) {
        return Err(DocumentError::status(status));
    }
    StatusCode::from_u16(status).map_err(|_| DocumentError::status(status))
}

/// Configures a [`DocumentTemplate`].
#[derive(Debug, Clone)]
pub struct DocumentTemplateBuilder {
    lang: String,
    root_id: String,
    viewport: String,
    head_html: String,
    assets: AssetTags,
}

impl Default for DocumentTemplateBuilder {
    fn default() -> Self {
        DocumentTemplateBuilder {
            lang: "en".to_owned(),
            root_id: "app".to_owned(),
            viewport: "width=device-width, initial-scale=1".to_owned(),
            head_html: String::new(),
            assets: AssetTags::default(),
        }
    }
}

impl DocumentTemplateBuilder {
    /// The `lang` attribute of `<html>` (escaped). Default `en`.
    pub fn lang(mut self, lang: impl Into<String>) -> Self {
        self.lang = lang.into();
        self
    }

    /// The `id` of the root `<div>` the app mounts on (escaped). Default `app`.
    pub fn root_id(mut self, id: impl Into<String>) -> Self {
        self.root_id = id.into();
        self
    }

    /// The `content` of the viewport meta tag (escaped); `""` leaves the tag out.
    pub fn viewport(mut self, content: impl Into<String>) -> Self {
        self.viewport = content.into();
        self
    }

    /// Static markup placed in every `<head>` before the render's own head tags (favicon,
    /// fonts, analytics). Trusted: inserted unescaped.
    pub fn head_html(mut self, html: impl Into<String>) -> Self {
        self.head_html = html.into();
        self
    }

    /// The tags that load the client bundle, from [`Manifest::asset_tags`]. Default none.
    ///
    /// [`Manifest::asset_tags`]: super::Manifest::asset_tags
    pub fn assets(mut self, assets: AssetTags) -> Self {
        self.assets = assets;
        self
    }

    /// Renders the static pieces.
    pub fn build(self) -> DocumentTemplate {
        let mut start = String::from("<!doctype html><html lang=\"");
        escape_html_into(&mut start, &self.lang);
        start.push_str("\"><head><meta charset=\"utf-8\">");
        if !self.viewport.is_empty() {
            start.push_str("<meta name=\"viewport\" content=\"");
            escape_html_into(&mut start, &self.viewport);
            start.push_str("\">");
        }
        start.push_str(&self.head_html);
        let root_id = escape_html(&self.root_id);
        let before_html = format!("{}</head><body><div id=\"{root_id}\">", self.assets.html());
        let before_state =
            format!("</div><script id=\"{STATE_ELEMENT_ID}\" type=\"application/json\">");
        DocumentTemplate {
            start: Bytes::from(start),
            before_html: Bytes::from(before_html),
            before_state: Bytes::from(before_state),
            end: Bytes::from_static(b"</script></body></html>"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_range_is_checked() {
        assert_eq!(render_status(404).ok(), Some(StatusCode::NOT_FOUND));
        assert_eq!(render_status(100).ok(), Some(StatusCode::CONTINUE));
        assert!(render_status(599).is_ok());
        for bad in [0, 99, 600, 999, u16::MAX] {
            let err = render_status(bad).unwrap_err();
            assert!(err.is_status() && err.rejected_status() == Some(bad));
        }
    }

    #[test]
    fn opening_html_and_closing_make_the_assembled_page() {
        let template = DocumentTemplate::builder()
            .head_html("<link rel=icon>")
            .build();
        let state = HydrationState::new(&serde_json::json!({ "a": "</script>" })).unwrap();
        let (head, html) = ("<title>t</title>", "<main>streamed</main>");
        let mut joined = template.opening(head).to_vec();
        joined.extend_from_slice(html.as_bytes());
        joined.extend_from_slice(&template.closing(&state));
        assert_eq!(joined, template.assemble(head, html, &state).to_vec());
    }

    #[test]
    fn attributes_are_escaped_and_viewport_can_be_omitted() {
        let template = DocumentTemplate::builder()
            .lang("en\"><x")
            .root_id("a&b")
            .viewport("")
            .build();
        let page = template.shell(&HydrationState::null(), "");
        let page = std::str::from_utf8(&page).expect("template pieces are UTF-8");
        assert!(page.starts_with("<!doctype html><html lang=\"en&quot;&gt;&lt;x\">"));
        assert!(page.contains("<div id=\"a&amp;b\"></div>"));
        assert!(!page.contains("viewport"));
    }
}
