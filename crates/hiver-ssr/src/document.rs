//! Document assembly: turns a render's `{ html, head, status }` into the HTML document the
//! browser receives, and builds the client-side shell served when rendering failed.
//!
//! At start-up, read the client build's Vite manifest and resolve the entry once (an unknown
//! entry fails here, not on a request), then build a [`DocumentTemplate`]. Per page, wrap the
//! props in a [`HydrationState`] and call [`DocumentTemplate::render_page`] with the engine's
//! [`RenderResult`](crate::RenderResult) (the pool's [`Rendered`](crate::Rendered) carries it
//! as `result`), or [`DocumentTemplate::shell_response`] when the render failed.
//!
//! # Examples
//!
//! ```
//! use hiver_ssr::document::{DocumentTemplate, HydrationState, Manifest};
//! use hiver_ssr::RenderResult;
//!
//! let manifest = Manifest::from_str(r#"{
//!   "src/main.tsx": { "file": "assets/main-4f2a.js", "isEntry": true,
//!                     "imports": ["_vendor-77e1.js"], "css": ["assets/main-9c1b.css"] },
//!   "_vendor-77e1.js": { "file": "assets/vendor-77e1.js" }
//! }"#)?;
//! let template = DocumentTemplate::builder()
//!     .assets(manifest.asset_tags("src/main.tsx", "/static/")?)
//!     .head_html(r#"<link rel="icon" href="/favicon.ico">"#)
//!     .build();
//!
//! let state = HydrationState::new(&serde_json::json!({ "name": "</script>" }))?;
//! let result = RenderResult {
//!     html: "<h1>Hi</h1>".into(),
//!     head: "<title>Hi</title>".into(),
//!     status: 200,
//! };
//! let (status, body) = template.render_page(&result, &state)?;
//! assert_eq!(status, 200);
//! let body = std::str::from_utf8(&body)?;
//! assert!(body.contains(r#"<link rel="modulepreload" href="/static/assets/vendor-77e1.js">"#));
//! assert!(body.contains(r#"<div id="app"><h1>Hi</h1></div>"#));
//! assert!(body.contains(r#"{"name":"\u003c/script\u003e"}"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Hydration state on the client
//!
//! The state is a JSON data block, `<script id="__HIVER_STATE__" type="application/json">`
//! (see [`HydrationState`] for the escaping). The client reads it before hydrating:
//!
//! ```js
//! const props = JSON.parse(document.getElementById("__HIVER_STATE__").textContent);
//! hydrateRoot(document.getElementById("app"), <App {...props} />);
//! ```
//!
//! [`CLIENT_STATE_READER`] is that first line as a string, for a demo or an inline script.
//!
//! # Trust
//!
//! The render's `head` and `html`, and [`DocumentTemplateBuilder::head_html`], are inserted
//! unescaped: they come from the app's own bundle and configuration. Attribute values the
//! template writes (lang, root id, asset URLs) are HTML-escaped, and the state, which carries
//! request data, is escaped for the script element.
//!
//! # Status
//!
//! A render status outside 100–599 is an error ([`DocumentError::is_status`]), not clamped:
//! see [`render_status`].

mod assets;
mod error;
mod escape;
mod manifest;
mod state;
mod template;

pub use assets::AssetTags;
pub use error::{DocumentError, ManifestError};
pub use manifest::{Manifest, ManifestChunk};
pub use state::{HydrationState, STATE_ELEMENT_ID};
pub use template::{DocumentTemplate, DocumentTemplateBuilder, render_status};

/// The JavaScript expression that reads the hydration state in the browser.
pub const CLIENT_STATE_READER: &str =
    "JSON.parse(document.getElementById(\"__HIVER_STATE__\").textContent)";
