//! Shared by the load benches (P8–P12): a blocking keep-alive HTTP/1.1 client that keeps
//! one request in flight on each of many connections, `/proc` memory readings, the
//! re-executed child process the P8 and P9 benches talk to, and where memory figures are
//! written down.

#![allow(dead_code, unused_imports)] // each bench uses a different subset

mod child;
mod conn;

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

pub use child::{Child, announce, announce_error, serve_commands};
pub use conn::{Conn, Reply, get, post, post_chunked};

/// K keep-alive connections driven by one thread: a round writes one request on every
/// connection, then reads every response, so K requests are in flight at once. The
/// requests come from `script` in turn, so a script of 9 GETs and 1 POST gives a 90/10
/// mix over any number of rounds.
pub struct Load {
    conns: Vec<Conn>,
    script: Vec<Vec<u8>>,
    /// Index into `script` of the next request.
    next: usize,
}

impl Load {
    /// Opens `k` connections to `addr` that will send `script`'s requests in turn.
    pub fn open(addr: SocketAddr, k: usize, script: Vec<Vec<u8>>) -> io::Result<Load> {
        assert!(!script.is_empty(), "a load needs at least one request");
        let conns = (0..k)
            .map(|_| Conn::connect(addr))
            .collect::<io::Result<_>>()?;
        Ok(Load {
            conns,
            script,
            next: 0,
        })
    }

    /// The number of connections (requests per round).
    pub fn width(&self) -> usize {
        self.conns.len()
    }

    /// One request on every connection; any non-2xx status is an error.
    pub fn round(&mut self) -> io::Result<()> {
        for conn in &mut self.conns {
            conn.send(&self.script[self.next])?;
            self.next = (self.next + 1) % self.script.len();
        }
        for conn in &mut self.conns {
            conn.recv()?.ok()?;
        }
        Ok(())
    }
}

/// A field of `/proc/<pid>/status` in bytes (`VmRSS`, `VmHWM`, …); `pid` `None` is this
/// process.
pub fn proc_status_bytes(pid: Option<u32>, field: &str) -> io::Result<u64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_owned(),
    };
    let status = std::fs::read_to_string(path)?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no {field} in status")))
}

/// Raises the open-file soft limit to the hard one and returns it.
pub fn raise_fd_limit() -> io::Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX)
}

/// `target/criterion/<group>/`, next to criterion's own results: the bench binary runs
/// from `target/<profile>/deps/`, so the target directory is three levels up.
pub fn report_dir(group: &str) -> io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let target = exe
        .ancestors()
        .nth(3)
        .ok_or_else(|| io::Error::other("bench binary outside a target directory"))?;
    let dir = target.join("criterion").join(group);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Writes `report` as `target/criterion/<group>/<file>` and prints where.
pub fn write_report(group: &str, file: &str, report: &serde_json::Value) -> io::Result<()> {
    let path = report_dir(group)?.join(file);
    let text = serde_json::to_string_pretty(report).map_err(io::Error::other)?;
    std::fs::write(&path, text + "\n")?;
    println!("{group}: memory figures written to {}", path.display());
    Ok(())
}

/// Bytes as MiB with one decimal, for the printed summaries.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
