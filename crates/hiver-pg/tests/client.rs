//! The client against a throwaway PostgreSQL cluster, on both I/O drivers. Without
//! PostgreSQL installed these tests show as ignored (see build.rs).

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use hiver_pg::test_cluster::TestCluster;
use hiver_pg::{Client, Config};
use hiver_runtime::{Driver, Runtime};

macro_rules! both_drivers {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[test]
            #[cfg_attr(no_postgres, ignore = "no PostgreSQL: install it (apt-get install postgresql) to run this test")]
            fn io_uring() {
                super::$case(hiver_runtime::Driver::IoUring)
            }
            #[test]
            #[cfg_attr(no_postgres, ignore = "no PostgreSQL: install it (apt-get install postgresql) to run this test")]
            fn epoll() {
                super::$case(hiver_runtime::Driver::Epoll)
            }
        }
    )*};
}

both_drivers! {
    scram_md5_and_cleartext_logins_work_and_a_wrong_password_is_an_auth_error,
    pipelined_queries_are_answered_in_order,
    prepared_statements_are_reused,
    errors_are_typed_and_leave_the_connection_usable,
    a_long_pipeline_with_large_answers_neither_blocks_nor_reorders,
    dropping_the_client_closes_its_connection,
    a_query_past_the_query_timeout_fails_and_the_client_reconnects,
    a_restart_fails_queries_in_flight_and_the_client_reconnects,
}

fn run<F: Future>(driver: Driver, f: F) -> F::Output {
    Runtime::with_driver(driver).expect("runtime").block_on(f)
}

/// A cluster with a login role `app` (password `secret`, SCRAM) owning database `app`.
fn cluster() -> TestCluster {
    let c = TestCluster::start().expect("throwaway cluster");
    c.psql("postgres", "CREATE ROLE app LOGIN PASSWORD 'secret'")
        .unwrap();
    c.psql("postgres", "CREATE DATABASE app OWNER app").unwrap();
    c
}

fn app(c: &TestCluster) -> Config {
    c.config("app", "secret", "app")
}

fn scram_md5_and_cleartext_logins_work_and_a_wrong_password_is_an_auth_error(driver: Driver) {
    let c = cluster();
    let stored = c
        .psql(
            "postgres",
            "SELECT rolpassword FROM pg_authid WHERE rolname = 'app'",
        )
        .unwrap();
    assert!(stored.starts_with("SCRAM-SHA-256$"), "{stored}");
    c.psql(
        "postgres",
        "SET password_encryption = 'md5'; CREATE ROLE old LOGIN PASSWORD 'pw5'",
    )
    .unwrap();
    c.psql("postgres", "CREATE ROLE plain LOGIN PASSWORD 'pwc'")
        .unwrap();
    c.write_hba(&[
        "host all old 127.0.0.1/32 md5",
        "host all plain 127.0.0.1/32 password",
    ])
    .unwrap();
    c.reload().unwrap();
    run(driver, async {
        let who = |client: Client| async move {
            let s = client.prepare("SELECT current_user::text").await.unwrap();
            client.query_one(&s, &[]).await.unwrap().get::<String>(0)
        };
        assert_eq!(who(Client::connect(app(&c)).await.unwrap()).await, "app");
        let md5 = c.config("old", "pw5", "postgres");
        assert_eq!(who(Client::connect(md5).await.unwrap()).await, "old");
        let cleartext = c.config("plain", "pwc", "postgres");
        assert_eq!(
            who(Client::connect(cleartext).await.unwrap()).await,
            "plain"
        );

        let err = Client::connect(c.config("app", "wrong", "app"))
            .await
            .unwrap_err();
        assert!(err.is_auth(), "{err:?}");
        assert_eq!(err.code(), Some("28P01"));
        let err = Client::connect(c.config("old", "wrong", "postgres"))
            .await
            .unwrap_err();
        assert!(err.is_auth() && err.code() == Some("28P01"), "{err:?}");
        let err = Client::connect(Config::new().port(c.port()).user("app"))
            .await
            .unwrap_err();
        assert!(
            err.is_auth() && err.code().is_none(),
            "no password configured: {err:?}"
        );
        let err = Client::connect(c.config("app", "secret", "nosuchdb"))
            .await
            .unwrap_err();
        assert!(err.is_connect() && err.code() == Some("3D000"), "{err:?}");
    });
}

fn pipelined_queries_are_answered_in_order(driver: Driver) {
    let c = cluster();
    run(driver, async {
        let client = Client::connect(app(&c)).await.unwrap();
        let echo = client
            .prepare("SELECT $1::int4, repeat('x', $1::int4)")
            .await
            .unwrap();
        // All 300 are written before the first answer is read: one connection, in flight
        // together; sizes differ so answers end at every kind of read boundary.
        let futures: Vec<_> = (0..300i32)
            .map(|i| client.query_one(&echo, &[&(i * 37 % 3000)]))
            .collect();
        let rows = join_all(futures).await;
        for (i, row) in (0..300i32).zip(rows) {
            let row = row.unwrap();
            let n: i32 = row.get(0);
            assert_eq!(n, i * 37 % 3000);
            assert_eq!(row.get::<&str>(1).len(), n as usize);
        }
        // Awaited in reverse, still each gets its own answer.
        let mut futures: Vec<_> = (0..50i32).map(|i| client.query_one(&echo, &[&i])).collect();
        for i in (0..50i32).rev() {
            let row = futures.pop().unwrap().await.unwrap();
            assert_eq!(row.get::<i32>(0), i);
        }
    });
}

fn prepared_statements_are_reused(driver: Driver) {
    let c = cluster();
    c.psql("app", "CREATE EXTENSION pg_stat_statements")
        .unwrap();
    run(driver, async {
        let client = Client::connect(app(&c)).await.unwrap();
        let sql = "SELECT $1::int4 + 1";
        for i in 0..20i32 {
            let s = client.prepare_cached(sql).await.unwrap();
            assert_eq!(
                client.query_one(&s, &[&i]).await.unwrap().get::<i32>(0),
                i + 1
            );
        }
        let count = client
            .prepare("SELECT count(*)::int4 FROM pg_prepared_statements WHERE statement = $1")
            .await
            .unwrap();
        let n: i32 = client.query_one(&count, &[&sql]).await.unwrap().get(0);
        assert_eq!(
            n, 1,
            "one server-side statement for 20 prepare_cached calls"
        );
    });
    let calls = c
        .psql(
            "app",
            "SELECT calls FROM pg_stat_statements WHERE query LIKE 'SELECT $1::int4 +%'",
        )
        .unwrap();
    assert_eq!(calls, "20");
}

fn errors_are_typed_and_leave_the_connection_usable(driver: Driver) {
    let c = cluster();
    run(driver, async {
        let client = Client::connect(app(&c)).await.unwrap();
        let err = client.prepare("SELEC 1").await.unwrap_err();
        assert!(err.is_db() && err.code() == Some("42601"), "{err:?}");
        let err = client.prepare("SELECT * FROM nowhere").await.unwrap_err();
        assert!(err.is_db() && err.code() == Some("42P01"), "{err:?}");
        assert!(
            client
                .batch_execute("CREATE TABLE t (id int4 PRIMARY KEY, v text)")
                .await
                .is_ok()
        );
        let err = client.batch_execute("SELECT 1; SELEC").await.unwrap_err();
        assert!(err.is_db(), "{err:?}");

        // A failing query in the middle of a pipeline fails alone.
        let div = client.prepare("SELECT 10 / $1::int4").await.unwrap();
        let (a, b, d) = (
            client.query_one(&div, &[&2]),
            client.query_one(&div, &[&0]),
            client.query_one(&div, &[&5]),
        );
        assert_eq!(a.await.unwrap().get::<i32>(0), 5);
        let err = b.await.unwrap_err();
        assert!(err.is_db() && err.code() == Some("22012"), "{err:?}");
        assert_eq!(d.await.unwrap().get::<i32>(0), 2);

        let insert = client
            .prepare("INSERT INTO t VALUES ($1, $2)")
            .await
            .unwrap();
        assert_eq!(
            client.execute(&insert, &[&1, &"フレーム"]).await.unwrap(),
            1
        );
        assert_eq!(
            client.execute(&insert, &[&2, &None::<&str>]).await.unwrap(),
            1
        );
        let err = client.execute(&insert, &[&1, &"dup"]).await.unwrap_err();
        assert_eq!(err.code(), Some("23505"));
        let err = client.execute(&insert, &[&3i64, &"x"]).await.unwrap_err();
        assert!(err.is_encode(), "int8 for int4: {err:?}");
        let err = client.execute(&insert, &[&3]).await.unwrap_err();
        assert!(err.is_encode(), "missing parameter: {err:?}");

        let select = client
            .prepare("SELECT id, v FROM t WHERE id = $1")
            .await
            .unwrap();
        let row = client.query_one(&select, &[&1]).await.unwrap();
        assert_eq!(row.get::<&str>(1), "フレーム");
        assert!(row.try_get::<i64>(0).unwrap_err().is_decode());
        assert!(row.try_get::<i32>(2).unwrap_err().is_decode());
        let row = client.query_one(&select, &[&2]).await.unwrap();
        assert_eq!(row.get::<Option<String>>(1), None);
        assert!(row.try_get::<String>(1).unwrap_err().is_decode());
        let err = client.query_one(&select, &[&9]).await.unwrap_err();
        assert!(err.is_row_count(), "{err:?}");
        assert!(client.query(&select, &[&9]).await.unwrap().is_empty());
    });
}

fn a_restart_fails_queries_in_flight_and_the_client_reconnects(driver: Driver) {
    let mut c = cluster();
    let config = app(&c);
    let rt = Runtime::with_driver(driver).unwrap();
    let client = rt.block_on(Client::connect(config)).unwrap();
    let sleep = rt
        .block_on(client.prepare_cached("SELECT pg_sleep($1::float8)"))
        .unwrap();
    // A query in flight when the server goes: it fails (closed), it does not hang.
    let in_flight = client.query(&sleep, &[&30.0f64]);
    let started = Instant::now();
    // The runtime keeps running while the server shuts down, as a worker's would: the
    // client's reconnect attempts are answered (refused) instead of left half-open.
    let stopped = AtomicBool::new(false);
    let stopper = std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(300));
            c.stop().unwrap();
            stopped.store(true, Ordering::Release);
        });
        rt.block_on(async {
            let err = in_flight.await.unwrap_err();
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{:?}",
                started.elapsed()
            );
            while !stopped.load(Ordering::Acquire) {
                hiver_runtime::time::sleep(Duration::from_millis(10)).await;
            }
            err
        })
    });
    assert!(
        stopper.is_closed() && stopper.is_unavailable(),
        "{stopper:?}"
    );
    // While the server is down: errors at once, never a hang.
    rt.block_on(async {
        hiver_runtime::time::sleep(Duration::from_millis(100)).await;
        let t = Instant::now();
        let err = client.prepare("SELECT 1").await.unwrap_err();
        assert!(err.is_unavailable(), "{err:?}");
        assert!(t.elapsed() < Duration::from_secs(6));
    });
    c.resume().unwrap();
    let back = rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match client.prepare_cached("SELECT 41 + $1::int4").await {
                Ok(s) => break client.query_one(&s, &[&1]).await.unwrap().get::<i32>(0),
                Err(e) if e.is_unavailable() && Instant::now() < deadline => {
                    hiver_runtime::time::sleep(Duration::from_millis(50)).await
                }
                Err(e) => panic!("no reconnect: {e:?}"),
            }
        }
    });
    assert_eq!(back, 42);
    // The statement from the lost connection is refused, and prepared again by the cache.
    let err = rt.block_on(client.query(&sleep, &[&0.0f64])).unwrap_err();
    assert!(err.is_closed(), "{err:?}");
    let again = rt
        .block_on(client.prepare_cached("SELECT pg_sleep($1::float8)"))
        .unwrap();
    assert!(rt.block_on(client.query(&again, &[&0.0f64])).is_ok());
}

fn a_long_pipeline_with_large_answers_neither_blocks_nor_reorders(driver: Driver) {
    let c = cluster();
    run(driver, async {
        let client = Client::connect(app(&c)).await.unwrap();
        let stmt = client
            .prepare("SELECT $1::int4, repeat(md5($1::text), 64)")
            .await
            .unwrap();
        // 20,000 answers of 2 KiB (40 MB) against ~1 MB of requests: far more than the
        // socket buffers hold in either direction.
        let futures: Vec<_> = (0..20_000i32)
            .map(|i| client.query_one(&stmt, &[&i]))
            .collect();
        for (i, row) in (0..20_000i32).zip(join_all(futures).await) {
            let row = row.unwrap();
            assert_eq!(row.get::<i32>(0), i);
            assert_eq!(row.get::<&str>(1).len(), 2048);
        }
    });
}

fn dropping_the_client_closes_its_connection(driver: Driver) {
    let c = cluster();
    let sessions = || {
        c.psql(
            "postgres",
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'hiver-pg'",
        )
        .unwrap()
    };
    let rt = Runtime::with_driver(driver).unwrap();
    let client = rt.block_on(Client::connect(app(&c))).unwrap();
    assert!(client.is_connected());
    assert_eq!(sessions(), "1");
    drop(client);
    // The runtime goes on running, as a worker's does (io_uring closes the socket from
    // the ring, at its next turn).
    rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(10);
        while sessions() != "0" {
            assert!(Instant::now() < deadline, "the session outlived its client");
            hiver_runtime::time::sleep(Duration::from_millis(20)).await;
        }
    });
}

fn a_query_past_the_query_timeout_fails_and_the_client_reconnects(driver: Driver) {
    let c = cluster();
    let config = app(&c).query_timeout(Duration::from_millis(300));
    run(driver, async {
        let client = Client::connect(config).await.unwrap();
        // A pipeline that keeps answering takes longer than the timeout in all, and passes.
        let step = client.prepare("SELECT pg_sleep(0.05)").await.unwrap();
        let steps: Vec<_> = (0..12).map(|_| client.query(&step, &[])).collect();
        assert!(join_all(steps).await.iter().all(Result::is_ok));
        let slow = client.prepare("SELECT pg_sleep(5)").await.unwrap();
        let t = Instant::now();
        let err = client.query(&slow, &[]).await.unwrap_err();
        assert!(err.is_timeout() && err.is_unavailable(), "{err:?}");
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
        let deadline = Instant::now() + Duration::from_secs(10);
        let one = loop {
            match client.prepare_cached("SELECT 1::int4").await {
                Ok(s) => break client.query_one(&s, &[]).await.unwrap().get::<i32>(0),
                Err(e) if e.is_unavailable() && Instant::now() < deadline => {
                    hiver_runtime::time::sleep(Duration::from_millis(20)).await
                }
                Err(e) => panic!("no reconnect: {e:?}"),
            }
        };
        assert_eq!(one, 1);
    });
}

#[test]
fn a_server_that_never_answers_is_a_connect_error_after_the_timeout() {
    // The kernel completes the handshake (backlog) but nobody ever reads or answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    for driver in [Driver::IoUring, Driver::Epoll] {
        let config = Config::new()
            .port(port)
            .connect_timeout(Duration::from_millis(300));
        let t = Instant::now();
        let err = run(driver, Client::connect(config)).unwrap_err();
        assert!(err.is_connect(), "{err:?}");
        assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    }
}

#[test]
fn connecting_to_a_closed_port_is_a_connect_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for driver in [Driver::IoUring, Driver::Epoll] {
        let err = run(driver, Client::connect(Config::new().port(port))).unwrap_err();
        assert!(err.is_connect() && err.is_unavailable(), "{err:?}");
    }
}
