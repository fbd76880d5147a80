//! The client handle: encodes requests, queues them for the connection task and reads the
//! answers.

use std::fmt;
use std::future::Future;
use std::rc::Rc;

use bytes::BytesMut;
use fallible_iterator::FallibleIterator;
use hiver_runtime::JoinHandle;
use postgres_protocol::message::backend::Message;
use postgres_protocol::message::frontend;

use crate::config::Config;
use crate::conn::{self, Response, Shared, State};
use crate::error::{Error, Kind};
use crate::statement::{Column, Row, Statement, StatementInner};
use crate::types::ToParam;

/// A PostgreSQL connection owned by one thread, driven by a task on that thread's Hiver
/// runtime, with any number of queries in flight (pipelined: written back to back, answered
/// in order).
///
/// Requests are encoded and queued when the query method is *called*, not when its future is
/// first polled: create several futures, then await them together, and they go out in one
/// write. A lost connection fails the queries in flight with [`Error::is_closed`] and is
/// reopened by the task; while it is down, queries fail at once (no waiting, no hang).
///
/// Dropping the client ends its task and closes the connection.
///
/// # Examples
///
/// ```no_run
/// # async fn f() -> Result<(), hiver_pg::Error> {
/// let config = "postgres://benchmarkdbuser:benchmarkdbpass@127.0.0.1/hello_world".parse()?;
/// let client = hiver_pg::Client::connect(config).await?;
/// let stmt = client.prepare_cached("SELECT id, randomnumber FROM world WHERE id = $1").await?;
/// let (a, b) = (client.query_one(&stmt, &[&1i32]), client.query_one(&stmt, &[&2i32]));
/// let (a, b) = (a.await?, b.await?); // both were in flight together
/// let n: i32 = a.try_get(1)?;
/// # let _ = (n, b); Ok(()) }
/// ```
pub struct Client {
    /// Shared with the connection task.
    shared: Rc<Shared>,
    /// The connection task; dropping it cancels the task and closes the socket.
    _task: JoinHandle<()>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.shared.config)
            .field("state", &self.shared.state.get())
            .finish()
    }
}

impl Client {
    /// A client that starts connecting in the background; queries made meanwhile wait for
    /// the connection (at most the connect timeout) and fail with its error if it fails.
    ///
    /// # Panics
    ///
    /// When no Hiver runtime runs on this thread.
    pub fn new(config: Config) -> Client {
        let shared = Rc::new(Shared::new(config));
        let task = hiver_runtime::spawn(conn::drive(shared.clone()));
        Client {
            shared,
            _task: task,
        }
    }

    /// Connects and waits until the connection is ready.
    ///
    /// # Errors
    ///
    /// [`Error::is_connect`] (refused, timed out, the server would not start a session) or
    /// [`Error::is_auth`] (wrong password, unknown user, unsupported method).
    ///
    /// # Panics
    ///
    /// When no Hiver runtime runs on this thread.
    pub async fn connect(config: Config) -> Result<Client, Error> {
        let client = Client::new(config);
        let answer = client.send_sync()?.await?;
        check(answer)?;
        Ok(client)
    }

    /// Whether a connection is open and ready now.
    pub fn is_connected(&self) -> bool {
        self.shared.state.get() == State::Ready
    }

    /// Prepares `sql` (parameters `$1`, `$2`, …, their types inferred by the server).
    ///
    /// # Errors
    ///
    /// [`Error::is_db`] for SQL the server rejects; [`Error::is_unavailable`] when the
    /// database cannot be reached.
    pub fn prepare(&self, sql: &str) -> impl Future<Output = Result<Statement, Error>> + use<> {
        let sent = self.send_prepare(sql);
        async move {
            let (name, generation, response) = sent?;
            parse_prepare(response.await?, name, generation)
        }
    }

    /// Like [`prepare`](Self::prepare), once per SQL text and connection: later calls return
    /// the statement prepared before, until the connection is lost.
    ///
    /// # Errors
    ///
    /// As [`prepare`](Self::prepare).
    pub async fn prepare_cached(&self, sql: &str) -> Result<Statement, Error> {
        if let Some(s) = self.shared.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let stmt = self.prepare(sql).await?;
        if stmt.inner.generation == self.shared.generation.get() {
            self.shared
                .statements
                .borrow_mut()
                .insert(sql.to_owned(), stmt.clone());
        }
        Ok(stmt)
    }

    /// Runs `stmt` with `params` and returns its rows.
    ///
    /// # Errors
    ///
    /// [`Error::is_encode`] (wrong parameter count or type), [`Error::is_db`],
    /// [`Error::is_unavailable`] (also for a statement prepared on a connection since lost).
    pub fn query(
        &self,
        stmt: &Statement,
        params: &[&dyn ToParam],
    ) -> impl Future<Output = Result<Vec<Row>, Error>> + use<> {
        let sent = self.send_bind(stmt, params);
        let columns = stmt.inner.columns.clone();
        async move { parse_rows(sent?.await?, columns).map(|(rows, _)| rows) }
    }

    /// Runs `stmt` and returns its one row.
    ///
    /// # Errors
    ///
    /// As [`query`](Self::query), and [`Error::is_row_count`] for no row or several.
    pub fn query_one(
        &self,
        stmt: &Statement,
        params: &[&dyn ToParam],
    ) -> impl Future<Output = Result<Row, Error>> + use<> {
        let rows = self.query(stmt, params);
        async move {
            let mut rows = rows.await?;
            match rows.len() {
                1 => Ok(rows.swap_remove(0)),
                n => Err(Error::new(
                    Kind::RowCount,
                    format!("expected one row, got {n}"),
                )),
            }
        }
    }

    /// Runs `stmt` and returns the number of rows it affected.
    ///
    /// # Errors
    ///
    /// As [`query`](Self::query).
    pub fn execute(
        &self,
        stmt: &Statement,
        params: &[&dyn ToParam],
    ) -> impl Future<Output = Result<u64, Error>> + use<> {
        let sent = self.send_bind(stmt, params);
        let columns = stmt.inner.columns.clone();
        async move { parse_rows(sent?.await?, columns).map(|(_, n)| n) }
    }

    /// Runs one or more `;`-separated statements without parameters (the simple query
    /// protocol), discarding their rows.
    ///
    /// # Errors
    ///
    /// As [`query`](Self::query): the first statement that fails stops the rest.
    pub fn batch_execute(&self, sql: &str) -> impl Future<Output = Result<(), Error>> + use<> {
        let sent = self.begin().and_then(|mut out| {
            let mark = out.len();
            frontend::query(sql, &mut out).map_err(|e| {
                out.truncate(mark);
                Error::new(Kind::Encode, "the SQL contains a NUL").with_source(e)
            })?;
            drop(out);
            Ok(self.shared.push())
        });
        async move { check(sent?.await?) }
    }

    /// The output buffer, unless the connection is down (then fail at once).
    fn begin(&self) -> Result<std::cell::RefMut<'_, BytesMut>, Error> {
        match self.shared.state.get() {
            State::Down => Err(Error::new(
                Kind::Closed,
                "the database connection is down; reconnecting",
            )),
            _ => Ok(self.shared.out.borrow_mut()),
        }
    }

    /// A lone `Sync`: its `ReadyForQuery` says the connection is ready.
    fn send_sync(&self) -> Result<Response, Error> {
        frontend::sync(&mut *self.begin()?);
        Ok(self.shared.push())
    }

    fn send_prepare(&self, sql: &str) -> Result<(String, u64, Response), Error> {
        let mut out = self.begin()?;
        let n = self.shared.next_statement.get();
        self.shared.next_statement.set(n + 1);
        let name = format!("s{n}");
        let mark = out.len();
        let encoded = frontend::parse(&name, sql, None, &mut out)
            .and_then(|()| frontend::describe(b'S', &name, &mut out));
        if let Err(e) = encoded {
            out.truncate(mark);
            return Err(Error::new(Kind::Encode, "the SQL contains a NUL").with_source(e));
        }
        frontend::sync(&mut out);
        drop(out);
        Ok((name, self.shared.generation.get(), self.shared.push()))
    }

    fn send_bind(&self, stmt: &Statement, params: &[&dyn ToParam]) -> Result<Response, Error> {
        let s = &stmt.inner;
        if s.generation != self.shared.generation.get() {
            return Err(Error::new(
                Kind::Closed,
                "the statement was prepared on a connection since lost",
            ));
        }
        if params.len() != s.params.len() {
            return Err(Error::new(
                Kind::Encode,
                format!(
                    "the statement takes {} parameters, got {}",
                    s.params.len(),
                    params.len()
                ),
            ));
        }
        if let Some(i) = (0..params.len()).find(|&i| !params[i].accepts(s.params[i])) {
            return Err(Error::new(
                Kind::Encode,
                format!(
                    "parameter ${} has type OID {}, which the value given cannot be",
                    i + 1,
                    s.params[i]
                ),
            ));
        }
        let mut out = self.begin()?;
        let mark = out.len();
        let formats = if params.is_empty() { None } else { Some(1) };
        let bound = frontend::bind(
            "",
            &s.name,
            formats,
            params.iter(),
            |p, buf| Ok(p.encode(buf)),
            Some(1),
            &mut out,
        );
        if bound.is_err() {
            out.truncate(mark);
            return Err(Error::new(
                Kind::Encode,
                "cannot encode Bind: too many parameters, or a value too large",
            ));
        }
        // An unnamed portal cannot hold a NUL, so this cannot fail; if it did, the Bind is
        // taken back so the stream stays whole.
        if let Err(e) = frontend::execute("", 0, &mut out) {
            out.truncate(mark);
            return Err(Error::new(Kind::Encode, "cannot encode Execute").with_source(e));
        }
        frontend::sync(&mut out);
        drop(out);
        Ok(self.shared.push())
    }
}

fn protocol(e: std::io::Error) -> Error {
    Error::new(Kind::Protocol, "malformed message from the server").with_source(e)
}

fn unexpected() -> Error {
    Error::new(Kind::Protocol, "unexpected message in an answer")
}

/// The server error in an answer, if any (the answer always runs to `ReadyForQuery`).
fn check(mut answer: BytesMut) -> Result<(), Error> {
    let mut err = None;
    while let Some(msg) = Message::parse(&mut answer).map_err(protocol)? {
        if let Message::ErrorResponse(body) = msg {
            err.get_or_insert(Error::db(Kind::Db, &body));
        }
    }
    err.map_or(Ok(()), Err)
}

fn parse_prepare(mut answer: BytesMut, name: String, generation: u64) -> Result<Statement, Error> {
    let (mut params, mut columns, mut err) = (Vec::new(), Vec::new(), None);
    while let Some(msg) = Message::parse(&mut answer).map_err(protocol)? {
        match msg {
            Message::ParseComplete | Message::NoData | Message::ReadyForQuery(_) => {}
            Message::ParameterDescription(body) => {
                params = body.parameters().collect().map_err(protocol)?
            }
            Message::RowDescription(body) => {
                columns = body
                    .fields()
                    .map(|f| {
                        Ok(Column {
                            name: f.name().to_owned(),
                            type_oid: f.type_oid(),
                        })
                    })
                    .collect()
                    .map_err(protocol)?;
            }
            Message::ErrorResponse(body) => err = err.or(Some(Error::db(Kind::Db, &body))),
            Message::NoticeResponse(_)
            | Message::ParameterStatus(_)
            | Message::NotificationResponse(_) => {}
            _ => return Err(unexpected()),
        }
    }
    if let Some(e) = err {
        return Err(e);
    }
    Ok(Statement {
        inner: Rc::new(StatementInner {
            name,
            params,
            columns: columns.into(),
            generation,
        }),
    })
}

/// The rows of an answer to Bind/Execute/Sync and the count its command tag reports.
fn parse_rows(mut answer: BytesMut, columns: Rc<[Column]>) -> Result<(Vec<Row>, u64), Error> {
    let (mut rows, mut affected, mut err) = (Vec::new(), 0, None);
    while let Some(msg) = Message::parse(&mut answer).map_err(protocol)? {
        match msg {
            Message::DataRow(body) => rows.push(Row {
                body,
                columns: columns.clone(),
            }),
            Message::CommandComplete(body) => {
                let tag = body.tag().map_err(protocol)?;
                affected = tag
                    .rsplit(' ')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
            }
            Message::BindComplete | Message::EmptyQueryResponse | Message::ReadyForQuery(_) => {}
            Message::ErrorResponse(body) => err = err.or(Some(Error::db(Kind::Db, &body))),
            Message::NoticeResponse(_)
            | Message::ParameterStatus(_)
            | Message::NotificationResponse(_) => {}
            _ => return Err(unexpected()),
        }
    }
    match err {
        Some(e) => Err(e),
        None => Ok((rows, affected)),
    }
}
