//! HTTPS end to end over real sockets, under both I/O drivers: a certificate
//! from rcgen, a blocking rustls client.

#[macro_use]
mod support;

mod tls_common;

use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hiver::routing::{get, post};
use hiver::tls::{TlsConfig, TlsErrorKind, rustls};
use hiver::{Body, Driver, FileRegion, Http1Config, Response, Router, Server, ServerHandle};
use tls_common::*;

const BIG: usize = 1 << 20;

fn big_body() -> Vec<u8> {
    (0..BIG).map(|i| (i % 251) as u8).collect()
}

fn app(file: PathBuf) -> Router {
    Router::new()
        .route("/", get(|| async { "hello over tls" }))
        .route("/big", get(|| async { big_body() }))
        .route("/echo", post(|body: String| async move { body }))
        .route(
            "/slow",
            get(|| async {
                hiver_runtime::time::sleep(Duration::from_millis(300)).await;
                "slow"
            }),
        )
        .route(
            "/file",
            get(move || {
                let file = file.clone();
                async move {
                    let f = File::open(&file).unwrap();
                    let len = f.metadata().unwrap().len();
                    Response::new(Body::file(FileRegion::new(Arc::new(f), 0, len)))
                }
            }),
        )
}

/// A TLS server on a forced driver, with its certificate.
struct Fixture {
    handle: ServerHandle,
    pair: Pair,
    config: TlsConfig,
    dir: PathBuf,
}

impl Fixture {
    fn start(driver: Driver) -> Self {
        Fixture::with_http1(driver, Http1Config::default())
    }

    fn with_http1(driver: Driver, http1: Http1Config) -> Self {
        let dir = temp_dir("t");
        let pair = pair();
        let (cert, key) = write_pair(&dir, &pair);
        let file = dir.join("body.bin");
        std::fs::write(&file, big_body()).unwrap();
        let config = TlsConfig::from_pem_files(&cert, &key).unwrap();
        let handle = Server::bind("127.0.0.1:0")
            .driver(driver)
            .workers(1)
            .pin_workers(false)
            .handle_signals(false)
            .drain_timeout(Duration::from_secs(5))
            .http1(http1)
            .tls(config.clone())
            .start(app(file))
            .unwrap();
        Fixture {
            handle,
            pair,
            config,
            dir,
        }
    }

    fn connect(&self) -> Tls {
        connect(self.handle.local_addr(), self.client()).unwrap()
    }

    fn client(&self) -> Arc<rustls::ClientConfig> {
        client_config(&[&self.pair.der], &[b"http/1.1"])
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.handle.shutdown();
        let _ = self.handle.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn get_and_alpn(driver: Driver) {
    let f = Fixture::start(driver);
    let mut tls = f.connect();
    assert_eq!(tls.conn.alpn_protocol(), Some(&b"http/1.1"[..]));
    let res = fetch(&mut tls, "/").unwrap();
    assert_eq!(res.status, 200);
    assert_eq!(res.text(), "hello over tls");
}

fn client_without_alpn(driver: Driver) {
    let f = Fixture::start(driver);
    let mut tls = connect(f.handle.local_addr(), client_config(&[&f.pair.der], &[])).unwrap();
    assert_eq!(tls.conn.alpn_protocol(), None);
    assert_eq!(fetch(&mut tls, "/").unwrap().text(), "hello over tls");
}

fn keep_alive(driver: Driver) {
    let f = Fixture::start(driver);
    let mut tls = f.connect();
    for _ in 0..5 {
        let res = fetch(&mut tls, "/").unwrap();
        assert_eq!(res.text(), "hello over tls");
        assert!(!res.head.contains("connection: close"), "{}", res.head);
    }
}

fn pipelined_in_one_record(driver: Driver) {
    let f = Fixture::start(driver);
    let mut tls = f.connect();
    let one = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    // One write: one TLS record holding three requests.
    tls.write_all(one.repeat(3).as_bytes()).unwrap();
    tls.flush().unwrap();
    for _ in 0..3 {
        assert_eq!(read_response(&mut tls).unwrap().text(), "hello over tls");
    }
}

fn large_response(driver: Driver) {
    let f = Fixture::start(driver);
    let mut tls = f.connect();
    let res = fetch(&mut tls, "/big").unwrap();
    assert_eq!(res.body.len(), BIG);
    assert!(res.body == big_body(), "body bytes differ");
    // The connection is still usable after.
    assert_eq!(fetch(&mut tls, "/").unwrap().text(), "hello over tls");
}

fn file_body(driver: Driver) {
    let f = Fixture::start(driver);
    let mut tls = f.connect();
    let res = fetch(&mut tls, "/file").unwrap();
    assert_eq!(res.status, 200);
    assert!(res.body == big_body(), "file bytes differ");
    assert_eq!(fetch(&mut tls, "/").unwrap().text(), "hello over tls");
}

fn post_body(driver: Driver) {
    let f = Fixture::start(driver);
    let mut tls = f.connect();
    let body = "x".repeat(40_000);
    write!(
        tls,
        "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    tls.flush().unwrap();
    let res = read_response(&mut tls).unwrap();
    assert_eq!(res.status, 200);
    assert_eq!(res.text(), body);
}

fn h2_only_client_refused(driver: Driver) {
    let f = Fixture::start(driver);
    let err = connect(
        f.handle.local_addr(),
        client_config(&[&f.pair.der], &[b"h2"]),
    )
    .expect_err("the handshake must fail");
    let tls_err = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
        .unwrap_or_else(|| panic!("not a TLS error: {err}"));
    assert_eq!(
        *tls_err,
        rustls::Error::AlertReceived(rustls::AlertDescription::NoApplicationProtocol)
    );
    // The server is fine.
    assert_eq!(
        fetch(&mut f.connect(), "/").unwrap().text(),
        "hello over tls"
    );
}

fn plain_http_is_closed(driver: Driver) {
    let f = Fixture::start(driver);
    let mut tcp = TcpStream::connect(f.handle.local_addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut got = Vec::new();
    // Closed (at most an alert comes back), not left hanging.
    tcp.read_to_end(&mut got).unwrap();
    assert!(!got.starts_with(b"HTTP/"), "{got:?}");
    assert_eq!(
        fetch(&mut f.connect(), "/").unwrap().text(),
        "hello over tls"
    );
}

fn stalled_handshake_dropped(driver: Driver) {
    let http1 = Http1Config::builder()
        .header_read_timeout(Duration::from_millis(300))
        .build();
    let f = Fixture::with_http1(driver, http1);
    let mut tcp = TcpStream::connect(f.handle.local_addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // Half a ClientHello record header, then nothing.
    tcp.write_all(&[0x16, 0x03]).unwrap();
    let start = Instant::now();
    let mut got = Vec::new();
    tcp.read_to_end(&mut got).unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
    // A client that sends nothing at all is dropped too.
    let mut idle = TcpStream::connect(f.handle.local_addr()).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let start = Instant::now();
    assert_eq!(idle.read(&mut [0; 16]).unwrap(), 0);
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
}

fn reload_keeps_connections(driver: Driver) {
    let f = Fixture::start(driver);
    let new = pair();
    let client = client_config(&[&f.pair.der, &new.der], &[b"http/1.1"]);
    let addr = f.handle.local_addr();
    let mut a = connect(addr, client.clone()).unwrap();
    assert_eq!(fetch(&mut a, "/").unwrap().text(), "hello over tls");
    assert_eq!(server_cert(&a), f.pair.der);

    write_pair(&f.dir, &new);
    f.config.reload().unwrap();

    // Connection A keeps its session.
    assert_eq!(fetch(&mut a, "/").unwrap().text(), "hello over tls");
    // A new one gets the new certificate (a fresh client: resuming A's
    // session would carry the old certificate over).
    let client = client_config(&[&f.pair.der, &new.der], &[b"http/1.1"]);
    let mut b = connect(addr, client).unwrap();
    assert_eq!(server_cert(&b), new.der);
    assert_eq!(fetch(&mut b, "/").unwrap().text(), "hello over tls");
}

fn bad_reload_keeps_certificate(driver: Driver) {
    let f = Fixture::start(driver);
    let addr = f.handle.local_addr();
    replace(f.config.cert_path(), b"not a certificate");
    let err = f.config.reload().unwrap_err();
    assert_eq!(err.kind(), TlsErrorKind::NoCertificate);
    let mut b = connect(addr, f.client()).unwrap();
    assert_eq!(server_cert(&b), f.pair.der);
    assert_eq!(fetch(&mut b, "/").unwrap().text(), "hello over tls");
    // A key that does not match the new certificate is refused as well.
    let other = pair();
    replace(f.config.cert_path(), other.cert_pem.as_bytes());
    let err = f.config.reload().unwrap_err();
    assert_eq!(err.kind(), TlsErrorKind::KeyMismatch);
    let b = connect(addr, f.client()).unwrap();
    assert_eq!(server_cert(&b), f.pair.der);
}

fn graceful_shutdown_drains(driver: Driver) {
    let f = Fixture::start(driver);
    let mut idle = f.connect();
    assert_eq!(fetch(&mut idle, "/").unwrap().text(), "hello over tls");
    let mut tls = f.connect();
    write!(tls, "GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    tls.flush().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    f.handle.shutdown();
    let res = read_response(&mut tls).unwrap();
    assert_eq!(res.text(), "slow");
    assert!(res.head.contains("connection: close"), "{}", res.head);
    // Then close_notify: a clean end of stream (an abrupt one is an error).
    let mut rest = Vec::new();
    assert_eq!(tls.read_to_end(&mut rest).unwrap(), 0);
    // The idle connection is closed with close_notify too.
    assert_eq!(idle.read_to_end(&mut rest).unwrap(), 0);
}

both_drivers!(
    get_and_alpn,
    client_without_alpn,
    keep_alive,
    pipelined_in_one_record,
    large_response,
    file_body,
    post_body,
    h2_only_client_refused,
    plain_http_is_closed,
    stalled_handshake_dropped,
    reload_keeps_connections,
    bad_reload_keeps_certificate,
    graceful_shutdown_drains,
);

#[test]
fn from_pem_files_errors() {
    let dir = temp_dir("errors");
    let good = pair();
    let (cert, key) = write_pair(&dir, &good);
    assert!(TlsConfig::from_pem_files(&cert, &key).is_ok());

    let missing = dir.join("missing.pem");
    let err = TlsConfig::from_pem_files(&missing, &key).unwrap_err();
    assert_eq!(err.kind(), TlsErrorKind::Read);
    assert_eq!(err.path(), missing);
    assert!(err.to_string().contains("missing.pem"), "{err}");

    let err = TlsConfig::from_pem_files(&cert, &missing).unwrap_err();
    assert_eq!(err.kind(), TlsErrorKind::Read);
    assert_eq!(err.path(), missing);

    let empty = dir.join("empty.pem");
    std::fs::write(&empty, b"").unwrap();
    let err = TlsConfig::from_pem_files(&empty, &key).unwrap_err();
    assert_eq!(err.kind(), TlsErrorKind::NoCertificate);
    assert_eq!(err.path(), empty);
    assert!(err.to_string().contains("no PEM certificate"), "{err}");

    // The key file given where the certificate belongs holds no certificate.
    let err = TlsConfig::from_pem_files(&key, &key).unwrap_err();
    assert_eq!(err.kind(), TlsErrorKind::NoCertificate);

    // The certificate given where the key belongs holds no key.
    let err = TlsConfig::from_pem_files(&cert, &cert).unwrap_err();
    assert_eq!(err.kind(), TlsErrorKind::NoKey);
    assert_eq!(err.path(), cert);
    assert!(err.to_string().contains("no PEM private key"), "{err}");

    let other = dir.join("other-key.pem");
    std::fs::write(&other, pair().key_pem).unwrap();
    let err = TlsConfig::from_pem_files(&cert, &other).unwrap_err();
    assert_eq!(err.kind(), TlsErrorKind::KeyMismatch);
    assert_eq!(err.path(), other);
    assert!(err.to_string().contains("does not match"), "{err}");

    let broken = dir.join("broken.pem");
    std::fs::write(&broken, b"-----BEGIN CERTIFICATE-----\nAAAA\n").unwrap();
    let err = TlsConfig::from_pem_files(&broken, &key).unwrap_err();
    assert_eq!(err.kind(), TlsErrorKind::Pem);

    let garbage = dir.join("garbage-key.pem");
    std::fs::write(
        &garbage,
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let err = TlsConfig::from_pem_files(&cert, &garbage).unwrap_err();
    assert_eq!(err.kind(), TlsErrorKind::BadKey);
    assert_eq!(err.path(), garbage);
    let _ = std::fs::remove_dir_all(&dir);
}
