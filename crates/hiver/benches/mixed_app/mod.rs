//! The P10–P12 application: items, uploads and TechEmpower-style updates, and the checks
//! that its answers are right before they are timed.

use std::cell::Cell;
use std::net::SocketAddr;
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::Duration;

use hiver::extract::{Path, Query};
use hiver::routing::{get, post};
use hiver::{Bytes, Driver, Json, Router, Server, ServerHandle};
use serde::{Deserialize, Serialize};

use crate::load::{self, Conn};

/// Rows in the update table, as in TechEmpower's `World` table.
const ROWS: usize = 10_000;

/// TechEmpower's `World` row.
#[derive(Serialize, Deserialize, Clone, Copy)]
struct World {
    id: u32,
    #[serde(rename = "randomNumber")]
    random_number: u32,
}

/// The in-memory table that stands in for the database: shared by the workers, one lock
/// per request (uncontended with one worker).
static TABLE: LazyLock<Mutex<Vec<u32>>> =
    LazyLock::new(|| Mutex::new((0..ROWS).map(|_| random(ROWS)).collect()));

thread_local! {
    /// xorshift64* state, one per worker thread: no shared state on the request path.
    static RNG: Cell<u64> = const { Cell::new(0x9E37_79B9_7F4A_7C15) };
}

/// A number in `1..=n`.
fn random(n: usize) -> u32 {
    RNG.with(|state| {
        let mut x = state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as u32 + 1
    })
}

#[derive(Serialize)]
struct Item {
    id: u64,
    name: String,
    price_cents: u64,
    in_stock: bool,
}

#[derive(Deserialize)]
struct Queries {
    queries: Option<String>,
}

async fn item(Path(id): Path<u64>) -> Json<Item> {
    Json(Item {
        id,
        name: format!("item-{id}"),
        price_cents: 199 + id * 37 % 10_000,
        in_stock: id % 3 != 0,
    })
}

async fn update_item(Path(id): Path<u64>, body: Bytes) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "id": id, "received": body.len() }))
}

/// FNV-1a over the whole body: the handler touches every byte it was sent.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

async fn upload(body: Bytes) -> String {
    format!("{} {:016x}", body.len(), fnv1a(&body))
}

/// TechEmpower's rules: `queries` is clamped to 1..=500, and anything that is not a number
/// counts as 1.
async fn updates(Query(q): Query<Queries>) -> Json<Vec<World>> {
    let n = q
        .queries
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, 500);
    let mut table = TABLE.lock().unwrap_or_else(PoisonError::into_inner);
    let rows = (0..n)
        .map(|_| {
            let id = random(ROWS);
            let slot = &mut table[id as usize - 1];
            *slot = random(ROWS);
            World {
                id,
                random_number: *slot,
            }
        })
        .collect();
    Json(rows)
}

fn app() -> Router {
    Router::new()
        .route("/items/{id}", get(item).post(update_item))
        .route("/upload", post(upload))
        .route("/updates", get(updates))
}

/// A one-worker server on `driver`.
pub fn start(driver: Driver) -> Result<ServerHandle, hiver::Error> {
    Server::bind("127.0.0.1:0")
        .workers(1)
        .driver(driver)
        .drain_timeout(Duration::from_secs(1))
        .start(app())
}

/// `len` bytes of a repeating, non-uniform pattern.
pub fn body(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

/// Sends `request` once and checks the server hashed exactly `body`.
pub fn check_upload(addr: SocketAddr, request: &[u8], body: &[u8]) {
    // Invariant: the server is listening on loopback; a failure is a broken bench.
    let mut conn = Conn::connect(addr).expect("connect");
    let reply = conn.round_trip(request).and_then(load::Reply::ok);
    let reply = reply.expect("upload answered");
    let expected = format!("{} {:016x}", body.len(), fnv1a(body));
    assert_eq!(
        String::from_utf8_lossy(&reply.body),
        expected,
        "upload hash"
    );
}

/// Checks that `/updates` answers the clamped number of rows and that they were written.
pub fn check_updates(addr: SocketAddr) {
    // Invariant: the server is listening on loopback; a failure is a broken bench.
    let mut conn = Conn::connect(addr).expect("connect");
    for (query, rows) in [("20", 20), ("0", 1), ("x", 1), ("501", 500)] {
        let request = load::get(&format!("/updates?queries={query}"));
        let reply = conn.round_trip(&request).and_then(load::Reply::ok);
        let reply = reply.expect("updates answered");
        let worlds: Vec<World> = serde_json::from_slice(&reply.body).expect("JSON rows");
        assert_eq!(worlds.len(), rows, "queries={query}");
        let table = TABLE.lock().unwrap_or_else(PoisonError::into_inner);
        // The server runs in this process, so the table it wrote is this one. A row drawn
        // twice in one request keeps only its last value, so check the last occurrence.
        for (i, w) in worlds.iter().enumerate() {
            let later = worlds[i + 1..].iter().any(|o| o.id == w.id);
            if !later {
                assert_eq!(table[w.id as usize - 1], w.random_number, "row {}", w.id);
            }
        }
    }
}
