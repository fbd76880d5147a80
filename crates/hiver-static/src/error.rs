//! The construction error.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Why a [`ServeDir`](crate::ServeDir) or [`ServeFile`](crate::ServeFile) could not be
/// built: its path does not exist, is not what it must be, or cannot be resolved. Names
/// the path.
#[derive(Debug)]
pub struct Error {
    path: PathBuf,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    NotADirectory,
    NotAFile,
    Io(io::Error),
}

impl Error {
    pub(crate) fn io(path: &Path, error: io::Error) -> Self {
        Error {
            path: path.to_owned(),
            kind: Kind::Io(error),
        }
    }

    pub(crate) fn not_a_directory(path: &Path) -> Self {
        Error {
            path: path.to_owned(),
            kind: Kind::NotADirectory,
        }
    }

    pub(crate) fn not_a_file(path: &Path) -> Self {
        Error {
            path: path.to_owned(),
            kind: Kind::NotAFile,
        }
    }

    /// The path that was given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the path does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(&self.kind, Kind::Io(e) if e.kind() == io::ErrorKind::NotFound)
    }

    /// Whether a directory was required and the path is something else.
    pub fn is_not_a_directory(&self) -> bool {
        matches!(self.kind, Kind::NotADirectory)
    }

    /// Whether a regular file was required and the path is something else.
    pub fn is_not_a_file(&self) -> bool {
        matches!(self.kind, Kind::NotAFile)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match &self.kind {
            Kind::NotADirectory => write!(f, "static files: {path} is not a directory"),
            Kind::NotAFile => write!(f, "static files: {path} is not a regular file"),
            Kind::Io(e) if e.kind() == io::ErrorKind::NotFound => {
                write!(f, "static files: {path} does not exist")
            }
            Kind::Io(e) => write!(f, "static files: cannot resolve {path}: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            Kind::Io(e) => Some(e),
            _ => None,
        }
    }
}
