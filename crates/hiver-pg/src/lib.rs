//! hiver-pg: a PostgreSQL client for Hiver's thread-per-core runtime.
//!
//! Each [`Client`] is one connection owned by one thread and driven by a task on that
//! thread's runtime (no Tokio, no other thread, no cross-core hop per query). Queries are
//! pipelined: any number go out back to back and their answers come back in order.
//! Statements are prepared once and bound many times; answers are read in binary format.
//! Messages and SCRAM-SHA-256 come from the [`postgres_protocol`] crate; the connection loop
//! is this crate's. A lost connection fails the queries in flight with an error
//! ([`Error::is_unavailable`]) and is reopened in the background.
//!
//! In a Hiver app, keep one client per worker in a `thread_local!`.
//!
//! # Examples
//!
//! ```no_run
//! use hiver_pg::{Client, Config};
//!
//! let rt = hiver_runtime::Runtime::new()?;
//! rt.block_on(async {
//!     let config: Config = "postgres://benchmarkdbuser:benchmarkdbpass@127.0.0.1/hello_world".parse()?;
//!     let client = Client::connect(config).await?;
//!     let stmt = client.prepare("SELECT id, message FROM fortune WHERE id = $1").await?;
//!     let row = client.query_one(&stmt, &[&1i32]).await?;
//!     let message: &str = row.try_get(1)?;
//!     println!("{message}");
//!     Ok::<_, hiver_pg::Error>(())
//! })?;
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! ```
//!
//! # Feature flags
//!
//! | feature | default | what it enables |
//! |---|---|---|
//! | `test-cluster` | no | `test_cluster`: a throwaway PostgreSQL cluster (initdb in a temp dir, a free port) for tests |

mod client;
mod config;
mod conn;
mod error;
mod startup;
mod statement;
#[cfg(feature = "test-cluster")]
pub mod test_cluster;
pub mod types;

pub use client::Client;
pub use config::Config;
pub use error::Error;
pub use statement::{Column, Row, Statement};
