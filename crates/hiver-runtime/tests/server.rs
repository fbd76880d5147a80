//! Black-box tests of `Builder::listen` over real sockets, under both drivers.

mod common;

use std::{
    io::{ErrorKind, Read, Write},
    net::{IpAddr, Ipv4Addr, TcpStream},
    sync::{Arc, Mutex, mpsc},
    time::{Duration, Instant},
};

use common::*;
use hiver_runtime::{Connection, Driver, time};

both_drivers! {
    echo_with_two_workers => echo_with_two_workers_uring, echo_with_two_workers_epoll;
    port_zero_reports_real_address => port_zero_reports_real_address_uring, port_zero_reports_real_address_epoll;
    driver_is_reported => driver_is_reported_uring, driver_is_reported_epoll;
    shutdown_lets_in_flight_finish_and_refuses_new => shutdown_lets_in_flight_finish_and_refuses_new_uring, shutdown_lets_in_flight_finish_and_refuses_new_epoll;
    shutdown_signal_reaches_connections => shutdown_signal_reaches_connections_uring, shutdown_signal_reaches_connections_epoll;
    drain_deadline_cuts_stuck_connection => drain_deadline_cuts_stuck_connection_uring, drain_deadline_cuts_stuck_connection_epoll;
    connection_limit_pauses_accept => connection_limit_pauses_accept_uring, connection_limit_pauses_accept_epoll;
    startup_failure_is_returned => startup_failure_is_returned_uring, startup_failure_is_returned_epoll;
    bind_failure_is_returned => bind_failure_is_returned_uring, bind_failure_is_returned_epoll;
    open_connections_follow_accept_and_close => open_connections_follow_accept_and_close_uring, open_connections_follow_accept_and_close_epoll;
}

fn echo_with_two_workers(driver: Driver) {
    let server = builder(driver)
        .workers(2)
        .listen("127.0.0.1:0", |_| echo)
        .unwrap();
    assert_eq!(server.workers(), 2);
    let clients: Vec<_> = (0..8)
        .map(|i| {
            let addr = server.local_addr();
            std::thread::spawn(move || {
                let msg = format!("hello from client {i}").repeat(50);
                assert_eq!(roundtrip(addr, msg.as_bytes()), msg.as_bytes());
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    stop(&server);
}

fn port_zero_reports_real_address(driver: Driver) {
    let server = builder(driver)
        .workers(2)
        .listen("127.0.0.1:0", |_| echo)
        .unwrap();
    let addr = server.local_addr();
    assert_eq!(addr.ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
    assert_ne!(addr.port(), 0);
    assert_eq!(roundtrip(addr, b"ping"), b"ping");
    stop(&server);
}

fn driver_is_reported(driver: Driver) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let server = builder(driver)
        .workers(2)
        .listen("127.0.0.1:0", move |w| {
            record.lock().unwrap().push((w.index(), w.driver()));
            echo
        })
        .unwrap();
    assert_eq!(server.driver(), driver);
    let mut seen = seen.lock().unwrap().clone();
    seen.sort_by_key(|(i, _)| *i);
    assert_eq!(seen, vec![(0, driver), (1, driver)]);
    stop(&server);
}

fn shutdown_lets_in_flight_finish_and_refuses_new(driver: Driver) {
    let (accepted_tx, accepted_rx) = mpsc::channel::<()>();
    let accepted_tx = Mutex::new(accepted_tx);
    let server = builder(driver)
        .workers(2)
        .listen("127.0.0.1:0", move |_| {
            let accepted = accepted_tx.lock().unwrap().clone();
            move |mut conn: Connection| {
                let _ = accepted.send(());
                async move {
                    time::sleep(Duration::from_millis(300)).await;
                    write(&mut conn, b"finished").await;
                }
            }
        })
        .unwrap();
    let addr = server.local_addr();
    let mut slow = connect(addr);
    accepted_rx.recv_timeout(Duration::from_secs(5)).unwrap();
    let asked = Instant::now();
    server.shutdown();

    // New connections are refused while the slow one is still in flight.
    // Each attempt gets 50 ms: a SYN that races the listener's close can be dropped, and
    // waiting long for that one attempt would measure the client's timeout, not the server.
    let refused = loop {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(50)) {
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => break asked.elapsed(),
            // A connect racing the listener's close may be reset or dropped: try again.
            _ if asked.elapsed() > Duration::from_secs(2) => panic!("still accepting"),
            _ => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    assert!(
        refused < Duration::from_millis(300),
        "refused only after {refused:?}"
    );

    assert_eq!(read_to_end(&mut slow), b"finished");
    wait_within(&server, Duration::from_secs(10)).unwrap();
    assert!(asked.elapsed() >= Duration::from_millis(250));
    assert!(server.is_finished());
}

fn shutdown_signal_reaches_connections(driver: Driver) {
    let server = builder(driver)
        .workers(1)
        .listen("127.0.0.1:0", |_| {
            |mut conn: Connection| async move {
                assert!(!conn.shutdown().is_triggered());
                write(&mut conn, b"ready;").await;
                conn.shutdown().wait().await;
                assert!(conn.shutdown().is_triggered());
                write(&mut conn, b"bye").await;
            }
        })
        .unwrap();
    let mut client = connect(server.local_addr());
    let mut ready = [0; 6];
    client.read_exact(&mut ready).unwrap();
    server.shutdown();
    assert_eq!(read_to_end(&mut client), b"bye");
    wait_within(&server, Duration::from_secs(10)).unwrap();
}

fn drain_deadline_cuts_stuck_connection(driver: Driver) {
    let server = builder(driver)
        .workers(1)
        .drain_timeout(Duration::from_millis(200))
        .listen("127.0.0.1:0", |_| {
            |mut conn: Connection| async move {
                write(&mut conn, b"stuck;").await;
                std::future::pending::<()>().await;
            }
        })
        .unwrap();
    let mut client = connect(server.local_addr());
    let mut first = [0; 6];
    client.read_exact(&mut first).unwrap();
    let asked = Instant::now();
    server.shutdown();
    wait_within(&server, Duration::from_secs(5)).unwrap();
    let took = asked.elapsed();
    assert!(took >= Duration::from_millis(200), "drained in {took:?}");
    // The runtime is gone, and with it the connection: the client sees the close.
    client
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut buf = [0; 16];
    match client.read(&mut buf) {
        Ok(0) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        other => panic!("connection not closed: {other:?}"),
    }
}

fn connection_limit_pauses_accept(driver: Driver) {
    let server = builder(driver)
        .workers(1)
        .max_connections_per_worker(1)
        .listen("127.0.0.1:0", |_| {
            |mut conn: Connection| async move {
                write(&mut conn, b"hi").await;
                // Hold the slot until the client closes.
                echo(conn).await;
            }
        })
        .unwrap();
    let addr = server.local_addr();
    let mut first = connect(addr);
    let mut buf = [0; 2];
    first.read_exact(&mut buf).unwrap();

    // The kernel completes the handshake, but the worker does not accept it yet.
    let mut second = connect(addr);
    second
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let err = second.read_exact(&mut buf).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err}"
    );

    drop(first);
    second
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    second.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"hi");
    second.write_all(b"x").unwrap();
    drop(second);
    stop(&server);
}

fn startup_failure_is_returned(driver: Driver) {
    let started = Instant::now();
    let err = builder(driver)
        .workers(2)
        .listen("127.0.0.1:0", |w| {
            assert!(w.index() != 1, "worker 1 refuses to start");
            echo
        })
        .unwrap_err();
    assert!(err.to_string().contains("startup"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

fn bind_failure_is_returned(driver: Driver) {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = builder(driver)
        .workers(2)
        .listen(taken.local_addr().unwrap(), |_| echo)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
}

fn open_connections_follow_accept_and_close(driver: Driver) {
    const K: usize = 7;
    let infos = Arc::new(Mutex::new(Vec::new()));
    let record = infos.clone();
    let server = builder(driver)
        .workers(2)
        .listen("127.0.0.1:0", move |w| {
            record.lock().unwrap().push(w.clone());
            echo
        })
        .unwrap();
    assert_eq!(server.open_connections(), [0, 0]);
    let clients: Vec<TcpStream> = (0..K)
        .map(|i| {
            let mut c = connect(server.local_addr());
            // An echoed byte proves the worker accepted it and counted it.
            c.write_all(&[i as u8]).unwrap();
            let mut b = [0; 1];
            c.read_exact(&mut b).unwrap();
            c
        })
        .collect();
    let open = server.open_connections();
    assert_eq!(open.len(), 2);
    assert_eq!(open.iter().sum::<usize>(), K, "{open:?}");
    let mut infos = infos.lock().unwrap().clone();
    infos.sort_by_key(|w| w.index());
    let from_infos: Vec<usize> = infos.iter().map(|w| w.open_connections()).collect();
    assert_eq!(from_infos, open);

    drop(clients);
    // The worker sees each close asynchronously, when its read returns 0.
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.open_connections() != [0, 0] {
        assert!(Instant::now() < deadline, "{:?}", server.open_connections());
        std::thread::sleep(Duration::from_millis(5));
    }
    stop(&server);
    assert_eq!(server.open_connections(), [0, 0]);
}

#[test]
fn zero_workers_is_invalid_input() {
    let err = builder(Driver::Epoll)
        .workers(0)
        .listen("127.0.0.1:0", |_| echo)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[test]
fn defer_taskrun_rings_serve_and_stop() {
    let server = builder(Driver::IoUring)
        .defer_taskrun(true)
        .workers(2)
        .listen("127.0.0.1:0", |_| echo)
        .unwrap();
    assert_eq!(server.driver(), Driver::IoUring);
    for _ in 0..20 {
        assert_eq!(roundtrip(server.local_addr(), b"deferred"), b"deferred");
    }
    // The shutdown message wakes each worker from another thread.
    stop(&server);
}

/// The env var is process-global, so it is exercised in a child process of this test binary.
#[test]
fn bad_driver_env_value_fails_listen() {
    const CHILD: &str = "HIVER_RUNTIME_TEST_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let err = hiver_runtime::Builder::new()
            .workers(1)
            .listen("127.0.0.1:0", |_| echo)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("kqueue"), "{err}");
        return;
    }
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "bad_driver_env_value_fails_listen",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env(hiver_runtime::DRIVER_ENV, "kqueue")
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn auto_mode_prefers_io_uring_where_allowed() {
    if std::env::var_os(hiver_runtime::DRIVER_ENV).is_some() {
        return; // the environment forces a driver for the whole run
    }
    let uring_allowed = std::fs::read_to_string("/proc/sys/kernel/io_uring_disabled")
        .map_or(true, |s| s.trim() == "0");
    let server = hiver_runtime::Builder::new()
        .workers(1)
        .pin_workers(false)
        .listen("127.0.0.1:0", |_| echo)
        .unwrap();
    let expected = if uring_allowed {
        Driver::IoUring
    } else {
        Driver::Epoll
    };
    assert_eq!(server.driver(), expected);
    stop(&server);
}

#[test]
fn dropping_the_handle_keeps_serving() {
    let server = builder(Driver::Epoll)
        .workers(1)
        .listen("127.0.0.1:0", |_| echo)
        .unwrap();
    let addr = server.local_addr();
    drop(server);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(roundtrip(addr, b"still here"), b"still here");
}

#[test]
fn pinned_workers_each_own_one_cpu() {
    let cpus = Arc::new(Mutex::new(Vec::new()));
    let record = cpus.clone();
    let server = hiver_runtime::Builder::new()
        .driver(Driver::Epoll)
        .workers(2)
        .pin_workers(true)
        .listen("127.0.0.1:0", move |w| {
            let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
            let allowed = status
                .lines()
                .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
                .unwrap()
                .trim()
                .to_owned();
            record.lock().unwrap().push((w.index(), allowed));
            echo
        })
        .unwrap();
    stop(&server);
    let mut cpus = cpus.lock().unwrap().clone();
    cpus.sort();
    let many = std::thread::available_parallelism().unwrap().get() > 1;
    for (_, allowed) in &cpus {
        assert!(allowed.parse::<usize>().is_ok(), "not pinned: {allowed}");
    }
    if many {
        assert_ne!(cpus[0].1, cpus[1].1, "both workers on one CPU");
    }
}
