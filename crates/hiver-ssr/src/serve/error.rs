//! Why an [`Ssr`](super::Ssr) could not be built or reloaded.

use std::error::Error;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::document::ManifestError;
use crate::engine::BundleError;

/// Why building or reloading an [`Ssr`](super::Ssr) failed. Nothing is half-started: a
/// failed build serves nothing, a failed reload leaves the previous bundle serving.
///
/// `Display` names the file (and line, when known) and the reason, e.g.
/// `dist/server/entry.js:3: SyntaxError: unexpected token`.
#[derive(Debug)]
pub struct SsrError {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Bundle(BundleError),
    Manifest(ManifestError),
    Asset {
        path: PathBuf,
        error: std::io::Error,
    },
    Config(String),
}

impl SsrError {
    pub(crate) fn asset(path: &Path, error: std::io::Error) -> Self {
        let path = path.to_owned();
        SsrError {
            kind: Kind::Asset { path, error },
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        SsrError {
            kind: Kind::Config(message.into()),
        }
    }

    /// The server bundle could not be read or evaluated, or defines no `render`.
    pub fn is_bundle(&self) -> bool {
        matches!(self.kind, Kind::Bundle(_))
    }

    /// The Vite manifest could not be read or parsed, or lacks the entry.
    pub fn is_manifest(&self) -> bool {
        matches!(self.kind, Kind::Manifest(_))
    }

    /// A file the manifest names could not be read from the client build directory.
    pub fn is_asset(&self) -> bool {
        matches!(self.kind, Kind::Asset { .. })
    }

    /// The configuration is inconsistent (no bundle, a tag naming an unknown route
    /// parameter, an asset path leaving the build directory, ...).
    pub fn is_config(&self) -> bool {
        matches!(self.kind, Kind::Config(_))
    }

    /// The file the error is about, when there is one.
    pub fn file(&self) -> Option<&Path> {
        match &self.kind {
            Kind::Bundle(e) => Some(Path::new(e.file())),
            Kind::Manifest(e) => e.path(),
            Kind::Asset { path, .. } => Some(path),
            Kind::Config(_) => None,
        }
    }

    /// The 1-based line in [`file`](Self::file), when known.
    pub fn line(&self) -> Option<u32> {
        match &self.kind {
            Kind::Bundle(e) => e.line(),
            Kind::Manifest(e) => e.line().and_then(|l| u32::try_from(l).ok()),
            _ => None,
        }
    }

    /// The bundle error, for [`is_bundle`](Self::is_bundle) errors.
    pub fn bundle_error(&self) -> Option<&BundleError> {
        match &self.kind {
            Kind::Bundle(e) => Some(e),
            _ => None,
        }
    }
}

impl From<BundleError> for SsrError {
    fn from(error: BundleError) -> Self {
        SsrError {
            kind: Kind::Bundle(error),
        }
    }
}

impl From<ManifestError> for SsrError {
    fn from(error: ManifestError) -> Self {
        SsrError {
            kind: Kind::Manifest(error),
        }
    }
}

impl fmt::Display for SsrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Bundle(e) => write!(f, "server bundle: {e}"),
            Kind::Manifest(e) => write!(f, "vite manifest: {e}"),
            Kind::Asset { path, error } => write!(f, "{}: client asset: {error}", path.display()),
            Kind::Config(message) => write!(f, "ssr configuration: {message}"),
        }
    }
}

impl Error for SsrError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.kind {
            Kind::Bundle(e) => Some(e),
            Kind::Manifest(e) => Some(e),
            Kind::Asset { error, .. } => Some(error),
            Kind::Config(_) => None,
        }
    }
}
