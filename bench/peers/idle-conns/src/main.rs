//! Holds many idle keep-alive connections open against one server, for the memory row of
//! `bench/run.sh`.
//!
//! `idle-conns PORT [COUNT] [HOLD_SECS] [PATH]` (defaults 10000, 30, `/plaintext`) connects
//! COUNT times to 127.0.0.1:PORT, sends one `GET PATH` on each connection and reads its
//! whole answer (so the server has set up its per-connection state and gone back to waiting
//! on a keep-alive connection), prints `held COUNT` and then keeps every connection open,
//! sending nothing, until it is killed or HOLD_SECS have passed. Exits non-zero with a
//! reason if a connection fails or an answer is not a 200 with a Content-Length.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Connections opened and sent on before their answers are read: keeps the server's accept
/// queue short while not paying one round trip per connection.
const BATCH: usize = 256;

struct Args {
    port: u16,
    count: usize,
    hold: Duration,
    path: String,
}

fn parse_args() -> Result<Args, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: u64, what: &str| -> Result<u64, String> {
        args.get(i).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| format!("{what} must be a whole number, got {v:?}"))
        })
    };
    let port = args
        .first()
        .ok_or("usage: idle-conns PORT [COUNT] [HOLD_SECS] [PATH]")?;
    let port = port
        .parse()
        .map_err(|_| format!("PORT must be a port number, got {port:?}"))?;
    let count = usize::try_from(number(1, 10_000, "COUNT")?).map_err(|e| e.to_string())?;
    let hold = Duration::from_secs(number(2, 30, "HOLD_SECS")?);
    let path = args
        .get(3)
        .cloned()
        .unwrap_or_else(|| "/plaintext".to_owned());
    Ok(Args {
        port,
        count,
        hold,
        path,
    })
}

/// Reads one HTTP/1.1 answer: the head up to the blank line, then Content-Length bytes.
fn read_answer(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<()> {
    buf.clear();
    let mut chunk = [0u8; 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::other(
                "connection closed before the answer's head ended",
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    if !head.starts_with("http/1.1 200") {
        let line = head.lines().next().unwrap_or_default().to_owned();
        return Err(io::Error::other(format!("answer is not a 200: {line:?}")));
    }
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .ok_or_else(|| io::Error::other("answer has no Content-Length"))?;
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::other("connection closed inside the body"));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(())
}

fn open_all(args: &Args) -> io::Result<Vec<TcpStream>> {
    let request = format!("GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", args.path);
    let mut held = Vec::with_capacity(args.count);
    let mut buf = Vec::with_capacity(1024);
    while held.len() < args.count {
        let start = held.len();
        for _ in start..(start + BATCH).min(args.count) {
            let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, args.port))?;
            stream.set_read_timeout(Some(Duration::from_secs(10)))?;
            stream.write_all(request.as_bytes())?;
            held.push(stream);
        }
        for stream in &mut held[start..] {
            read_answer(stream, &mut buf)?;
        }
    }
    Ok(held)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("idle-conns: {e}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let held = match open_all(&args) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("idle-conns: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "held {} in {} ms",
        held.len(),
        started.elapsed().as_millis()
    );
    if let Err(e) = io::stdout().flush() {
        eprintln!("idle-conns: {e}");
        return ExitCode::FAILURE;
    }
    std::thread::sleep(args.hold);
    drop(held);
    ExitCode::SUCCESS
}
