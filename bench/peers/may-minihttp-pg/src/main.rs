//! may_minihttp + may_postgres benchmark peer for TechEmpower's database tests, set up the way
//! TechEmpower's may-minihttp entry (frameworks/Rust/may-minihttp) runs, read and rewritten
//! here, not copied:
//!
//! - mimalloc as the global allocator; may with a coroutine pool of 1000 and 4 KiB stacks;
//! - one may_postgres connection per worker thread (the entry: one per CPU), each with its
//!   statements prepared at start: `SELECT * FROM world WHERE id=$1`, `SELECT * FROM fortune`
//!   and the 500 `UPDATE world SET randomnumber = CASE id when $1 then $2 … ELSE randomnumber
//!   END WHERE id IN (…)` statements, one per count; connection `i % n` serves HTTP
//!   connection `i`, shared by every coroutine on it;
//! - /queries and /updates send all their SELECTs before reading the first answer
//!   (may_postgres pipelines them on the one connection), then one batched UPDATE;
//! - WyRand (nanorand) for the random ids.
//!
//! Differences, all outside the database path: JSON through serde_json (the entry uses
//! yarte), the fortunes page written by a small escaper (the entry: a yarte template), the
//! query parameter read from whatever name it has (`?queries=`, `?q=`, `?count=`; the entry
//! only reads `?q=`), and /cached-queries added (the entry has none): all 10,000 World rows
//! loaded once at start into a shared table, `count` random rows per request.
//!
//! Environment: `PORT` (default 3000), `WORKERS` (default 2) = may's worker threads and the
//! number of database connections, `DATABASE_URL` (default
//! postgres://benchmarkdbuser:benchmarkdbpass@127.0.0.1:5432/hello_world). Listens on
//! 127.0.0.1 only. may_minihttp writes `Server: M` and `Date` itself.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::fmt::Write as _;
use std::io;
use std::sync::Arc;

use bytes::{BufMut, BytesMut};
use may_minihttp::{HttpService, HttpServiceFactory, Request, Response};
use may_postgres::{Client, Statement, types::ToSql};
use nanorand::{Rng, WyRand};
use serde::Serialize;
use smallvec::SmallVec;

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

/// TechEmpower's rule for `queries`/`count`: the first parameter's value, 1 when missing or
/// not a number, clamped to 1..=500.
fn query_count(path: &str) -> usize {
    let Some((_, query)) = path.split_once('?') else {
        return 1;
    };
    let value = query
        .split('&')
        .next()
        .and_then(|p| p.split_once('='))
        .map_or("", |(_, v)| v);
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return 1;
    }
    // All digits: anything longer than 3 digits that is not a small number is above 500.
    value
        .parse::<usize>()
        .map_or(MAX_QUERIES, |n| n.clamp(1, MAX_QUERIES))
}

fn escape_html(out: &mut BytesMut, text: &str) {
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        let entity: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            b'\'' => b"&#x27;",
            _ => continue,
        };
        out.put_slice(&text.as_bytes()[start..i]);
        out.put_slice(entity);
        start = i + 1;
    }
    out.put_slice(&text.as_bytes()[start..]);
}

struct Statements {
    world: Statement,
    fortune: Statement,
    updates: Vec<Statement>,
}

#[derive(Clone)]
struct Db {
    client: Client,
    statements: Arc<Statements>,
}

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

impl Db {
    fn connect(url: &str) -> Result<Db, may_postgres::Error> {
        let client = may_postgres::connect(url)?;
        let world = client.prepare("SELECT * FROM world WHERE id=$1")?;
        let fortune = client.prepare("SELECT * FROM fortune")?;
        let updates = (1..=MAX_QUERIES)
            .map(|n| client.prepare(&update_sql(n)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Db {
            client,
            statements: Arc::new(Statements {
                world,
                fortune,
                updates,
            }),
        })
    }

    fn world(&self, id: i32) -> Result<World, may_postgres::Error> {
        let row = self.client.query_one(&self.statements.world, &[&id])?;
        Ok(World {
            id: row.get(0),
            randomnumber: row.get(1),
        })
    }

    /// Sends `count` SELECTs, then reads the answers in order (pipelined on the connection).
    fn worlds(
        &self,
        count: usize,
        rng: &mut WyRand,
    ) -> Result<SmallVec<[World; 32]>, may_postgres::Error> {
        let mut pending = SmallVec::<[_; 32]>::new();
        for _ in 0..count {
            let id = random_id(rng);
            pending.push(self.client.query_raw(&self.statements.world, &[&id])?);
        }
        let mut worlds = SmallVec::new();
        for mut rows in pending {
            let row = rows
                .next()
                .transpose()?
                .expect("every id 1..=10000 has a World row");
            worlds.push(World {
                id: row.get(0),
                randomnumber: row.get(1),
            });
        }
        Ok(worlds)
    }

    fn update(
        &self,
        count: usize,
        rng: &mut WyRand,
    ) -> Result<SmallVec<[World; 32]>, may_postgres::Error> {
        let mut worlds = self.worlds(count, rng)?;
        for w in worlds.iter_mut() {
            w.randomnumber = random_id(rng);
        }
        let mut params: Vec<&dyn ToSql> = Vec::with_capacity(count * 3);
        for w in &worlds {
            params.push(&w.id);
            params.push(&w.randomnumber);
        }
        for w in &worlds {
            params.push(&w.id);
        }
        self.client
            .execute(&self.statements.updates[count - 1], &params)?;
        Ok(worlds)
    }

    fn fortunes(&self, out: &mut BytesMut) -> Result<(), may_postgres::Error> {
        let rows = self.client.query(&self.statements.fortune, &[])?;
        let mut fortunes: Vec<(i32, &str)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        fortunes.push((0, "Additional fortune added at request time."));
        fortunes.sort_unstable_by(|a, b| a.1.cmp(b.1));
        out.put_slice(b"<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>");
        for (id, message) in fortunes {
            let _ = write!(out, "<tr><td>{id}</td><td>");
            escape_html(out, message);
            out.put_slice(b"</td></tr>");
        }
        out.put_slice(b"</table></body></html>");
        Ok(())
    }
}

fn random_id(rng: &mut WyRand) -> i32 {
    (rng.generate::<u32>() % WORLD_ROWS + 1) as i32
}

struct Techempower {
    db: Db,
    cache: Arc<Vec<World>>,
    rng: WyRand,
}

fn json<T: Serialize + ?Sized>(rsp: &mut Response, value: &T) -> io::Result<()> {
    rsp.header("Content-Type: application/json");
    serde_json::to_writer(rsp.body_mut().writer(), value).map_err(io::Error::other)
}

impl HttpService for Techempower {
    fn call(&mut self, req: Request, rsp: &mut Response) -> io::Result<()> {
        let path = req.path();
        let route = path.split_once('?').map_or(path, |(p, _)| p);
        match route {
            "/plaintext" => {
                rsp.header("Content-Type: text/plain").body("Hello, World!");
            }
            "/json" => json(
                rsp,
                &Message {
                    message: "Hello, World!",
                },
            )?,
            "/db" => {
                let world = self
                    .db
                    .world(random_id(&mut self.rng))
                    .map_err(io::Error::other)?;
                json(rsp, &world)?;
            }
            "/queries" => {
                let worlds = self
                    .db
                    .worlds(query_count(path), &mut self.rng)
                    .map_err(io::Error::other)?;
                json(rsp, worlds.as_slice())?;
            }
            "/updates" => {
                let worlds = self
                    .db
                    .update(query_count(path), &mut self.rng)
                    .map_err(io::Error::other)?;
                json(rsp, worlds.as_slice())?;
            }
            "/cached-queries" => {
                let count = query_count(path);
                let worlds: SmallVec<[World; 32]> = (0..count)
                    .map(|_| self.cache[(random_id(&mut self.rng) - 1) as usize])
                    .collect();
                json(rsp, worlds.as_slice())?;
            }
            "/fortunes" => {
                rsp.header("Content-Type: text/html; charset=utf-8");
                self.db.fortunes(rsp.body_mut()).map_err(io::Error::other)?;
            }
            _ => {
                rsp.status_code(404, "Not Found");
            }
        }
        Ok(())
    }
}

struct Server {
    pool: Vec<Db>,
    cache: Arc<Vec<World>>,
}

impl HttpServiceFactory for Server {
    type Service = Techempower;

    fn new_service(&self, id: usize) -> Techempower {
        Techempower {
            db: self.pool[id % self.pool.len()].clone(),
            cache: Arc::clone(&self.cache),
            rng: WyRand::new(),
        }
    }
}

fn env_number(name: &str, default: usize) -> io::Result<usize> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .map_err(|_| io::Error::other(format!("{name} must be a whole number, got {v:?}"))),
        Err(_) => Ok(default),
    }
}

fn main() -> io::Result<()> {
    let port = u16::try_from(env_number("PORT", 3000)?).map_err(io::Error::other)?;
    let workers = env_number("WORKERS", 2)?.max(1);
    let url: &'static str = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| DEFAULT_DATABASE_URL.into())
        .leak();
    may::config()
        .set_workers(workers)
        .set_pool_capacity(1000)
        .set_stack_size(0x1000);
    // Connect (and prepare 502 statements) on coroutines, like the entry: may_postgres's
    // sockets are may's. Large stacks for these: the 500-statement loop is not a request.
    let connecting: Vec<_> = (0..workers)
        .map(|_| {
            may::go_with!(0x10000, move || Db::connect(url))
                .expect("spawning a connecting coroutine")
        })
        .collect();
    let pool = connecting
        .into_iter()
        .map(|h| {
            h.join()
                .map_err(|_| io::Error::other("connecting panicked"))?
                .map_err(io::Error::other)
        })
        .collect::<io::Result<Vec<Db>>>()?;
    let first = pool[0].clone();
    let cache = may::go_with!(
        0x10000,
        move || -> Result<Vec<World>, may_postgres::Error> {
            let rows = first
                .client
                .query("SELECT id, randomnumber FROM world ORDER BY id", &[])?;
            Ok(rows
                .iter()
                .map(|r| World {
                    id: r.get(0),
                    randomnumber: r.get(1),
                })
                .collect())
        }
    )
    .expect("spawning the cache loader")
    .join()
    .map_err(|_| io::Error::other("loading the cache panicked"))?
    .map_err(io::Error::other)?;
    if cache.len() != WORLD_ROWS as usize
        || cache.iter().enumerate().any(|(i, w)| w.id != i as i32 + 1)
    {
        return Err(io::Error::other(format!(
            "table world: want ids 1..={WORLD_ROWS}, got {} rows",
            cache.len()
        )));
    }
    let server = Server {
        pool,
        cache: Arc::new(cache),
    };
    server
        .start(("127.0.0.1", port))?
        .join()
        .map_err(|_| io::Error::other("the may_minihttp accept loop panicked"))
}
