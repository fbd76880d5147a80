//! SIGTERM turns into a graceful shutdown. Alone in its own test binary (own process), since
//! signal dispositions are process-wide.

mod common;

use std::{io::Read, time::Duration};

use common::*;
use hiver_runtime::{Connection, Driver};

#[test]
fn sigterm_shuts_down_gracefully() {
    let server = builder(Driver::Epoll)
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
    signal_hook::low_level::raise(signal_hook::consts::SIGTERM).unwrap();
    assert_eq!(read_to_end(&mut client), b"bye");
    wait_within(&server, Duration::from_secs(10)).unwrap();
}
