//! The one error type of the client.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use fallible_iterator::FallibleIterator;
use postgres_protocol::message::backend::ErrorResponseBody;

/// Everything the client can fail with: opaque, asked with the `is_*` predicates.
///
/// Cloning is cheap (the source is shared): one lost connection fails every query that was
/// in flight on it with a clone of the same error.
#[derive(Clone)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: Kind,
    message: String,
    db: Option<DbError>,
    source: Option<Arc<dyn StdError + Send + Sync>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Config,
    Connect,
    Auth,
    Closed,
    Timeout,
    Db,
    Protocol,
    Encode,
    Decode,
    RowCount,
}

/// What the server said in an `ErrorResponse`.
#[derive(Clone, Debug)]
struct DbError {
    severity: String,
    code: String,
    message: String,
}

impl Error {
    pub(crate) fn new(kind: Kind, message: impl Into<String>) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                db: None,
                source: None,
            }),
        }
    }

    pub(crate) fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Error {
        self.inner.source = Some(Arc::new(source));
        self
    }

    pub(crate) fn boxed_source(mut self, source: Box<dyn StdError + Send + Sync>) -> Error {
        self.inner.source = Some(Arc::from(source));
        self
    }

    /// An `ErrorResponse` from the server, as `kind` (`Db` for a query; `Auth` or `Connect`
    /// during start-up).
    pub(crate) fn db(kind: Kind, body: &ErrorResponseBody) -> Error {
        let mut db = DbError {
            severity: String::new(),
            code: String::new(),
            message: String::new(),
        };
        let mut fields = body.fields();
        while let Ok(Some(field)) = fields.next() {
            let slot = match field.type_() {
                b'S' => &mut db.severity,
                b'C' => &mut db.code,
                b'M' => &mut db.message,
                _ => continue,
            };
            *slot = String::from_utf8_lossy(field.value_bytes()).into_owned();
        }
        let mut e = Error::new(kind, "the server answered with an error");
        e.inner.db = Some(db);
        e
    }

    pub(crate) fn into_kind(mut self, kind: Kind) -> Error {
        self.inner.kind = kind;
        self
    }

    /// A connection string or setting that cannot be used.
    pub fn is_config(&self) -> bool {
        self.inner.kind == Kind::Config
    }

    /// The connection could not be made (refused, timed out, or the server would not start
    /// a session: it is starting up, the database does not exist, …). The database is
    /// unavailable: answer 503.
    pub fn is_connect(&self) -> bool {
        self.inner.kind == Kind::Connect
    }

    /// The server refused the credentials (wrong password, unknown user, no `pg_hba.conf`
    /// entry) or asked for an authentication method this client does not speak.
    pub fn is_auth(&self) -> bool {
        self.inner.kind == Kind::Auth
    }

    /// The connection was lost (or was down) before the answer came; the client reconnects
    /// by itself, the query may or may not have run. The database is unavailable: answer 503.
    pub fn is_closed(&self) -> bool {
        self.inner.kind == Kind::Closed
    }

    /// The server sent nothing for the configured
    /// [`query_timeout`](crate::Config::query_timeout) while answers were owed: the
    /// connection was dropped (and is reopened) and the queries in flight failed. The query
    /// may or may not have run.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == Kind::Timeout
    }

    /// The server answered the query with an error (bad SQL, a constraint, …); see
    /// [`code`](Self::code).
    pub fn is_db(&self) -> bool {
        self.inner.kind == Kind::Db
    }

    /// The server sent something the protocol does not allow here; the connection is dropped.
    pub fn is_protocol(&self) -> bool {
        self.inner.kind == Kind::Protocol
    }

    /// A parameter could not be sent: wrong count, or a type the statement does not take.
    pub fn is_encode(&self) -> bool {
        self.inner.kind == Kind::Encode
    }

    /// A column could not be read as the asked type, or its index is out of range.
    pub fn is_decode(&self) -> bool {
        self.inner.kind == Kind::Decode
    }

    /// `query_one` got no row or more than one.
    pub fn is_row_count(&self) -> bool {
        self.inner.kind == Kind::RowCount
    }

    /// Whether the database is unavailable (connection refused, lost, silent past the query
    /// timeout, or not yet back): the condition a web app answers with 503 Service
    /// Unavailable.
    pub fn is_unavailable(&self) -> bool {
        self.is_connect() || self.is_closed() || self.is_timeout()
    }

    /// The SQLSTATE code of a server error (`"42601"` for a syntax error, `"28P01"` for a
    /// wrong password), if the server sent one.
    pub fn code(&self) -> Option<&str> {
        self.inner.db.as_ref().map(|d| d.code.as_str())
    }

    /// The server's error message, if the server sent one.
    pub fn db_message(&self) -> Option<&str> {
        self.inner.db.as_ref().map(|d| d.message.as_str())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.db {
            Some(db) => write!(f, "{} {}: {}", db.severity, db.code, db.message),
            None => f.write_str(&self.inner.message),
        }?;
        if let Some(source) = &self.inner.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("message", &self.inner.message)
            .field("db", &self.inner.db)
            .field("source", &self.inner.source)
            .finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|s| s as &(dyn StdError + 'static))
    }
}
