//! actix-web 4 + tokio-postgres benchmark peer for TechEmpower's database tests, set up the
//! way TechEmpower's actix entries run (frameworks/Rust/actix), read and rewritten here, not
//! copied:
//!
//! - HTTP: actix-web's `HttpServer` and `App` with one handler per route, keep-alive left to
//!   the OS (`KeepAlive::Os`), no client request timeout, a backlog of 1024, `Server: Actix`
//!   (actix adds `Date`), snmalloc as the global allocator;
//! - database: the entry's fastest tokio-postgres layer (its `actix-http` test, src/db.rs):
//!   one tokio-postgres connection per worker thread, opened by that worker, with every
//!   statement prepared at start (`SELECT * FROM world WHERE id=$1`, `SELECT * FROM fortune`
//!   and the 500 `UPDATE world SET randomnumber = CASE id when $1 then $2 … ELSE randomnumber
//!   END WHERE id IN (…)`, one per count); /queries and /updates issue all their SELECTs at
//!   once (FuturesUnordered), which tokio-postgres pipelines on the connection, then one
//!   batched UPDATE. The entry's actix-web Postgres test (`web-pg-deadpool`) instead takes a
//!   deadpool connection (pool of 40) and prepares the statement again for every query: a
//!   slower peer, not the one to measure against;
//! - SmallRng (rand 0.9) for the random ids.
//!
//! Differences, outside the database path: the fortunes page is written by a small escaper
//! (the entry: a yarte template); the query parameter is read from whatever name it has
//! (`?queries=`, `?q=`, `?count=`); /cached-queries is added (the entry has none): the
//! 10,000 World rows loaded once at start into a shared table, `count` random rows per
//! request; /plaintext and /json are served too.
//!
//! Environment: `PORT` (default 3000), `WORKERS` (default 2) = actix workers = database
//! connections, `DATABASE_URL` (default
//! postgres://benchmarkdbuser:benchmarkdbpass@127.0.0.1:5432/hello_world). Listens on
//! 127.0.0.1 only.

#[global_allocator]
static ALLOC: snmalloc_rs::SnMalloc = snmalloc_rs::SnMalloc;

use std::fmt::Write as _;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::KeepAlive;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue, SERVER};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, get, web};
use futures_util::stream::{FuturesUnordered, TryStreamExt};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Statement};

const DEFAULT_DATABASE_URL: &str =
    "postgres://benchmarkdbuser:benchmarkdbpass@127.0.0.1:5432/hello_world";
const WORLD_ROWS: u32 = 10_000;
const MAX_QUERIES: usize = 500;

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

#[derive(Serialize, Clone, Copy)]
struct World {
    id: i32,
    randomnumber: i32,
}

/// One worker's connection and its prepared statements.
struct Db {
    client: Client,
    world: Statement,
    fortune: Statement,
    updates: Vec<Statement>,
}

type PgResult<T> = Result<T, tokio_postgres::Error>;

fn update_sql(count: usize) -> String {
    let mut q = String::from("UPDATE world SET randomnumber = CASE id ");
    let mut n = 1;
    for _ in 0..count {
        let _ = write!(q, "when ${} then ${} ", n, n + 1);
        n += 2;
    }
    q.push_str("ELSE randomnumber END WHERE id IN (");
    for i in 0..count {
        let _ = write!(q, "{}${}", if i == 0 { "" } else { "," }, n);
        n += 1;
    }
    q.push(')');
    q
}

async fn connect(url: &str) -> PgResult<Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    actix_rt::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("postgres connection: {e}");
        }
    });
    Ok(client)
}

impl Db {
    async fn open(url: &str) -> PgResult<Db> {
        let client = connect(url).await?;
        let world = client.prepare("SELECT * FROM world WHERE id=$1").await?;
        let fortune = client.prepare("SELECT * FROM fortune").await?;
        let mut updates = Vec::with_capacity(MAX_QUERIES);
        for n in 1..=MAX_QUERIES {
            updates.push(client.prepare(&update_sql(n)).await?);
        }
        Ok(Db {
            client,
            world,
            fortune,
            updates,
        })
    }

    async fn world(&self, id: i32) -> PgResult<World> {
        let row = self.client.query_one(&self.world, &[&id]).await?;
        Ok(World {
            id: row.get(0),
            randomnumber: row.get(1),
        })
    }

    /// `count` SELECTs in flight at once: tokio-postgres pipelines them.
    async fn worlds(&self, count: usize) -> PgResult<Vec<World>> {
        let mut rng = SmallRng::from_rng(&mut rand::rng());
        let pending: FuturesUnordered<_> = (0..count)
            .map(|_| self.world(random_id(&mut rng)))
            .collect();
        pending.try_collect().await
    }

    async fn update(&self, count: usize) -> PgResult<Vec<World>> {
        let mut worlds = self.worlds(count).await?;
        let mut rng = SmallRng::from_rng(&mut rand::rng());
        for w in worlds.iter_mut() {
            w.randomnumber = random_id(&mut rng);
        }
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(count * 3);
        for w in &worlds {
            params.push(&w.id);
            params.push(&w.randomnumber);
        }
        for w in &worlds {
            params.push(&w.id);
        }
        self.client
            .execute(&self.updates[count - 1], &params)
            .await?;
        Ok(worlds)
    }

    async fn fortunes(&self) -> PgResult<Vec<u8>> {
        let rows = self.client.query(&self.fortune, &[]).await?;
        let mut fortunes: Vec<(i32, &str)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        fortunes.push((0, "Additional fortune added at request time."));
        fortunes.sort_unstable_by(|a, b| a.1.cmp(b.1));
        let mut out = String::with_capacity(2048);
        out.push_str("<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>");
        for (id, message) in fortunes {
            let _ = write!(out, "<tr><td>{id}</td><td>");
            escape_html(&mut out, message);
            out.push_str("</td></tr>");
        }
        out.push_str("</table></body></html>");
        Ok(out.into_bytes())
    }
}

fn escape_html(out: &mut String, text: &str) {
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            _ => continue,
        };
        out.push_str(&text[start..i]);
        out.push_str(entity);
        start = i + 1;
    }
    out.push_str(&text[start..]);
}

fn random_id(rng: &mut SmallRng) -> i32 {
    (rng.random::<u32>() % WORLD_ROWS + 1) as i32
}

/// TechEmpower's rule for `queries`/`count`: the first parameter's value, 1 when missing or
/// not a number, clamped to 1..=500.
fn query_count(req: &HttpRequest) -> usize {
    let value = req
        .query_string()
        .split('&')
        .next()
        .and_then(|p| p.split_once('='))
        .map_or("", |(_, v)| v);
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return 1;
    }
    value
        .parse::<usize>()
        .map_or(MAX_QUERIES, |n| n.clamp(1, MAX_QUERIES))
}

fn respond(content_type: &'static str, body: Vec<u8>) -> HttpResponse<Vec<u8>> {
    let mut res = HttpResponse::with_body(actix_web::http::StatusCode::OK, body);
    let headers = res.headers_mut();
    headers.insert(SERVER, HeaderValue::from_static("Actix"));
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

fn json<T: Serialize + ?Sized>(value: &T) -> HttpResponse<Vec<u8>> {
    let mut body = Vec::with_capacity(64);
    serde_json::to_writer(&mut body, value).expect("serializing to a Vec");
    respond("application/json", body)
}

fn db_error(e: tokio_postgres::Error) -> actix_web::Error {
    actix_web::error::ErrorInternalServerError(e)
}

#[get("/plaintext")]
async fn plaintext_route() -> HttpResponse<Vec<u8>> {
    respond("text/plain", b"Hello, World!".to_vec())
}

#[get("/json")]
async fn json_route() -> HttpResponse<Vec<u8>> {
    json(&Message {
        message: "Hello, World!",
    })
}

#[get("/db")]
async fn db_route(db: web::Data<Db>) -> actix_web::Result<HttpResponse<Vec<u8>>> {
    let id = random_id(&mut SmallRng::from_rng(&mut rand::rng()));
    Ok(json(&db.world(id).await.map_err(db_error)?))
}

#[get("/queries")]
async fn queries_route(
    req: HttpRequest,
    db: web::Data<Db>,
) -> actix_web::Result<HttpResponse<Vec<u8>>> {
    Ok(json(&db.worlds(query_count(&req)).await.map_err(db_error)?))
}

#[get("/updates")]
async fn updates_route(
    req: HttpRequest,
    db: web::Data<Db>,
) -> actix_web::Result<HttpResponse<Vec<u8>>> {
    Ok(json(&db.update(query_count(&req)).await.map_err(db_error)?))
}

#[get("/fortunes")]
async fn fortunes_route(db: web::Data<Db>) -> actix_web::Result<HttpResponse<Vec<u8>>> {
    Ok(respond(
        "text/html; charset=utf-8",
        db.fortunes().await.map_err(db_error)?,
    ))
}

#[get("/cached-queries")]
async fn cached_queries_route(
    req: HttpRequest,
    cache: web::Data<Vec<World>>,
) -> HttpResponse<Vec<u8>> {
    let mut rng = SmallRng::from_rng(&mut rand::rng());
    let worlds: Vec<World> = (0..query_count(&req))
        .map(|_| cache[(random_id(&mut rng) - 1) as usize])
        .collect();
    json(&worlds)
}

fn env_number(name: &str, default: usize) -> io::Result<usize> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .map_err(|_| io::Error::other(format!("{name} must be a whole number, got {v:?}"))),
        Err(_) => Ok(default),
    }
}

#[actix_web::main]
async fn main() -> io::Result<()> {
    let port = u16::try_from(env_number("PORT", 3000)?).map_err(io::Error::other)?;
    let workers = env_number("WORKERS", 2)?.max(1);
    let url: Arc<str> = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| DEFAULT_DATABASE_URL.into())
        .into();

    // The cache of /cached-queries, loaded once, before any worker starts.
    let loader = connect(&url).await.map_err(io::Error::other)?;
    let rows = loader
        .query("SELECT id, randomnumber FROM world ORDER BY id", &[])
        .await
        .map_err(io::Error::other)?;
    let cache: Vec<World> = rows
        .iter()
        .map(|r| World {
            id: r.get(0),
            randomnumber: r.get(1),
        })
        .collect();
    drop(loader);
    if cache.len() != WORLD_ROWS as usize
        || cache.iter().enumerate().any(|(i, w)| w.id != i as i32 + 1)
    {
        return Err(io::Error::other(format!(
            "table world: want ids 1..={WORLD_ROWS}, got {} rows",
            cache.len()
        )));
    }
    let cache = web::Data::new(cache);

    HttpServer::new(move || {
        let url = Arc::clone(&url);
        App::new()
            // One connection per worker, opened on that worker's runtime.
            .data_factory(move || {
                let url = Arc::clone(&url);
                async move { Db::open(&url).await }
            })
            .app_data(cache.clone())
            .service(plaintext_route)
            .service(json_route)
            .service(db_route)
            .service(queries_route)
            .service(updates_route)
            .service(fortunes_route)
            .service(cached_queries_route)
    })
    .workers(workers)
    .keep_alive(KeepAlive::Os)
    .client_request_timeout(Duration::ZERO)
    .backlog(1024)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
