//! The one public error type: what starting or running a server can fail with.

use std::fmt;
use std::io;

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a server could not start or stopped with a failure.
///
/// Opaque: ask with the `is_*` predicates, read the cause with
/// [`source`](std::error::Error::source). Handler failures are never an `Error`: they are
/// responses (see [`IntoResponse`](crate::response::IntoResponse)).
///
/// # Examples
///
/// ```no_run
/// use hiver::{Router, Server};
///
/// match Server::bind("127.0.0.1:80").start(Router::new()) {
///     Ok(handle) => println!("listening on {}", handle.local_addr()),
///     Err(e) if e.is_bind() => eprintln!("port taken or not allowed: {e}"),
///     Err(e) => eprintln!("cannot start: {e}"),
/// }
/// ```
pub struct Error {
    kind: Kind,
    message: String,
    source: Option<Source>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bind,
    Config,
    Runtime,
}

impl Error {
    pub(crate) fn bind(addr: &str, source: io::Error) -> Self {
        Error {
            kind: Kind::Bind,
            message: format!("failed to bind {addr}"),
            source: Some(source.into()),
        }
    }

    pub(crate) fn config(message: impl Into<String>, source: Option<Source>) -> Self {
        Error {
            kind: Kind::Config,
            message: message.into(),
            source,
        }
    }

    pub(crate) fn runtime(message: impl Into<String>, source: io::Error) -> Self {
        Error {
            kind: Kind::Runtime,
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// The listening address could not be resolved or bound (in use, not local, not
    /// permitted).
    pub fn is_bind(&self) -> bool {
        self.kind == Kind::Bind
    }

    /// A setting is invalid: zero workers, or a bad `HIVER_DRIVER` value.
    pub fn is_config(&self) -> bool {
        self.kind == Kind::Config
    }

    /// The workers failed: an I/O driver that would not start (io_uring forced but
    /// refused, say), or a worker that stopped with an error.
    pub fn is_runtime(&self) -> bool {
        self.kind == Kind::Runtime
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(source) => write!(f, "{}: {source}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("source", &self.source)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn predicates_and_source() {
        let e = Error::bind("127.0.0.1:1", io::Error::from(io::ErrorKind::AddrInUse));
        assert!(e.is_bind() && !e.is_config() && !e.is_runtime());
        assert!(e.to_string().starts_with("failed to bind 127.0.0.1:1: "));
        let io = e.source().and_then(|s| s.downcast_ref::<io::Error>());
        assert_eq!(io.map(io::Error::kind), Some(io::ErrorKind::AddrInUse));
        let c = Error::config("workers must be at least 1", None);
        assert!(c.is_config());
        assert!(c.source().is_none());
        assert_eq!(c.to_string(), "workers must be at least 1");
    }
}
