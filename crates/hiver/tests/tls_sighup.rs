//! `SIGHUP` reloads the certificate of a TLS server that handles signals.
//! Alone in its binary: a signal reaches the whole process.

mod tls_common;

use std::time::{Duration, Instant};

use hiver::routing::get;
use hiver::tls::TlsConfig;
use hiver::{Driver, Router, Server};
use tls_common::*;

#[test]
fn sighup_reloads_the_certificate() {
    for driver in [Driver::IoUring, Driver::Epoll] {
        let dir = temp_dir("sighup");
        let old = pair();
        let (cert, key) = write_pair(&dir, &old);
        let handle = Server::bind("127.0.0.1:0")
            .driver(driver)
            .workers(1)
            .pin_workers(false)
            .handle_signals(true)
            .tls(TlsConfig::from_pem_files(&cert, &key).unwrap())
            .start(Router::new().route("/", get(|| async { "hi" })))
            .unwrap();
        let addr = handle.local_addr();
        let new = pair();
        let roots = [&old.der, &new.der];

        let mut a = connect(addr, client_config(&roots, &[b"http/1.1"])).unwrap();
        assert_eq!(fetch(&mut a, "/").unwrap().text(), "hi");
        assert_eq!(server_cert(&a), old.der);

        // A bad file first: the reload fails and the old certificate stays.
        replace(&cert, b"garbage");
        signal_hook::low_level::raise(signal_hook::consts::SIGHUP).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let c = connect(addr, client_config(&roots, &[b"http/1.1"])).unwrap();
        assert_eq!(server_cert(&c), old.der, "{driver}");

        write_pair(&dir, &new);
        signal_hook::low_level::raise(signal_hook::consts::SIGHUP).unwrap();
        // The reload runs on the signal thread: wait for it.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let b = connect(addr, client_config(&roots, &[b"http/1.1"])).unwrap();
            if server_cert(&b) == new.der {
                break;
            }
            assert!(Instant::now() < deadline, "{driver}: not reloaded");
            std::thread::sleep(Duration::from_millis(20));
        }
        // Connection A keeps its session.
        assert_eq!(fetch(&mut a, "/").unwrap().text(), "hi");

        handle.shutdown();
        handle.wait().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
