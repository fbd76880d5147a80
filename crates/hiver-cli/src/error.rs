//! Why `hiver` stopped, and the exit status that says which kind of failure it was.

use std::fmt;
use std::process::ExitCode;

use crate::config::ConfigError;

/// A failure reported as one line on standard error.
#[derive(Debug)]
pub struct CliError {
    kind: Kind,
    message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Bad input: configuration, or a missing or broken bundle, manifest or props file.
    Input,
    /// The server (or a render) failed while starting or running.
    Runtime,
}

impl CliError {
    /// Bad input: exit status 2, as for a bad flag.
    pub fn input(message: impl Into<String>) -> Self {
        CliError {
            kind: Kind::Input,
            message: message.into(),
        }
    }

    /// A failure of the running server: exit status 1.
    pub fn runtime(message: impl Into<String>) -> Self {
        CliError {
            kind: Kind::Runtime,
            message: message.into(),
        }
    }

    /// 2 for bad input, 1 for a runtime failure.
    pub fn exit_code(&self) -> ExitCode {
        match self.kind {
            Kind::Input => ExitCode::from(2),
            Kind::Runtime => ExitCode::FAILURE,
        }
    }
}

impl From<ConfigError> for CliError {
    fn from(error: ConfigError) -> Self {
        CliError::input(error.to_string())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}
