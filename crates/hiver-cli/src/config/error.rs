//! Why the configuration was refused.

use std::fmt;
use std::path::{Path, PathBuf};

/// A configuration error, naming where the bad value was written.
///
/// `Display` is one line: `hiver.toml:7: server.port: expected an integer 0..=65535, got
/// "http"` for the file, `HIVER_PORT: ...` for the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    origin: Origin,
    message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    /// `key` is `None` for TOML syntax errors and for the file as a whole.
    File {
        path: PathBuf,
        line: Option<usize>,
        key: Option<String>,
    },
    Env(String),
    /// A rule between keys (no bundle anywhere, an entry without a manifest).
    Settings,
}

impl ConfigError {
    /// A bad value (or unknown key) at `line` of the file.
    pub(crate) fn at(path: &Path, line: usize, key: impl Into<String>, message: String) -> Self {
        let (line, key) = (Some(line), Some(key.into()));
        let path = path.to_owned();
        ConfigError {
            origin: Origin::File { path, line, key },
            message,
        }
    }

    /// The file is not TOML (`line` where the parser stopped) or cannot be read.
    pub(crate) fn file(path: &Path, line: Option<usize>, message: String) -> Self {
        let path = path.to_owned();
        ConfigError {
            origin: Origin::File {
                path,
                line,
                key: None,
            },
            message,
        }
    }

    /// A bad value in environment variable `var`.
    pub(crate) fn env(var: &str, message: impl Into<String>) -> Self {
        ConfigError {
            origin: Origin::Env(var.to_owned()),
            message: message.into(),
        }
    }

    /// Keys that do not fit together, whatever source set them.
    pub(crate) fn settings(message: impl Into<String>) -> Self {
        ConfigError {
            origin: Origin::Settings,
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            Origin::File { path, line, key } => {
                write!(f, "{}", path.display())?;
                if let Some(line) = line {
                    write!(f, ":{line}")?;
                }
                if let Some(key) = key {
                    write!(f, ": {key}")?;
                }
                write!(f, ": {}", self.message)
            }
            Origin::Env(var) => write!(f, "{var}: {}", self.message),
            Origin::Settings => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ConfigError {}
