//! The client build's files, read into memory at start-up and served with immutable
//! caching (Vite puts a content hash in every file name).

use std::path::{Component, Path};

use bytes::Bytes;
use http::HeaderValue;
use http::header::CONTENT_TYPE;
use serde_json::Value;

use super::error::SsrError;
use crate::cache::{Compression, Page};

/// `Cache-Control` of every asset: its name changes whenever its content does.
pub(crate) const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// One servable asset: its URL path and the page (body, encodings, ETags) answering it.
#[derive(Debug, Clone)]
pub(crate) struct Asset {
    pub(crate) url: String,
    pub(crate) page: Page,
}

/// Reads every file the manifest names (`file`, `css`, `assets` of every chunk) from
/// `dist`, to be served under `base` (a path such as `/` or `/static/`).
pub(crate) fn load(manifest_json: &str, dist: &Path, base: &str) -> Result<Vec<Asset>, SsrError> {
    let chunks: serde_json::Map<String, Value> = serde_json::from_str(manifest_json)
        .map_err(|e| SsrError::config(format!("manifest is not a JSON object: {e}")))?;
    let mut files: Vec<&str> = Vec::new();
    for chunk in chunks.values() {
        files.extend(chunk.get("file").and_then(Value::as_str));
        for list in ["css", "assets"] {
            let names = chunk.get(list).and_then(Value::as_array);
            files.extend(names.into_iter().flatten().filter_map(Value::as_str));
        }
    }
    files.sort_unstable();
    files.dedup();
    let base = base.trim_end_matches('/');
    files
        .into_iter()
        .map(|file| {
            read(dist, file).map(|page| Asset {
                url: format!("{base}/{file}"),
                page,
            })
        })
        .collect()
}

fn read(dist: &Path, file: &str) -> Result<Page, SsrError> {
    let relative = Path::new(file);
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return Err(SsrError::config(format!(
            "manifest file {file:?} is not a plain path inside the build directory"
        )));
    }
    let path = dist.join(relative);
    let bytes = std::fs::read(&path).map_err(|e| SsrError::asset(&path, e))?;
    let (content_type, compressible) = content_type(file);
    let compression = if compressible {
        Compression::default().brotli_quality(9)
    } else {
        Compression::none()
    };
    Ok(Page::builder(Bytes::from(bytes))
        .header(CONTENT_TYPE, HeaderValue::from_static(content_type))
        .compression(compression)
        .build())
}

/// The `Content-Type` for a file name, and whether compressing it pays.
pub(crate) fn content_type(file: &str) -> (&'static str, bool) {
    let ext = file.rsplit_once('.').map_or("", |(_, ext)| ext);
    match ext.to_ascii_lowercase().as_str() {
        "js" | "mjs" => ("text/javascript; charset=utf-8", true),
        "css" => ("text/css; charset=utf-8", true),
        "html" => ("text/html; charset=utf-8", true),
        "json" | "map" => ("application/json", true),
        "svg" => ("image/svg+xml", true),
        "txt" => ("text/plain; charset=utf-8", true),
        "wasm" => ("application/wasm", true),
        "woff2" => ("font/woff2", false),
        "woff" => ("font/woff", false),
        "ttf" => ("font/ttf", true),
        "otf" => ("font/otf", true),
        "png" => ("image/png", false),
        "jpg" | "jpeg" => ("image/jpeg", false),
        "gif" => ("image/gif", false),
        "webp" => ("image/webp", false),
        "avif" => ("image/avif", false),
        "ico" => ("image/x-icon", true),
        _ => ("application/octet-stream", false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(
            content_type("a/main-1.js").0,
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("x.CSS").0, "text/css; charset=utf-8");
        assert_eq!(content_type("f.woff2"), ("font/woff2", false));
        assert_eq!(content_type("noext").0, "application/octet-stream");
    }

    #[test]
    fn paths_must_stay_inside_dist() {
        for bad in ["../etc/passwd", "/etc/passwd", "a/../../b"] {
            let json = format!(r#"{{"m": {{"file": "{bad}"}}}}"#);
            assert!(
                load(&json, Path::new("."), "/").unwrap_err().is_config(),
                "{bad}"
            );
        }
    }
}
