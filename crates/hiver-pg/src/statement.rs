//! Prepared statements and the rows they return.

use std::fmt;
use std::rc::Rc;

use fallible_iterator::FallibleIterator;
use postgres_protocol::Oid;
use postgres_protocol::message::backend::DataRowBody;

use crate::error::{Error, Kind};
use crate::types::FromValue;

/// A statement prepared on the server, named and described once, then bound and run as
/// often as needed. Cloning is cheap.
///
/// A statement belongs to the connection it was prepared on: after a reconnect, running it
/// fails with [`Error::is_closed`]; [`Client::prepare_cached`](crate::Client::prepare_cached)
/// prepares it again on the new connection.
#[derive(Clone)]
pub struct Statement {
    pub(crate) inner: Rc<StatementInner>,
}

pub(crate) struct StatementInner {
    pub(crate) name: String,
    pub(crate) params: Vec<Oid>,
    pub(crate) columns: Rc<[Column]>,
    /// The connection it was prepared on (see `Shared::generation`).
    pub(crate) generation: u64,
}

impl Statement {
    /// The type OIDs of its parameters, in order.
    pub fn params(&self) -> &[Oid] {
        &self.inner.params
    }

    /// Its result columns.
    pub fn columns(&self) -> &[Column] {
        &self.inner.columns
    }
}

impl fmt::Debug for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Statement")
            .field("name", &self.inner.name)
            .field("params", &self.inner.params)
            .field("columns", &self.inner.columns)
            .finish()
    }
}

/// A result column: its name and type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub(crate) name: String,
    pub(crate) type_oid: Oid,
}

impl Column {
    /// The column's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The OID of its type (see [`types::oid`](crate::types::oid)).
    pub fn type_oid(&self) -> Oid {
        self.type_oid
    }
}

/// One result row; columns are read by index with [`try_get`](Row::try_get).
pub struct Row {
    pub(crate) body: DataRowBody,
    pub(crate) columns: Rc<[Column]>,
}

impl Row {
    /// The number of columns.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// Whether the row has no columns.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// Reads column `idx` as `T`.
    ///
    /// # Errors
    ///
    /// [`Error::is_decode`]: `idx` out of range, a column type `T` cannot hold, `NULL` into
    /// a non-`Option`, or bytes that are not a value of the type.
    pub fn try_get<'a, T: FromValue<'a>>(&'a self, idx: usize) -> Result<T, Error> {
        let decode = |why: String| Error::new(Kind::Decode, why);
        let column = self.columns.get(idx).ok_or_else(|| {
            decode(format!(
                "no column {idx} in a row of {}",
                self.columns.len()
            ))
        })?;
        if !T::accepts(column.type_oid) {
            return Err(decode(format!(
                "column {idx} ({}) has type OID {}, which {} cannot hold",
                column.name,
                column.type_oid,
                std::any::type_name::<T>()
            )));
        }
        let range = self
            .body
            .ranges()
            .nth(idx)
            .map_err(|e| decode("malformed data row".into()).with_source(e))?
            .ok_or_else(|| decode(format!("the data row has no column {idx}")))?;
        let raw = range.map(|r| &self.body.buffer()[r]);
        T::decode(raw)
            .map_err(|e| decode(format!("column {idx} ({})", column.name)).boxed_source(e))
    }

    /// Reads column `idx` as `T`.
    ///
    /// # Panics
    ///
    /// Where [`try_get`](Row::try_get) would return an error.
    pub fn get<'a, T: FromValue<'a>>(&'a self, idx: usize) -> T {
        match self.try_get(idx) {
            Ok(v) => v,
            Err(e) => panic!("Row::get({idx}): {e}"),
        }
    }
}

impl fmt::Debug for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Row")
            .field("columns", &self.columns)
            .finish_non_exhaustive()
    }
}
