use std::path::Path;
use std::sync::Arc;

use super::BundleError;

/// The JavaScript source of a server bundle and the name errors point at.
///
/// A bundle is a classic script (an esbuild IIFE, not an ES module) that assigns
/// `globalThis.render = (url, props) => ...`. Cloning is cheap (two reference counts): every
/// render thread keeps one.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// Shown in errors and stack traces; the path for a bundle read from a file.
    name: Arc<str>,
    source: Arc<str>,
}

impl Bundle {
    /// Reads a bundle from a UTF-8 file; the path becomes its name.
    ///
    /// # Errors
    ///
    /// [`BundleError::is_io`] when the file cannot be read or is not UTF-8.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, BundleError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let source = std::fs::read_to_string(path).map_err(|e| BundleError::io(&name, e))?;
        Ok(Self::from_source(name, source))
    }

    /// A bundle from source text already in memory, named `name` in errors.
    pub fn from_source(name: impl Into<Arc<str>>, source: impl Into<Arc<str>>) -> Self {
        Bundle {
            name: name.into(),
            source: source.into(),
        }
    }

    /// The name errors and stack traces use.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The JavaScript source.
    pub fn source(&self) -> &str {
        &self.source
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_is_an_io_error_naming_the_path() {
        let err = Bundle::from_file("/nonexistent/dir/bundle.js").unwrap_err();
        assert!(err.is_io());
        assert_eq!(err.file(), "/nonexistent/dir/bundle.js");
        assert!(err.to_string().starts_with("/nonexistent/dir/bundle.js: "));
    }
}
