//! The client build's files, served from disk by [`hiver_static::ServeFile`]: `ETag`s,
//! 304s, ranges, precompressed siblings (`main-abc123.js.br`, `.zst`, `.gz`) and
//! immutable caching (Vite puts a content hash in every file name), with file bodies
//! (read through the ring on io_uring; on epoll read, or sent with `sendfile(2)` over
//! 128 KiB).

use std::path::{Component, Path};

use hiver_static::ServeFile;
use serde_json::Value;

use super::error::SsrError;

/// One servable asset: its URL path and the file service answering it.
#[derive(Debug, Clone)]
pub(crate) struct Asset {
    pub(crate) url: String,
    pub(crate) file: ServeFile,
}

/// Checks every file the manifest names (`file`, `css`, `assets` of every chunk) in
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
            serve_file(dist, file).map(|file_service| Asset {
                url: format!("{base}/{file}"),
                file: file_service,
            })
        })
        .collect()
}

fn serve_file(dist: &Path, file: &str) -> Result<ServeFile, SsrError> {
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
    // The manifest only names content-hashed files: every one is immutable, whatever
    // the length of its hash.
    ServeFile::builder(&path)
        .immutable_if(|_| true)
        .build()
        .map_err(|e| {
            let error = match std::fs::metadata(&path) {
                Err(io) => io,
                Ok(_) => std::io::Error::other(e.to_string()),
            };
            SsrError::asset(&path, error)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn missing_files_are_asset_errors() {
        let json = r#"{"m": {"file": "assets/nope-12345678.js"}}"#;
        let err = load(json, Path::new("."), "/").unwrap_err();
        assert!(err.is_asset(), "{err}");
    }
}
