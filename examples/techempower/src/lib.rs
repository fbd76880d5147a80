//! TechEmpower's Framework Benchmarks app on Hiver, following their "Framework Tests
//! Overview" requirements: `/json`, `/plaintext`, `/db`, `/queries?queries=N`, `/fortunes`,
//! `/updates?queries=N` and `/cached-queries?count=N`, on PostgreSQL.
//!
//! Each worker owns its connections (`hiver_pg::Client`s in a thread-local, one by default),
//! driven on the worker's own runtime; a request's queries are pipelined on one of them. When the database is
//! unavailable (down, restarting) the database routes answer 503 and recover by themselves.

pub mod db;
pub mod fortunes;
pub mod params;

use std::sync::Arc;

use hiver::extract::State;
use hiver::http::{StatusCode, Uri};
use hiver::response::{Html, IntoResponse, Json};
use hiver::routing::get;
use hiver::{Response, Router};
use serde::Serialize;

pub use hiver_pg::Config;

use crate::db::World;

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

/// A database error as a response: 503 when the database is unavailable, else 500.
pub struct DbError(pub hiver_pg::Error);

impl From<hiver_pg::Error> for DbError {
    fn from(e: hiver_pg::Error) -> Self {
        DbError(e)
    }
}

impl IntoResponse for DbError {
    fn into_response(self) -> Response {
        let status = if self.0.is_unavailable() {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        (status, format!("database error: {}", self.0)).into_response()
    }
}

/// What the database routes need, shared by the workers.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the database is.
    pub database: Config,
    /// Connections each worker opens (at least 1); requests take them in turn.
    pub connections: usize,
}

type Db = State<Arc<Settings>>;

async fn plaintext() -> &'static str {
    "Hello, World!"
}

async fn json() -> Json<Message> {
    Json(Message {
        message: "Hello, World!",
    })
}

async fn single(State(c): Db) -> Result<Json<World>, DbError> {
    Ok(Json(db::worker(&c).world().await?))
}

async fn queries(State(c): Db, uri: Uri) -> Result<Json<Vec<World>>, DbError> {
    let n = params::count(uri.query(), "queries");
    Ok(Json(db::worker(&c).worlds(n).await?))
}

async fn fortunes(State(c): Db) -> Result<Html<String>, DbError> {
    let rows = db::worker(&c).fortunes().await?;
    Ok(Html(fortunes::render(rows)))
}

async fn updates(State(c): Db, uri: Uri) -> Result<Json<Vec<World>>, DbError> {
    let n = params::count(uri.query(), "queries");
    Ok(Json(db::worker(&c).update(n).await?))
}

async fn cached_queries(State(c): Db, uri: Uri) -> Result<Json<Vec<World>>, DbError> {
    let n = params::count(uri.query(), "count");
    Ok(Json(db::worker(&c).cached(n).await?))
}

/// The app's routes, on the database `settings` name.
pub fn app(settings: Settings) -> Router {
    Router::new()
        .route("/plaintext", get(plaintext))
        .route("/json", get(json))
        .route("/db", get(single))
        .route("/queries", get(queries))
        .route("/fortunes", get(fortunes))
        .route("/updates", get(updates))
        .route("/cached-queries", get(cached_queries))
        .with_state(Arc::new(settings))
}
