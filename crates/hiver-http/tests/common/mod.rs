//! Shared setup for the black-box tests: a real server on `127.0.0.1:0`, a raw client,
//! and a macro that runs each case under both I/O drivers.
//!
//! Each test file is its own crate and uses a different part of this module, hence the
//! `allow` below.
#![allow(dead_code, unused_imports)]

pub mod client;
pub mod config;
pub mod response;
pub mod service;

use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use hiver_http::Http1Config;
use hiver_runtime::{Builder, Driver, ServerHandle};

pub use client::{Client, IO_TIMEOUT, get, post};
pub use response::Response;
use service::TestService;

/// Generates each case twice, as `<case>::uring` and `<case>::epoll`.
macro_rules! both_drivers {
    ($($(#[$meta:meta])* fn $name:ident($d:ident) $body:block)*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn case($d: hiver_runtime::Driver) $body

            #[test]
            fn uring() {
                case(hiver_runtime::Driver::IoUring)
            }

            #[test]
            fn epoll() {
                case(hiver_runtime::Driver::Epoll)
            }
        }
    )*};
}
pub(crate) use both_drivers;

/// A running server; dropping it shuts it down and waits (bounded) for it to exit.
pub struct TestServer {
    handle: ServerHandle,
}

/// Starts a two-worker server with the test service and the config `make_config` builds.
pub fn start_with<C>(driver: Driver, make_config: C) -> TestServer
where
    C: Fn() -> Http1Config + Send + Sync + 'static,
{
    let handle = Builder::new()
        .workers(2)
        .driver(driver)
        .pin_workers(false)
        .handle_signals(false)
        .drain_timeout(Duration::from_secs(3))
        .listen("127.0.0.1:0", move |_w| {
            let svc = Rc::new(TestService);
            let cfg = Rc::new(make_config());
            move |conn| hiver_http::serve_connection(conn, svc.clone(), cfg.clone())
        })
        .unwrap_or_else(|e| panic!("listen with {driver}: {e}"));
    TestServer { handle }
}

/// Starts a server with the default config.
pub fn start(driver: Driver) -> TestServer {
    start_with(driver, Http1Config::default)
}

impl TestServer {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.handle.local_addr()
    }

    /// The runtime's handle.
    pub fn handle(&self) -> &ServerHandle {
        &self.handle
    }

    /// A new client connection.
    pub fn client(&self) -> Client {
        Client::connect(self.addr())
    }

    /// Shuts down and waits up to `within` for the server to exit; `false` on timeout.
    pub fn stop_within(&self, within: Duration) -> bool {
        self.handle.shutdown();
        wait_within(&self.handle, within)
    }
}

/// Runs `handle.wait()` on a helper thread so a server that never exits fails the test
/// instead of hanging it. Returns whether it exited (successfully) in time.
pub fn wait_within(handle: &ServerHandle, within: Duration) -> bool {
    let (tx, rx) = mpsc::channel();
    let waiter = handle.clone();
    std::thread::spawn(move || {
        // The receiver may be gone after a timeout; nothing left to tell then.
        let _ = tx.send(waiter.wait());
    });
    match rx.recv_timeout(within) {
        Ok(Ok(())) => true,
        Ok(Err(e)) => panic!("server exited with an error: {e}"),
        Err(_) => false,
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let exited = self.stop_within(Duration::from_secs(6));
        if !exited && !std::thread::panicking() {
            panic!("server did not exit within 6 s of shutdown()");
        }
    }
}

/// Checks the headers every response must carry: `Date` as an IMF-fixdate close to now
/// (RFC 9110 §6.6.1, §5.6.7) and a non-empty `Server`.
pub fn assert_date_and_server(resp: &Response) {
    let date = resp
        .header("date")
        .unwrap_or_else(|| panic!("no Date header in {resp:?}"));
    assert!(is_imf_fixdate(date), "Date {date:?} is not an IMF-fixdate");
    let when = httpdate::parse_http_date(date).expect("IMF-fixdate parses");
    let skew = match when.duration_since(SystemTime::now()) {
        Ok(ahead) => ahead,
        Err(behind) => behind.duration(),
    };
    assert!(
        skew < Duration::from_secs(5),
        "Date {date:?} is {skew:?} off"
    );
    let server = resp.header("server").unwrap_or_default();
    assert!(!server.is_empty(), "no Server header in {resp:?}");
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`, exactly (RFC 9110 §5.6.7).
fn is_imf_fixdate(s: &str) -> bool {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    b.len() == 29
        && DAYS.contains(&&s[0..3])
        && &s[3..5] == ", "
        && digits(5..7)
        && b[7] == b' '
        && MONTHS.contains(&&s[8..11])
        && b[11] == b' '
        && digits(12..16)
        && b[16] == b' '
        && digits(17..19)
        && b[19] == b':'
        && digits(20..22)
        && b[22] == b':'
        && digits(23..25)
        && &s[25..] == " GMT"
}

/// Sends `request` on a fresh connection and asserts the answer is `status`, followed by
/// the server closing the connection without another byte.
pub fn assert_rejected(server: &TestServer, request: &[u8], status: u16) -> Response {
    let mut c = server.client();
    c.send(request);
    let resp = c.response();
    assert_eq!(
        resp.status,
        status,
        "request {:?} got {resp:?}",
        String::from_utf8_lossy(request)
    );
    c.expect_closed();
    resp
}

/// How long a rejection (and the close after it) may take: they need no I/O beyond the
/// request already sent, so a short bound keeps a failing table of cases fast.
const REJECTION_TIMEOUT: Duration = Duration::from_secs(2);

/// Sends each `(name, request, status)` case on its own connection and checks it gets
/// `status` with `Connection: close` (RFC 9112 §9.6) and then a close with nothing more.
/// Reports every failing case at once.
pub fn assert_all_rejected(server: &TestServer, cases: &[(&str, &[u8], u16)]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(name, request, status)| {
            rejection_failure(server, request, *status).map(|why| format!("{name}: {why}"))
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn rejection_failure(server: &TestServer, request: &[u8], status: u16) -> Option<String> {
    let mut c = server.client();
    c.send(request);
    let sent = String::from_utf8_lossy(request);
    let resp = match c.try_response(false, REJECTION_TIMEOUT) {
        Ok(resp) => resp,
        Err(e) => return Some(format!("sent {sent:?}, {}", client::describe(&e))),
    };
    if resp.status != status {
        return Some(format!(
            "sent {sent:?}, want {status}, got {} {:?}",
            resp.status,
            resp.text()
        ));
    }
    if !resp.has_token("connection", "close") {
        return Some(format!(
            "sent {sent:?}, got {status} without Connection: close: {resp:?}"
        ));
    }
    match c.wait_closed(REJECTION_TIMEOUT) {
        (Some(_), rest) if rest.is_empty() => None,
        (Some(_), rest) => Some(format!(
            "sent {sent:?}, got {status} then more bytes {:?}",
            String::from_utf8_lossy(&rest)
        )),
        (None, _) => Some(format!(
            "sent {sent:?}, got {status} but the connection stayed open"
        )),
    }
}
