//! Vite's build manifest (`.vite/manifest.json` with `build.manifest: true`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;

use super::assets::AssetTags;
use super::error::ManifestError;

/// One chunk (or asset) of a Vite build, keyed in the manifest by its source path
/// (`src/main.tsx`) or, for shared chunks, by `_name-hash.js`.
///
/// Fields Vite adds later are ignored; fields it leaves out are empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ManifestChunk {
    /// The output file, relative to the build's `outDir` (`assets/main-4f2a.js`).
    pub file: String,
    /// The source path, when the chunk has one.
    #[serde(default)]
    pub src: Option<String>,
    /// The chunk's name (`main`), when Vite recorded one.
    #[serde(default)]
    pub name: Option<String>,
    /// Whether the chunk is an entry point of the build.
    #[serde(default)]
    pub is_entry: bool,
    /// Whether the chunk is only reached through a dynamic `import()`.
    #[serde(default)]
    pub is_dynamic_entry: bool,
    /// Manifest keys of the chunks this one imports statically.
    #[serde(default)]
    pub imports: Vec<String>,
    /// Manifest keys of the chunks this one imports with `import()`; not preloaded.
    #[serde(default)]
    pub dynamic_imports: Vec<String>,
    /// Output files of the stylesheets this chunk imports.
    #[serde(default)]
    pub css: Vec<String>,
    /// Output files of other assets (fonts, images) the chunk references.
    #[serde(default)]
    pub assets: Vec<String>,
}

/// A parsed Vite manifest: the chunks of one client build, by manifest key.
///
/// # Examples
///
/// ```
/// use hiver_ssr::document::Manifest;
///
/// let manifest = Manifest::from_str(r#"{
///     "src/main.tsx": { "file": "assets/main-4f2a.js", "isEntry": true, "css": ["assets/main-9c1b.css"] }
/// }"#)?;
/// let tags = manifest.asset_tags("src/main.tsx", "/")?;
/// assert_eq!(tags.script(), "/assets/main-4f2a.js");
/// # Ok::<(), hiver_ssr::document::ManifestError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    chunks: HashMap<String, ManifestChunk>,
    /// The file it was read from, so later errors (an unknown entry) can name it.
    origin: Option<PathBuf>,
}

impl Manifest {
    /// Reads and parses the manifest at `path`.
    ///
    /// # Errors
    ///
    /// [`ManifestError::is_io`] when the file cannot be read, [`ManifestError::is_json`] (with
    /// the file, line and column) when it is not a manifest.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Manifest, ManifestError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| ManifestError::io(path, e))?;
        let mut manifest = Self::parse(&text, Some(path))?;
        manifest.origin = Some(path.to_owned());
        Ok(manifest)
    }

    /// Parses a manifest from its JSON text.
    ///
    /// # Errors
    ///
    /// [`ManifestError::is_json`] with the line and column when `json` is not a manifest.
    // An inherent method so callers need no `FromStr` import; the trait is implemented too.
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(json: &str) -> Result<Manifest, ManifestError> {
        Self::parse(json, None)
    }

    fn parse(json: &str, path: Option<&Path>) -> Result<Manifest, ManifestError> {
        let chunks = serde_json::from_str(json).map_err(|e| ManifestError::json(path, e))?;
        Ok(Manifest {
            chunks,
            origin: None,
        })
    }

    /// The chunk under manifest key `key`.
    pub fn chunk(&self, key: &str) -> Option<&ManifestChunk> {
        self.chunks.get(key)
    }

    /// The keys of the chunks marked `isEntry`, sorted.
    pub fn entries(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .chunks
            .iter()
            .filter(|(_, chunk)| chunk.is_entry)
            .map(|(key, _)| key.as_str())
            .collect();
        keys.sort_unstable();
        keys
    }

    /// Computes the tags that load entry `entry` with its stylesheets and statically imported
    /// chunks, with every URL prefixed by `base` (a `/` is appended when missing, so `/static`
    /// and `/static/` are the same; `""` means `/`).
    ///
    /// # Errors
    ///
    /// [`ManifestError::is_unknown_entry`] when `entry` is not a key of the manifest, and
    /// [`ManifestError::is_missing_import`] when a chunk imports a key the manifest lacks.
    pub fn asset_tags(&self, entry: &str, base: &str) -> Result<AssetTags, ManifestError> {
        AssetTags::collect(self, entry, base)
    }

    pub(crate) fn origin(&self) -> Option<&Path> {
        self.origin.as_deref()
    }
}

impl FromStr for Manifest {
    type Err = ManifestError;

    fn from_str(json: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(json, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_ignored_and_missing_lists_are_empty() {
        let manifest = Manifest::from_str(
            r#"{"a.js": {"file": "a-1.js", "isEntry": true, "integrity": "sha384-x", "future": [1]}}"#,
        )
        .expect("a valid manifest");
        let chunk = manifest.chunk("a.js").expect("key present");
        assert_eq!(chunk.file, "a-1.js");
        assert!(chunk.is_entry && chunk.imports.is_empty() && chunk.css.is_empty());
        assert_eq!(manifest.entries(), ["a.js"]);
    }

    #[test]
    fn a_chunk_without_file_is_an_error_with_a_position() {
        let err = Manifest::from_str("{\n  \"a.js\": {\"isEntry\": true}\n}").unwrap_err();
        assert!(err.is_json());
        assert_eq!(err.line(), Some(2));
    }

    #[test]
    fn from_str_trait_matches_inherent() {
        let json = r#"{"a.js": {"file": "a-1.js"}}"#;
        assert_eq!(json.parse::<Manifest>().ok(), Manifest::from_str(json).ok());
    }
}
