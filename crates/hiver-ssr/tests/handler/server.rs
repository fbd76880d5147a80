//! Multi-worker behaviour on a real server (hiver's TestServer: 2 workers, real sockets,
//! one connection per request, so the kernel spreads requests over both workers).
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crate::support::{builder, fixtures, render_no};
use hiver::test::TestServer;
use hiver_ssr::serve::PagePolicy;

use crate::every_engine::every_engine;

/// `n` requests over as many connections, from 4 threads; returns the bodies.
fn hammer(server: &TestServer, path: &str, n: usize) -> Vec<String> {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(move || {
                    (0..n / 4)
                        .map(|_| {
                            let res = server.get(path).send();
                            assert_eq!(res.status(), 200);
                            res.text()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

every_engine! {
    fn fifty_concurrent_misses_render_once(e) {
        // `/slow` spins 300 ms: a budget of exactly that (the fixture's) would race it.
        let ssr = builder(e)
            .time_limit(Duration::from_secs(2))
            .page("/slow", PagePolicy::new())
            .build()
            .unwrap();
        let server = TestServer::start(ssr.router());
        let responses: Vec<(u16, String, String)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..50)
                .map(|_| {
                    let server = &server;
                    s.spawn(move || {
                        let res = server.get("/slow").send();
                        let outcome = res.header("x-hiver-cache").unwrap_or("").to_owned();
                        (res.status().as_u16(), outcome, res.text())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(responses.iter().all(|(status, _, _)| *status == 200));
        assert!(responses.iter().all(|(_, _, body)| render_no(body) == 1));
        assert_eq!(ssr.metrics().pool.renders, 1);
        assert_eq!(ssr.metrics().cache.renders, 1);
        let misses = responses.iter().filter(|(_, o, _)| o == "miss").count();
        assert_eq!(misses, 1, "exactly one request rendered");
    }

    fn stale_page_is_served_once_while_it_refreshes(e) {
        let policy = PagePolicy::new()
            .ttl(Duration::from_millis(300))
            .swr(Duration::from_secs(30));
        let ssr = builder(e).page("/", policy).build().unwrap();
        let server = TestServer::start(ssr.router());
        let first = server.get("/").send();
        assert_eq!(first.header("x-hiver-cache"), Some("miss"));
        assert_eq!(render_no(&first.text()), 1);
        std::thread::sleep(Duration::from_millis(400));
        let stale = server.get("/").send();
        assert_eq!(stale.header("x-hiver-cache"), Some("stale"));
        assert_eq!(render_no(&stale.text()), 1, "the stale page, at once");
        // The refresh runs in the background on the worker that served the stale page.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            let res = server.get("/").send();
            let outcome = res.header("x-hiver-cache").unwrap_or("").to_owned();
            let n = render_no(&res.text());
            if n == 2 {
                assert!(outcome.starts_with("hit"), "{outcome}");
                break;
            }
            assert_eq!(outcome, "stale", "until the refresh lands, the stale page");
            assert!(std::time::Instant::now() < deadline, "refresh never landed");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(
            ssr.metrics().pool.renders,
            2,
            "one refresh, not one per request"
        );
    }

    fn purge_by_tag_reaches_every_worker(e) {
        let policy = PagePolicy::new()
            .ttl(Duration::from_secs(300))
            .tag("product:{id}")
            .tag("catalog");
        let ssr = builder(e).page("/product/{id}", policy).build().unwrap();
        let server = TestServer::start(ssr.router());
        assert_eq!(render_no(&server.get("/product/1").send().text()), 1);
        let before = hammer(&server, "/product/1", 40);
        assert!(before.iter().all(|b| render_no(b) == 1));
        let other = render_no(&server.get("/product/2").send().text());
        // Both workers' L1s now hold /product/1.
        let hits = ssr.metrics().cache;
        assert_eq!(hits.hits_l1 + hits.hits_l2, 40, "{hits:?}");
        assert!(
            hits.hits_l2 >= 1,
            "the second worker filled its L1 from L2: {hits:?}"
        );
        assert_eq!(ssr.purge_tag("product:1"), 1);
        let after = hammer(&server, "/product/1", 40);
        let numbers: Vec<u64> = after.iter().map(|b| render_no(b)).collect();
        assert!(numbers.iter().all(|n| *n == other + 1), "{numbers:?}");
        // The untouched page survives the purge.
        assert_eq!(render_no(&server.get("/product/2").send().text()), other);
        assert_eq!(ssr.purge_tag("catalog"), 2);
        let n = render_no(&server.get("/product/2").send().text());
        assert_eq!(n, other + 2);
    }

    fn purge_by_path_prefix_and_all(e) {
        let ssr = builder(e)
            .page("/blog/{slug}", PagePolicy::new())
            .page("/about", PagePolicy::new())
            .build()
            .unwrap();
        let server = TestServer::start(ssr.router());
        for path in ["/blog/a", "/blog/b", "/about"] {
            server.get(path).send();
        }
        assert_eq!(ssr.purge_path("/blog/a").unwrap(), 1);
        assert_eq!(
            server.get("/blog/a").send().header("x-hiver-cache"),
            Some("miss")
        );
        assert_eq!(ssr.purge_prefix("/blog").unwrap(), 2);
        assert_eq!(
            server.get("/blog/b").send().header("x-hiver-cache"),
            Some("miss")
        );
        ssr.purge_all();
        assert_eq!(
            server.get("/about").send().header("x-hiver-cache"),
            Some("miss")
        );
        assert!(ssr.purge_path("relative").is_err());
    }

    fn reload_under_load_fails_no_request(e) {
        let dir = std::env::temp_dir().join(format!("hiver-ssr-reload-{e:?}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bundle = dir.join("app.js");
        let source = std::fs::read_to_string(fixtures().join("app.js")).unwrap();
        std::fs::write(&bundle, &source).unwrap();
        let ssr = builder(e)
            .bundle(&bundle)
            .threads(2)
            .page("/", PagePolicy::new())
            .page("/p/{id}", PagePolicy::new())
            .build()
            .unwrap();
        let server = TestServer::start(ssr.router());
        let stop = AtomicBool::new(false);
        let served = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for t in 0..4 {
                let (server, stop, served) = (&server, &stop, &served);
                s.spawn(move || {
                    let mut i = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let path = if i % 2 == 0 {
                            "/".to_owned()
                        } else {
                            format!("/p/{}", (t * 7 + i) % 5)
                        };
                        let res = server.get(&path).send();
                        assert_eq!(res.status(), 200, "{path}");
                        assert!(res.text().contains("<h1>VERSION v"), "{path}");
                        served.fetch_add(1, Ordering::Relaxed);
                        i += 1;
                    }
                });
            }
            for version in 2..=6 {
                std::thread::sleep(Duration::from_millis(60));
                std::fs::write(
                    &bundle,
                    source.replace("VERSION v1", &format!("VERSION v{version}")),
                )
                .unwrap();
                let generation = ssr.reload().unwrap();
                assert_eq!(generation, version);
            }
            std::thread::sleep(Duration::from_millis(60));
            stop.store(true, Ordering::Relaxed);
        });
        assert!(served.load(Ordering::Relaxed) > 20, "the load really ran");
        for path in ["/", "/p/1", "/p/3"] {
            let body = server.get(path).send().text();
            assert!(body.contains("<h1>VERSION v6</h1>"), "{path}: {body}");
        }
        assert_eq!(ssr.metrics().generation, 6);
        std::fs::remove_dir_all(&dir).ok();
    }

    fn watch_reloads_when_the_bundle_changes(e) {
        let dir = std::env::temp_dir().join(format!("hiver-ssr-watch-{e:?}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bundle = dir.join("app.js");
        let source = std::fs::read_to_string(fixtures().join("app.js")).unwrap();
        std::fs::write(&bundle, &source).unwrap();
        let ssr = builder(e)
            .bundle(&bundle)
            .page("/", PagePolicy::new())
            .build()
            .unwrap();
        let server = TestServer::start(ssr.router());
        assert!(server.get("/").send().text().contains("VERSION v1"));
        let watcher = ssr.watch(Duration::from_millis(20)).unwrap();
        // Some filesystems keep mtimes in whole seconds: make sure the change is visible.
        std::thread::sleep(Duration::from_millis(1100));
        std::fs::write(&bundle, source.replace("VERSION v1", "VERSION v9")).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !server.get("/").send().text().contains("VERSION v9") {
            assert!(
                std::time::Instant::now() < deadline,
                "watcher never reloaded"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(watcher);
        std::fs::remove_dir_all(&dir).ok();
    }
}

/// A cached page over 16 KiB goes out from its in-memory file (`sendfile` on both drivers)
/// after the render that stored it went out from memory: the same bytes and length every
/// time, on both workers (a hit in this worker's L1 or in the shared L2).
#[test]
fn a_big_cached_page_is_sent_whole_from_its_file_on_both_drivers() {
    for driver in [hiver_runtime::Driver::IoUring, hiver_runtime::Driver::Epoll] {
        let ssr = builder(crate::every_engine::Backend::QuickJs)
            .page("/big", PagePolicy::new())
            .build()
            .unwrap();
        let server = TestServer::with_driver(ssr.router(), driver);
        let first = server.get("/big").send();
        assert_eq!(first.header("x-hiver-cache"), Some("miss"), "{driver:?}");
        let page = first.text();
        assert!(page.len() > 32_000, "{}", page.len());
        for _ in 0..8 {
            let hit = server.get("/big").send();
            let outcome = hit.header("x-hiver-cache").unwrap_or("").to_owned();
            assert!(outcome.starts_with("hit-"), "{driver:?}: {outcome}");
            assert_eq!(
                hit.header("content-length"),
                Some(page.len().to_string().as_str())
            );
            assert!(
                hit.text() == page,
                "{driver:?}: a hit's body differs from the render's"
            );
        }
        assert_eq!(ssr.metrics().pool.renders, 1, "{driver:?}");
    }
}
