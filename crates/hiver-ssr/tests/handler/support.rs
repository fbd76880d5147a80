//! Shared by the handler tests: the fixture bundle, manifest and helpers.

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use hiver_ssr::serve::SsrBuilder;

use crate::every_engine::Backend;

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/handler")
}

pub fn manifest() -> PathBuf {
    fixtures().join("dist/.vite/manifest.json")
}

/// The fixture app on engine `e`: one render thread (so the bundle's render counter is
/// exact), a short time limit, assets under /static/.
pub fn builder(e: Backend) -> SsrBuilder {
    e.ssr()
        .bundle(fixtures().join("app.js"))
        .manifest(manifest(), "src/main.js")
        .asset_base("/static/")
        .threads(1)
        .time_limit(Duration::from_millis(300))
}

/// The number in the page's `render #N`.
pub fn render_no(body: &str) -> u64 {
    let start = body
        .find("render #")
        .unwrap_or_else(|| panic!("no render number in {body}"))
        + "render #".len();
    let digits: String = body[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().expect("render number")
}

/// The hydration state element's text.
pub fn state(body: &str) -> &str {
    let open = r#"<script id="__HIVER_STATE__" type="application/json">"#;
    let start = body.find(open).expect("state element") + open.len();
    let len = body[start..].find("</script>").expect("state end");
    &body[start..start + len]
}

pub fn brotli(body: &[u8]) -> String {
    let mut out = Vec::new();
    brotli::Decompressor::new(body, 4096)
        .read_to_end(&mut out)
        .expect("valid brotli");
    String::from_utf8(out).expect("utf-8")
}

pub fn gunzip(body: &[u8]) -> String {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut out)
        .expect("valid gzip");
    String::from_utf8(out).expect("utf-8")
}
