//! SIGTERM and SIGINT each turn into a graceful shutdown. Alone in their own test binary (own
//! process), since signal dispositions are process-wide; for the same reason the cases take
//! turns: a raised signal reaches every server in the process that handles signals.

mod common;

use std::{
    ffi::c_int,
    io::Read,
    sync::{Mutex, PoisonError},
    time::Duration,
};

use common::*;
use hiver_runtime::{Connection, Driver};
use signal_hook::consts::{SIGINT, SIGTERM};

both_drivers! {
    sigterm_shuts_down_gracefully => sigterm_shuts_down_gracefully_uring, sigterm_shuts_down_gracefully_epoll;
    sigint_shuts_down_gracefully => sigint_shuts_down_gracefully_uring, sigint_shuts_down_gracefully_epoll;
}

fn sigterm_shuts_down_gracefully(driver: Driver) {
    signal_shuts_down_gracefully(driver, SIGTERM);
}

fn sigint_shuts_down_gracefully(driver: Driver) {
    signal_shuts_down_gracefully(driver, SIGINT);
}

/// Held by the case whose signal-handling server is running.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A connection in flight when `signal` arrives is told to shut down, may still answer, and
/// the server then exits on its own. An unhandled signal would kill the test process; an
/// ignored one would leave the connection waiting, and `read_to_end` would time out empty.
fn signal_shuts_down_gracefully(driver: Driver, signal: c_int) {
    // A case that failed while holding the lock left nothing behind that the next one needs.
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let server = builder(driver)
        .workers(2)
        .handle_signals(true)
        .listen("127.0.0.1:0", |_| {
            |mut conn: Connection| async move {
                write(&mut conn, b"ready;").await;
                conn.shutdown().wait().await;
                write(&mut conn, b"bye").await;
            }
        })
        .unwrap();
    let mut client = connect(server.local_addr());
    let mut ready = [0; 6];
    client.read_exact(&mut ready).unwrap();
    signal_hook::low_level::raise(signal).unwrap();
    assert_eq!(read_to_end(&mut client), b"bye");
    wait_within(&server, Duration::from_secs(10)).unwrap();
}
