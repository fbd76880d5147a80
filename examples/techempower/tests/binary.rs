//! The `techempower` binary itself: its environment and a real run against a throwaway
//! cluster.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hiver_pg::test_cluster::TestCluster;

const BIN: &str = env!("CARGO_BIN_EXE_techempower");

#[test]
fn bad_settings_exit_with_status_2_and_say_why() {
    for (name, value, says) in [
        ("PORT", "http", "PORT must be a whole number"),
        ("WORKERS", "-1", "WORKERS must be a whole number"),
        (
            "DB_CONNECTIONS",
            "many",
            "DB_CONNECTIONS must be a whole number",
        ),
        (
            "DATABASE_URL",
            "mysql://x",
            "DATABASE_URL: bad database URL",
        ),
    ] {
        let out = Command::new(BIN)
            .env(name, value)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}={value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{name}={value}: {stderr}");
    }
}

/// The app's process, stopped by its PID when the test ends, whatever happens in it.
struct App(std::process::Child);

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    Some(text)
}

#[test]
#[cfg_attr(
    no_postgres,
    ignore = "no PostgreSQL: install it (apt-get install postgresql) to run this test"
)]
fn serves_the_database_named_by_database_url_on_host_and_port() {
    let c = TestCluster::start().expect("throwaway cluster");
    c.psql(
        "postgres",
        "CREATE ROLE benchmarkdbuser LOGIN PASSWORD 'benchmarkdbpass'",
    )
    .unwrap();
    c.psql(
        "postgres",
        "CREATE DATABASE hello_world OWNER benchmarkdbuser",
    )
    .unwrap();
    c.psql(
        "hello_world",
        include_str!("../../../scripts/postgres/create-postgres.sql"),
    )
    .unwrap();
    let port = free_port();
    let url = format!(
        "postgres://benchmarkdbuser:benchmarkdbpass@127.0.0.1:{}/hello_world",
        c.port()
    );
    let app = App(Command::new(BIN)
        .env("DATABASE_URL", url)
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("WORKERS", "1")
        .env("DB_CONNECTIONS", "2")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .spawn()
        .unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    let answer = loop {
        match get(port, "/db") {
            Some(text) => break text,
            None if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            None => panic!("the app never listened on 127.0.0.1:{port}"),
        }
    };
    let sessions = c
        .psql(
            "postgres",
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'hiver-pg'",
        )
        .unwrap();
    drop(app);
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(
        answer.contains("content-type: application/json"),
        "{answer}"
    );
    assert!(answer.contains("\"randomNumber\":"), "{answer}");
    assert_eq!(sessions, "2", "one worker, DB_CONNECTIONS=2");
}
