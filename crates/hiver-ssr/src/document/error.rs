//! The errors of document assembly: [`ManifestError`] (at start-up, while reading the
//! manifest and resolving the entry) and [`DocumentError`] (per page).

use std::error::Error;
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug)]
enum ManifestErrorKind {
    Io(std::io::Error),
    Json(serde_json::Error),
    UnknownEntry(String),
    MissingImport { importer: String, key: String },
}

/// The Vite manifest cannot be read, does not parse, or does not contain what the template
/// asks of it.
///
/// Displays with the file first when it came from one, e.g.
/// `dist/.vite/manifest.json:3:7: missing field `file``.
#[derive(Debug)]
pub struct ManifestError {
    kind: ManifestErrorKind,
    path: Option<PathBuf>,
}

impl ManifestError {
    pub(crate) fn io(path: &Path, error: std::io::Error) -> Self {
        Self::new(ManifestErrorKind::Io(error), Some(path))
    }

    pub(crate) fn json(path: Option<&Path>, error: serde_json::Error) -> Self {
        Self::new(ManifestErrorKind::Json(error), path)
    }

    pub(crate) fn unknown_entry(path: Option<&Path>, entry: &str) -> Self {
        Self::new(ManifestErrorKind::UnknownEntry(entry.to_owned()), path)
    }

    pub(crate) fn missing_import(path: Option<&Path>, importer: &str, key: &str) -> Self {
        let kind = ManifestErrorKind::MissingImport {
            importer: importer.to_owned(),
            key: key.to_owned(),
        };
        Self::new(kind, path)
    }

    fn new(kind: ManifestErrorKind, path: Option<&Path>) -> Self {
        ManifestError {
            kind,
            path: path.map(Path::to_owned),
        }
    }

    /// The manifest file could not be read.
    pub fn is_io(&self) -> bool {
        matches!(self.kind, ManifestErrorKind::Io(_))
    }

    /// The text is not JSON, or not shaped like a Vite manifest.
    pub fn is_json(&self) -> bool {
        matches!(self.kind, ManifestErrorKind::Json(_))
    }

    /// The requested entry is not a key of the manifest.
    pub fn is_unknown_entry(&self) -> bool {
        matches!(self.kind, ManifestErrorKind::UnknownEntry(_))
    }

    /// A chunk's `imports` names a key the manifest does not have.
    pub fn is_missing_import(&self) -> bool {
        matches!(self.kind, ManifestErrorKind::MissingImport { .. })
    }

    /// The manifest file, when the manifest was read from one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The 1-based line of a JSON error.
    pub fn line(&self) -> Option<usize> {
        match &self.kind {
            ManifestErrorKind::Json(e) => Some(e.line()),
            _ => None,
        }
    }

    /// The 1-based column of a JSON error.
    pub fn column(&self) -> Option<usize> {
        match &self.kind {
            ManifestErrorKind::Json(e) => Some(e.column()),
            _ => None,
        }
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = match &self.path {
            Some(path) => path.display().to_string(),
            None => "manifest".to_owned(),
        };
        match &self.kind {
            ManifestErrorKind::Io(e) => write!(f, "{file}: cannot read: {e}"),
            // serde_json's message ends with "at line L column C"; lead with the position.
            ManifestErrorKind::Json(e) => {
                let (line, column) = (e.line(), e.column());
                write!(f, "{file}:{line}:{column}: invalid Vite manifest: {e}")
            }
            ManifestErrorKind::UnknownEntry(entry) => {
                write!(f, "{file}: no entry {entry:?} in the manifest")
            }
            ManifestErrorKind::MissingImport { importer, key } => {
                write!(
                    f,
                    "{file}: chunk {importer:?} imports {key:?}, which is not in it"
                )
            }
        }
    }
}

impl Error for ManifestError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.kind {
            ManifestErrorKind::Io(e) => Some(e),
            ManifestErrorKind::Json(e) => Some(e),
            _ => None,
        }
    }
}

#[derive(Debug)]
enum DocumentErrorKind {
    State(serde_json::Error),
    Status(u16),
}

/// One page could not be assembled: its hydration state does not serialize (or is not JSON),
/// or the render asked for a status outside 100–599.
///
/// Treat it like a render error: serve the shell and do not cache.
#[derive(Debug)]
pub struct DocumentError {
    kind: DocumentErrorKind,
}

impl DocumentError {
    pub(crate) fn state(error: serde_json::Error) -> Self {
        DocumentError {
            kind: DocumentErrorKind::State(error),
        }
    }

    pub(crate) fn status(status: u16) -> Self {
        DocumentError {
            kind: DocumentErrorKind::Status(status),
        }
    }

    /// The hydration state could not be serialized, or the JSON text given for it is invalid.
    pub fn is_state(&self) -> bool {
        matches!(self.kind, DocumentErrorKind::State(_))
    }

    /// The render returned a status outside 100–599.
    pub fn is_status(&self) -> bool {
        matches!(self.kind, DocumentErrorKind::Status(_))
    }

    /// The rejected status, for [`is_status`](Self::is_status) errors.
    pub fn rejected_status(&self) -> Option<u16> {
        match self.kind {
            DocumentErrorKind::Status(status) => Some(status),
            DocumentErrorKind::State(_) => None,
        }
    }
}

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            DocumentErrorKind::State(e) => write!(f, "hydration state is not valid JSON: {e}"),
            DocumentErrorKind::Status(s) => {
                write!(f, "render returned status {s}, outside 100-599")
            }
        }
    }
}

impl Error for DocumentError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.kind {
            DocumentErrorKind::State(e) => Some(e),
            DocumentErrorKind::Status(_) => None,
        }
    }
}
