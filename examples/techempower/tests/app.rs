//! The app over real sockets against a throwaway PostgreSQL cluster loaded with
//! TechEmpower's create-postgres.sql, on both I/O drivers. Without PostgreSQL installed these
//! tests show as ignored (see build.rs).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hiver::Driver;
use hiver::test::{TestResponse, TestServer};
use hiver_pg::test_cluster::TestCluster;
use serde::Deserialize;

macro_rules! both_drivers {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[test]
            #[cfg_attr(no_postgres, ignore = "no PostgreSQL: install it (apt-get install postgresql) to run this test")]
            fn io_uring() {
                super::$case(hiver::Driver::IoUring)
            }
            #[test]
            #[cfg_attr(no_postgres, ignore = "no PostgreSQL: install it (apt-get install postgresql) to run this test")]
            fn epoll() {
                super::$case(hiver::Driver::Epoll)
            }
        }
    )*};
}

both_drivers! {
    every_endpoint_answers_by_techempowers_rules,
    each_row_is_its_own_query_and_updates_are_written_back,
    fortunes_escape_a_script_inserted_at_run_time,
    a_database_restart_under_load_gives_503s_then_recovers,
    each_worker_opens_its_connections_and_uses_them_in_turn,
}

const SCHEMA: &str = include_str!("../../../scripts/postgres/create-postgres.sql");

#[derive(Debug, Deserialize, PartialEq, Eq, Clone, Copy)]
struct World {
    id: i32,
    #[serde(rename = "randomNumber")]
    random_number: i32,
}

/// A cluster set up as scripts/postgres/start.sh sets one up, and the app serving it with
/// one connection per worker.
fn start(driver: Driver) -> (TestCluster, TestServer) {
    start_with(driver, 1)
}

fn start_with(driver: Driver, connections: usize) -> (TestCluster, TestServer) {
    let c = TestCluster::start().expect("throwaway cluster");
    c.psql(
        "postgres",
        "CREATE ROLE benchmarkdbuser LOGIN PASSWORD 'benchmarkdbpass'",
    )
    .unwrap();
    c.psql(
        "postgres",
        "CREATE DATABASE hello_world OWNER benchmarkdbuser ENCODING 'UTF8' TEMPLATE template0",
    )
    .unwrap();
    c.psql("hello_world", SCHEMA).unwrap();
    let database = c.config("benchmarkdbuser", "benchmarkdbpass", "hello_world");
    let settings = techempower::Settings {
        database,
        connections,
    };
    let server = TestServer::with_driver(techempower::app(settings), driver);
    (c, server)
}

fn get(server: &TestServer, path: &str) -> TestResponse {
    let res = server.get(path).send();
    check_headers(&res, path);
    res
}

/// Server, Date and a Content-Length that matches the body, on every answer.
fn check_headers(res: &TestResponse, path: &str) {
    assert_eq!(res.header("server"), Some("hiver"), "{path}");
    let date = res
        .header("date")
        .unwrap_or_else(|| panic!("{path}: no Date"));
    assert!(date.ends_with(" GMT"), "{path}: {date}");
    let len = res
        .header("content-length")
        .unwrap_or_else(|| panic!("{path}: no Content-Length"));
    assert_eq!(len.parse::<usize>().unwrap(), res.bytes().len(), "{path}");
}

fn json_ok<T: serde::de::DeserializeOwned>(server: &TestServer, path: &str) -> T {
    let res = get(server, path);
    assert_eq!(res.status(), 200, "{path}: {}", res.text());
    assert_eq!(
        res.header("content-type"),
        Some("application/json"),
        "{path}"
    );
    res.json()
}

fn db_world(c: &TestCluster, id: i32) -> i32 {
    let n = c
        .psql(
            "hello_world",
            &format!("SELECT randomnumber FROM world WHERE id = {id}"),
        )
        .unwrap();
    n.parse().unwrap()
}

fn check_worlds(worlds: &[World], n: usize, path: &str) {
    assert_eq!(worlds.len(), n, "{path}");
    for w in worlds {
        assert!(
            (1..=10_000).contains(&w.id) && (1..=10_000).contains(&w.random_number),
            "{path}: {w:?}"
        );
    }
}

fn every_endpoint_answers_by_techempowers_rules(driver: Driver) {
    let (c, server) = start(driver);
    let res = get(&server, "/plaintext");
    assert_eq!(
        (res.status().as_u16(), res.text().as_str()),
        (200, "Hello, World!")
    );
    assert!(
        res.header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    let v: serde_json::Value = json_ok(&server, "/json");
    assert_eq!(v, serde_json::json!({"message": "Hello, World!"}));

    let w: World = json_ok(&server, "/db");
    check_worlds(&[w], 1, "/db");
    assert_eq!(
        w.random_number,
        db_world(&c, w.id),
        "/db returns the row as stored"
    );

    for (path, n) in [
        ("/queries?queries=20", 20),
        ("/queries?queries=1", 1),
        ("/queries?queries=500", 500),
        ("/queries?queries=501", 500),
        ("/queries?queries=0", 1),
        ("/queries?queries=-1", 1),
        ("/queries?queries=foo", 1),
        ("/queries?queries=", 1),
        ("/queries", 1),
    ] {
        let worlds: Vec<World> = json_ok(&server, path);
        check_worlds(&worlds, n, path);
    }
    for (path, n) in [
        ("/cached-queries?count=10", 10),
        ("/cached-queries?count=0", 1),
        ("/cached-queries?count=bar", 1),
        ("/cached-queries?count=1000", 500),
        ("/cached-queries", 1),
    ] {
        let worlds: Vec<World> = json_ok(&server, path);
        check_worlds(&worlds, n, path);
        for w in &worlds[..worlds.len().min(5)] {
            assert_eq!(
                w.random_number,
                db_world(&c, w.id),
                "{path}: the cache holds the table"
            );
        }
    }
    for (path, n) in [
        ("/updates?queries=5", 5),
        ("/updates?queries=foo", 1),
        ("/updates?queries=600", 500),
    ] {
        let worlds: Vec<World> = json_ok(&server, path);
        check_worlds(&worlds, n, path);
    }

    let res = get(&server, "/fortunes");
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    let expected = "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>\
        <tr><td>11</td><td>&lt;script&gt;alert(&quot;This should not be displayed in a browser alert box.&quot;);&lt;/script&gt;</td></tr>\
        <tr><td>4</td><td>A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1</td></tr>\
        <tr><td>5</td><td>A computer program does what you tell it to do, not what you want it to do.</td></tr>\
        <tr><td>2</td><td>A computer scientist is someone who fixes things that aren&#x27;t broken.</td></tr>\
        <tr><td>8</td><td>A list is only as strong as its weakest link. — Donald Knuth</td></tr>\
        <tr><td>0</td><td>Additional fortune added at request time.</td></tr>\
        <tr><td>3</td><td>After enough decimal places, nobody gives a damn.</td></tr>\
        <tr><td>7</td><td>Any program that runs right is obsolete.</td></tr>\
        <tr><td>10</td><td>Computers make very fast, very accurate mistakes.</td></tr>\
        <tr><td>6</td><td>Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen</td></tr>\
        <tr><td>9</td><td>Feature: A bug with seniority.</td></tr>\
        <tr><td>1</td><td>fortune: No such file or directory</td></tr>\
        <tr><td>12</td><td>フレームワークのベンチマーク</td></tr>\
        </table></body></html>";
    assert_eq!(res.text(), expected);

    let res = get(&server, "/nowhere");
    assert_eq!(res.status(), 404);
}

/// pg_stat_statements' count of calls per statement, since the last reset.
fn calls(c: &TestCluster) -> HashMap<String, i64> {
    c.psql(
        "hello_world",
        "SELECT query, calls FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid \
         WHERE d.datname = 'hello_world' AND query NOT LIKE '%pg_stat_statements%'",
    )
    .unwrap()
    .lines()
    .filter_map(|l| l.rsplit_once('|'))
    .map(|(q, n)| (q.to_owned(), n.parse().unwrap()))
    .collect()
}

fn reset(c: &TestCluster) {
    c.psql("hello_world", "SELECT pg_stat_statements_reset()")
        .unwrap();
}

fn each_row_is_its_own_query_and_updates_are_written_back(driver: Driver) {
    let (c, server) = start(driver);
    let select = "SELECT id, randomnumber FROM world WHERE id = $1";
    // Warm both workers' connections and statement caches, then count from zero.
    for _ in 0..8 {
        json_ok::<World>(&server, "/db");
        json_ok::<Vec<World>>(&server, "/updates?queries=3");
        json_ok::<Vec<World>>(&server, "/cached-queries?count=2");
    }
    reset(&c);
    json_ok::<Vec<World>>(&server, "/queries?queries=20");
    assert_eq!(calls(&c).get(select), Some(&20), "{:?}", calls(&c));
    reset(&c);
    json_ok::<Vec<World>>(&server, "/queries?queries=900");
    assert_eq!(calls(&c).get(select), Some(&500));
    reset(&c);
    json_ok::<Vec<World>>(&server, "/cached-queries?count=50");
    assert_eq!(
        calls(&c),
        HashMap::new(),
        "cached queries do not reach the database"
    );
    reset(&c);
    let page = get(&server, "/fortunes");
    assert_eq!(page.status(), 200);
    assert_eq!(calls(&c).get("SELECT id, message FROM fortune"), Some(&1));

    reset(&c);
    let updated: Vec<World> = json_ok(&server, "/updates?queries=15");
    let counted = calls(&c);
    assert_eq!(counted.get(select), Some(&15), "{counted:?}");
    let update: Vec<_> = counted
        .iter()
        .filter(|(q, _)| q.starts_with("UPDATE world"))
        .collect();
    assert_eq!(update.len(), 1, "{counted:?}");
    assert_eq!(*update[0].1, 1, "one batched UPDATE");
    // What the answer says is what the table holds (for ids that came up once).
    let mut seen = HashMap::new();
    for w in &updated {
        *seen.entry(w.id).or_insert(0) += 1;
    }
    for w in updated.iter().filter(|w| seen[&w.id] == 1) {
        assert_eq!(db_world(&c, w.id), w.random_number, "{w:?}");
    }
}

fn fortunes_escape_a_script_inserted_at_run_time(driver: Driver) {
    let (c, server) = start(driver);
    c.psql(
        "hello_world",
        r#"INSERT INTO fortune VALUES (13, '<script>alert(''x'')</script> & "q" <b>bold</b>')"#,
    )
    .unwrap();
    let res = get(&server, "/fortunes");
    assert_eq!(res.status(), 200);
    let html = res.text();
    assert!(
        html.contains(
            "<tr><td>13</td><td>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;q&quot; &lt;b&gt;bold&lt;/b&gt;</td></tr>"
        ),
        "{html}"
    );
    assert!(!html.contains("<script") && !html.contains("<b>"), "{html}");
    assert_eq!(
        html.matches("<tr>").count(),
        1 + 12 + 1 + 1,
        "header, 12 rows, the added one, 13"
    );
}

fn each_worker_opens_its_connections_and_uses_them_in_turn(driver: Driver) {
    let (c, server) = start_with(driver, 3);
    // 40 connections: the kernel spreads them over both workers (a 2^-39 chance it does not).
    for _ in 0..40 {
        let worlds: Vec<World> = json_ok(&server, "/queries?queries=5");
        check_worlds(&worlds, 5, "/queries?queries=5");
    }
    let sessions = |filter: &str| {
        c.psql(
            "postgres",
            &format!(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE application_name = 'hiver-pg' AND datname = 'hello_world' {filter}"
            ),
        )
        .unwrap()
    };
    assert_eq!(sessions(""), "6", "2 workers x 3 connections");
    // Each of the six served some of the 40 requests: its last query is the world select.
    assert_eq!(
        sessions("AND query = 'SELECT id, randomnumber FROM world WHERE id = $1'"),
        "6"
    );
}

fn a_database_restart_under_load_gives_503s_then_recovers(driver: Driver) {
    let (mut c, server) = start(driver);
    let server = Arc::new(server);
    let done = Arc::new(AtomicBool::new(false));
    let oks: Arc<[AtomicUsize; 4]> = Arc::new(Default::default());
    let load: Vec<_> = (0..4)
        .map(|i| {
            let (server, done, oks) = (server.clone(), done.clone(), oks.clone());
            std::thread::spawn(move || {
                let path = [
                    "/db",
                    "/queries?queries=10",
                    "/updates?queries=5",
                    "/fortunes",
                ][i];
                let mut seen = Vec::new();
                while !done.load(Ordering::Acquire) {
                    let t = Instant::now();
                    // send() panics when no answer comes within 10 s: a hang fails the test.
                    let res = server.get(path).send();
                    check_headers(&res, path);
                    if res.status() == 200 {
                        oks[i].fetch_add(1, Ordering::AcqRel);
                    }
                    seen.push((Instant::now(), res.status().as_u16(), t.elapsed()));
                }
                seen
            })
        })
        .collect();
    // Every thread has been served before the database goes, and again after it is back.
    let served_since = |before: [usize; 4]| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while (0..4).any(|i| oks[i].load(Ordering::Acquire) <= before[i]) {
            assert!(Instant::now() < deadline, "no recovery in 30 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    served_since([0; 4]);
    let stopping = Instant::now();
    c.stop().unwrap();
    std::thread::sleep(Duration::from_millis(700));
    c.resume().unwrap();
    let resumed = Instant::now();
    served_since(std::array::from_fn(|i| oks[i].load(Ordering::Acquire) + 2));
    done.store(true, Ordering::Release);
    for (i, thread) in load.into_iter().enumerate() {
        let seen = thread.join().expect("a load thread failed");
        let ok_before = seen
            .iter()
            .filter(|(t, s, _)| *t < stopping && *s == 200)
            .count();
        let unavailable = seen.iter().filter(|(_, s, _)| *s == 503).count();
        let ok_after = seen
            .iter()
            .filter(|(t, s, _)| *t > resumed && *s == 200)
            .count();
        let other: Vec<_> = seen
            .iter()
            .filter(|(_, s, _)| ![200, 503].contains(s))
            .collect();
        let slowest = seen.iter().map(|(_, _, d)| *d).max().unwrap();
        eprintln!(
            "thread {i}: {ok_before} ok, {unavailable} 503, {ok_after} ok after, slowest {slowest:?}, total {}",
            seen.len()
        );
        assert!(
            ok_before > 0 && unavailable > 0 && ok_after > 2,
            "thread {i}: {ok_before} ok, {unavailable} 503, {ok_after} ok after"
        );
        assert!(other.is_empty(), "thread {i}: only 200 and 503: {other:?}");
        assert!(
            slowest < Duration::from_secs(6),
            "thread {i}: slowest answer {slowest:?}"
        );
    }
    // Recovered everywhere: each new connection may land on either worker, and a worker
    // whose client is still in its reconnect backoff answers 503, so wait until 20 answers
    // in a row are 200 (within 10 s) rather than judging each thread's last answer.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut in_a_row = 0;
    while in_a_row < 20 {
        assert!(
            Instant::now() < deadline,
            "not every worker recovered in 10 s"
        );
        let res = server.get("/db").send();
        in_a_row = if res.status() == 200 { in_a_row + 1 } else { 0 };
    }
}
