//! Graceful shutdown, deadlines and the driver in use.

mod common;

use std::time::{Duration, Instant};

use common::config::timeouts;
use common::{Client, both_drivers, get, start, start_with, wait_within};

const LONG: Duration = Duration::from_secs(30);

both_drivers! {
    fn forced_driver_is_used(d) {
        let s = start(d);
        assert_eq!(s.handle().driver(), d);
        assert_eq!(s.handle().workers(), 2);
        let mut c = s.client();
        c.send(get("/"));
        assert_eq!(c.response().text(), "hello");
    }

    // CONTRACTS.md: in-flight requests finish, answered with `Connection: close`; the
    // listener stops; `wait()` returns.
    fn graceful_shutdown_finishes_a_slow_request(d) {
        let s = start(d);
        let addr = s.addr();
        let mut c = s.client();
        c.send(get("/slow?ms=500"));
        std::thread::sleep(Duration::from_millis(100));
        s.handle().shutdown();
        let resp = c.response();
        assert_eq!((resp.status, resp.text().as_str()), (200, "slept 500"));
        assert!(resp.has_token("connection", "close"), "{resp:?}");
        c.expect_closed();
        assert!(wait_within(s.handle(), Duration::from_secs(5)), "wait() did not return");
        assert_no_service(addr);
    }

    fn graceful_shutdown_closes_idle_connections(d) {
        let s = start(d);
        let mut c = s.client();
        c.send(get("/"));
        assert_eq!(c.response().text(), "hello");
        let start = Instant::now();
        s.handle().shutdown();
        let (closed, bytes) = c.wait_closed(Duration::from_secs(3));
        assert!(bytes.is_empty(), "idle connection got {:?}", String::from_utf8_lossy(&bytes));
        assert!(closed.is_some(), "idle connection still open 3 s after shutdown()");
        assert!(wait_within(s.handle(), Duration::from_secs(5)), "wait() did not return");
        assert!(start.elapsed() < Duration::from_secs(3));
    }

    // A client that stalls mid-head is answered 408 or dropped once the deadline passes.
    fn header_read_timeout(d) {
        let s = start_with(d, || timeouts(Duration::from_millis(300), LONG, LONG));
        let mut c = s.client();
        c.send("GET / HTTP/1.1\r\nHost:");
        assert_closed_in(&mut c, Duration::from_millis(250), Duration::from_secs(3));
    }

    // The deadline covers the whole head, so trickling one byte at a time cannot keep a
    // connection open forever (slowloris).
    fn header_read_timeout_is_not_reset_by_each_byte(d) {
        let s = start_with(d, || timeouts(Duration::from_millis(400), LONG, LONG));
        let mut c = s.client();
        let start = Instant::now();
        for b in b"GET / HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".chunks(1) {
            // The server may already have closed: later writes may fail, which is fine.
            if start.elapsed() > Duration::from_secs(3) || !c.try_send(b) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_closed_in(&mut c, Duration::ZERO, Duration::from_secs(1));
        assert!(start.elapsed() < Duration::from_secs(3), "trickled head kept for {:?}", start.elapsed());
    }

    fn keep_alive_idle_timeout(d) {
        let s = start_with(d, || timeouts(LONG, Duration::from_millis(300), LONG));
        let mut c = s.client();
        c.send(get("/"));
        assert_eq!(c.response().text(), "hello");
        assert_closed_in(&mut c, Duration::from_millis(200), Duration::from_secs(3));
    }

    // The idle deadline applies between requests only, never to a request being served.
    fn idle_timeout_does_not_cut_a_slow_request(d) {
        let s = start_with(d, || timeouts(LONG, Duration::from_millis(200), LONG));
        let mut c = s.client();
        c.send(get("/slow?ms=600"));
        assert_eq!(c.response().text(), "slept 600");
    }

    // RFC 9110 §15.6.4: 503 when the handler overruns the request deadline.
    fn request_timeout_gets_503(d) {
        let s = start_with(d, || timeouts(LONG, LONG, Duration::from_millis(200)));
        let mut c = s.client();
        let start = Instant::now();
        c.send(get("/slow?ms=3000"));
        let resp = c.response();
        assert_eq!(resp.status, 503, "{resp:?}");
        assert!(start.elapsed() < Duration::from_millis(2000), "503 after {:?}", start.elapsed());
    }

    // A connection that never sends a byte must not be held forever.
    fn silent_connection_is_closed(d) {
        let short = Duration::from_millis(300);
        let s = start_with(d, move || timeouts(short, short, LONG));
        let mut c = s.client();
        assert_closed_in(&mut c, Duration::from_millis(200), Duration::from_secs(3));
    }
}

/// After shutdown, a new connection is refused, or closed without any response.
fn assert_no_service(addr: std::net::SocketAddr) {
    let Ok(stream) = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
        return;
    };
    drop(stream);
    let mut c = Client::connect(addr);
    if c.try_send(get("/").as_bytes()) {
        let (closed, bytes) = c.wait_closed(Duration::from_secs(3));
        assert!(bytes.is_empty(), "got an answer after shutdown: {bytes:?}");
        assert!(closed.is_some(), "connection after shutdown left open");
    }
}

/// Asserts the server closes between `min` and `max` from now, sending nothing or one
/// 408 response first.
fn assert_closed_in(c: &mut Client, min: Duration, max: Duration) {
    let (closed, bytes) = c.wait_closed(max);
    let Some(after) = closed else {
        panic!("connection still open after {max:?}");
    };
    assert!(
        after >= min,
        "closed after {after:?}, before the deadline {min:?}"
    );
    if !bytes.is_empty() {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            text.starts_with("HTTP/1.1 408 "),
            "only a 408 may precede the close: {text:?}"
        );
    }
}
