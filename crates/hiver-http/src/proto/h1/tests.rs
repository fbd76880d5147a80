//! The connection loop against a real server on 127.0.0.1, under both
//! drivers: the behaviour the black-box suite cannot see from outside.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use hiver_runtime::{Builder, Driver, ServerHandle};
use http::{HeaderValue, Method, StatusCode};

use crate::{Body, Http1Config, Request, Response, Service};

struct Echo;

impl Service for Echo {
    async fn call(&self, req: Request) -> Response {
        match req.uri().path() {
            "/framing" => {
                let mut res = Response::new(Body::from(Bytes::from_static(b"abc")));
                let h = res.headers_mut();
                h.insert("content-length", HeaderValue::from_static("999"));
                h.insert("transfer-encoding", HeaderValue::from_static("chunked"));
                res
            }
            "/informational" => {
                let mut res = Response::new(Body::empty());
                *res.status_mut() = StatusCode::CONTINUE;
                res
            }
            "/declared" if req.method() == Method::HEAD => {
                let mut res = Response::new(Body::empty());
                res.headers_mut()
                    .insert("content-length", HeaderValue::from_static("1234"));
                res
            }
            "/names" => {
                let names: Vec<&str> = req.headers().keys().map(|n| n.as_str()).collect();
                Response::new(Body::from(names.join(",")))
            }
            path => Response::new(Body::from(path.to_owned())),
        }
    }
}

fn start(driver: Driver) -> ServerHandle {
    start_with(driver, Http1Config::default)
}

fn start_with(driver: Driver, config: fn() -> Http1Config) -> ServerHandle {
    Builder::new()
        .workers(1)
        .driver(driver)
        .pin_workers(false)
        .handle_signals(false)
        .drain_timeout(Duration::from_secs(2))
        .listen("127.0.0.1:0", move |_| {
            let service = Rc::new(Echo);
            let config = Rc::new(config());
            move |conn| crate::serve_connection(conn, service.clone(), config.clone())
        })
        .expect("listen on 127.0.0.1:0")
}

fn connect(server: &ServerHandle) -> TcpStream {
    let stream = TcpStream::connect(server.local_addr()).expect("connect to the test server");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("set a read timeout");
    stream
}

/// Reads until the peer closes or `want` occurrences of `HTTP/1.1 ` arrived.
fn read_responses(stream: &mut TcpStream, want: usize) -> String {
    let mut text = String::new();
    let mut buf = [0u8; 64 * 1024];
    while text.matches("HTTP/1.1 ").count() < want {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => text.push_str(&String::from_utf8_lossy(&buf[..n])),
        }
    }
    text
}

fn sixteen_pipelined_leave_in_one_write(driver: Driver) {
    let server = start(driver);
    let mut c = connect(&server);
    let batch: String = (0..16)
        .map(|i| format!("GET /r{i} HTTP/1.1\r\nHost: t\r\n\r\n"))
        .collect();
    c.write_all(batch.as_bytes()).unwrap();
    // One read: a server writing response by response would wake this read
    // with the first response alone.
    let mut buf = [0u8; 64 * 1024];
    let n = c.read(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert_eq!(text.matches("HTTP/1.1 200 OK\r\n").count(), 16, "{text}");
    let order: Vec<usize> = (0..16)
        .map(|i| text.find(&format!("\r\n\r\n/r{i}")).unwrap())
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "responses out of order: {text}"
    );
    server.shutdown();
}

fn handler_framing_headers_are_replaced(driver: Driver) {
    let server = start(driver);
    let mut c = connect(&server);
    c.write_all(b"GET /framing HTTP/1.1\r\nHost: t\r\n\r\nGET /after HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let text = read_responses(&mut c, 2);
    let first = text.split("HTTP/1.1 ").nth(1).unwrap().to_ascii_lowercase();
    assert!(first.contains("content-length: 3\r\n"), "{first}");
    assert!(
        !first.contains("999") && !first.contains("transfer-encoding"),
        "{first}"
    );
    assert!(text.ends_with("\r\n\r\n/after"), "{text}");
    server.shutdown();
}

fn a_recycled_header_map_holds_only_the_new_request(driver: Driver) {
    let server = start(driver);
    let mut c = connect(&server);
    // `/framing` answers with two fields; its map is reused for the next head.
    c.write_all(
        b"GET /framing HTTP/1.1\r\nHost: t\r\n\r\nGET /names HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n\r\n",
    )
    .unwrap();
    let text = read_responses(&mut c, 2);
    assert!(text.ends_with("\r\n\r\nhost,x-a"), "{text}");
    server.shutdown();
}

fn informational_final_status_becomes_500(driver: Driver) {
    let server = start(driver);
    let mut c = connect(&server);
    c.write_all(b"GET /informational HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let text = read_responses(&mut c, 1);
    assert!(
        text.starts_with("HTTP/1.1 500 Internal Server Error\r\n"),
        "{text}"
    );
    server.shutdown();
}

fn head_keeps_declared_length(driver: Driver) {
    let server = start(driver);
    let mut c = connect(&server);
    c.write_all(b"HEAD /declared HTTP/1.1\r\nHost: t\r\n\r\nGET /next HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let text = read_responses(&mut c, 2);
    let (head, rest) = text.split_once("\r\n\r\n").unwrap();
    assert!(
        head.to_ascii_lowercase().contains("content-length: 1234"),
        "{head}"
    );
    assert!(
        rest.starts_with("HTTP/1.1 200 OK\r\n") && rest.ends_with("/next"),
        "{rest}"
    );
    server.shutdown();
}

fn blank_line_between_requests_is_idle_time(driver: Driver) {
    let server = start_with(driver, || {
        Http1Config::builder()
            .header_read_timeout(Duration::from_millis(150))
            .build()
    });
    let mut c = connect(&server);
    c.write_all(b"GET /one HTTP/1.1\r\nHost: t\r\n\r\n\r\n")
        .unwrap();
    assert!(read_responses(&mut c, 1).ends_with("/one"));
    // Longer than the head timeout: a stray CRLF must not start its clock.
    std::thread::sleep(Duration::from_millis(400));
    c.write_all(b"GET /two HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let text = read_responses(&mut c, 1);
    assert!(
        text.starts_with("HTTP/1.1 200 OK\r\n") && text.ends_with("/two"),
        "{text}"
    );
    server.shutdown();
}

macro_rules! both_drivers {
    ($($name:ident),*) => {$(
        mod $name {
            #[test]
            fn uring() {
                super::$name(hiver_runtime::Driver::IoUring)
            }
            #[test]
            fn epoll() {
                super::$name(hiver_runtime::Driver::Epoll)
            }
        }
    )*};
}

both_drivers!(
    sixteen_pipelined_leave_in_one_write,
    handler_framing_headers_are_replaced,
    a_recycled_header_map_holds_only_the_new_request,
    informational_final_status_becomes_500,
    head_keeps_declared_length,
    blank_line_between_requests_is_idle_time
);
