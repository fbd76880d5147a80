//! may_minihttp benchmark peer: the crate's TechEmpower service (`examples/techempower_no_db.rs`
//! of may_minihttp 0.1: a bare-bones router writing into the response buffer) with
//! `/plaintext` and `/json`. may_minihttp writes `Server: M` and `Date` itself. JSON goes
//! through serde_json like every other Rust peer (TechEmpower's entry uses yarte).
//!
//! Environment: `PORT` (default 3000), `WORKERS` (default 2) = may's worker threads
//! (`may::config().set_workers`). Listens on 127.0.0.1 only.

use std::io;

use bytes::BufMut;
use may_minihttp::{HttpService, HttpServiceFactory, Request, Response};
use serde::Serialize;

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

struct Techempower;

impl HttpService for Techempower {
    fn call(&mut self, req: Request, rsp: &mut Response) -> io::Result<()> {
        match req.path() {
            "/plaintext" => {
                rsp.header("Content-Type: text/plain; charset=utf-8")
                    .body("Hello, World!");
            }
            "/json" => {
                rsp.header("Content-Type: application/json");
                let msg = Message {
                    message: "Hello, World!",
                };
                serde_json::to_writer(rsp.body_mut().writer(), &msg).map_err(io::Error::other)?;
            }
            _ => {
                rsp.status_code(404, "Not Found");
            }
        }
        Ok(())
    }
}

struct Factory;

impl HttpServiceFactory for Factory {
    type Service = Techempower;

    fn new_service(&self, _: usize) -> Self::Service {
        Techempower
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
    let workers = env_number("WORKERS", 2)?;
    // The pool and stack settings of may_minihttp's own TechEmpower example.
    may::config()
        .set_workers(workers)
        .set_pool_capacity(500)
        .set_stack_size(0x1000);
    let server = Factory.start(("127.0.0.1", port))?;
    server
        .join()
        .map_err(|_| io::Error::other("the may_minihttp accept loop panicked"))
}
