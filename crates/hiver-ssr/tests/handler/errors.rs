//! Failed renders answer the client-side shell, are never cached, and broken
//! configurations fail at build with a typed error.
use std::time::{Duration, Instant};

use crate::capture;
use crate::support::{builder, fixtures, manifest, render_no, state};
use hiver::http::StatusCode;
use hiver::test::TestClient;
use hiver::trace::TraceLayer;
use hiver_ssr::serve::{PagePolicy, Ssr};
use tracing::Level;

use crate::every_engine::every_engine;

/// The 1-based line of the fixture bundle that holds `needle`.
fn app_line(needle: &str) -> usize {
    let source = std::fs::read_to_string(fixtures().join("app.js")).unwrap();
    source.lines().position(|l| l.contains(needle)).unwrap() + 1
}

every_engine! {
    fn js_error_serves_the_shell_uncached_without_details(e) {
        let ssr = builder(e)
            .page("/boom", PagePolicy::new().query(["q"]))
            .build()
            .unwrap();
        let client = TestClient::new(ssr.router());
        for round in 1..=2 {
            let res = client.get("/boom?q=1").send();
            assert_eq!(res.status(), 500);
            assert_eq!(res.header("x-hiver-render"), Some("shell"));
            assert_eq!(
                res.header("x-hiver-cache"),
                Some("miss"),
                "never served from cache"
            );
            assert_eq!(res.header("cache-control"), Some("private, no-store"));
            let body = res.text();
            assert!(
                !body.contains("kaboom") && !body.contains("app.js"),
                "{body}"
            );
            assert!(
                body.contains(r#"<div id="app"></div>"#),
                "empty root: {body}"
            );
            assert!(body.contains(r#"src="/static/assets/main-abc123.js""#));
            assert!(
                state(&body).contains(r#""q":"1""#),
                "state still hydrates: {body}"
            );
            assert_eq!(ssr.metrics().pool.js_errors, round);
        }
        assert_eq!(ssr.metrics().shells, 2);
    }

    fn a_failed_bypass_render_is_labelled_bypass(e) {
        let ssr = builder(e).page("/boom", PagePolicy::new()).build().unwrap();
        let client = TestClient::new(ssr.router());
        let res = client
            .get("/boom")
            .header("authorization", "Bearer x")
            .send();
        assert_eq!(res.status(), 500);
        assert_eq!(res.header("x-hiver-render"), Some("shell"));
        assert_eq!(res.header("x-hiver-cache"), Some("bypass"));
        let res = client.get("/boom").send();
        assert_eq!(res.header("x-hiver-cache"), Some("miss"));
        assert_eq!(ssr.metrics().shells, 2);
    }

    fn js_error_and_its_stack_go_to_the_log_not_to_the_user(e) {
        capture::install();
        let ssr = builder(e)
            .page("/boom", PagePolicy::new().query(["q"]))
            .build()
            .unwrap();
        let client = TestClient::new(ssr.router().layer(TraceLayer::new()));
        let id = format!("js-error-{}-{}", e.name(), std::process::id());
        let res = client.get("/boom?q=logged").header("x-request-id", id.as_str()).send();
        assert_eq!(res.status(), 500);
        assert_eq!(res.header("x-hiver-render"), Some("shell"));

        let request = capture::spans()
            .into_iter()
            .find(|s| s.name == "request" && s.field("request_id") == Some(&id))
            .expect("the request's span was recorded");
        let logged: Vec<_> = capture::events()
            .into_iter()
            .filter(|ev| ev.level == Level::ERROR && ev.scope.contains(&request.seq))
            .collect();
        assert_eq!(logged.len(), 1, "one error line for the failed render: {logged:?}");
        let line = &logged[0];
        assert_eq!(line.field("route"), Some("/boom"), "{line:?}");
        assert!(line.field("page").unwrap().contains("/boom?q=logged"), "{line:?}");
        let error = line.field("error").unwrap();
        assert!(error.contains("Error: kaboom secret detail"), "{line:?}");
        let stack = line.field("js_stack").unwrap();
        let frame = format!("app.js:{}", app_line("kaboom"));
        assert!(stack.contains(&frame), "the stack names {frame}: {line:?}");

        let body = res.text();
        for detail in ["kaboom", "app.js", stack.trim()] {
            assert!(!body.contains(detail), "{detail:?} reached the user: {body}");
        }
        for (name, value) in res.headers() {
            let value = value.to_str().unwrap_or("");
            assert!(!value.contains("kaboom"), "{name}: {value}");
        }
    }

    fn error_status_is_configurable(e) {
        let ssr = builder(e)
            .page("/boom", PagePolicy::new().error_status(StatusCode::OK))
            .build()
            .unwrap();
        let res = TestClient::new(ssr.router()).get("/boom").send();
        assert_eq!(res.status(), 200);
        assert_eq!(res.header("x-hiver-render"), Some("shell"));
    }

    fn endless_loop_gets_the_shell_after_the_time_limit_then_pages_render(e) {
        let ssr = builder(e)
            .page("/loop", PagePolicy::new())
            .page("/", PagePolicy::new())
            .build()
            .unwrap();
        let client = TestClient::new(ssr.router());
        let started = Instant::now();
        let res = client.get("/loop").send();
        let took = started.elapsed();
        assert_eq!(res.status(), 500);
        assert_eq!(res.header("x-hiver-render"), Some("shell"));
        assert!(
            took >= Duration::from_millis(250) && took < Duration::from_secs(5),
            "{took:?}"
        );
        assert_eq!(ssr.metrics().pool.timeouts, 1);
        let next = client.get("/").send();
        assert_eq!(next.status(), 200);
        assert!(next.text().contains("VERSION v1"));
    }

    fn timed_out_render_is_never_cached(e) {
        // A long TTL: had the failure been stored, the second request would be a hit.
        let ssr = builder(e)
            .page("/loop", PagePolicy::new().ttl(Duration::from_secs(300)))
            .build()
            .unwrap();
        let client = TestClient::new(ssr.router());
        for round in 1..=2 {
            let started = Instant::now();
            let res = client.get("/loop").send();
            let took = started.elapsed();
            assert_eq!(res.status(), 500);
            assert_eq!(res.header("x-hiver-render"), Some("shell"));
            assert_eq!(res.header("x-hiver-cache"), Some("miss"), "round {round}");
            assert_eq!(res.header("cache-control"), Some("private, no-store"));
            assert!(
                res.text().contains(r#"<div id="app"></div>"#),
                "the empty shell"
            );
            assert!(took >= Duration::from_millis(250), "rendered again: {took:?}");
            let metrics = ssr.metrics();
            assert_eq!(metrics.pool.timeouts, round);
            assert_eq!(metrics.pool.renders, round, "one render per request");
            assert_eq!(metrics.cache.misses, round);
            assert_eq!(metrics.cache.errors_not_cached, round);
            assert_eq!(metrics.cache.entries, 0, "nothing stored");
            assert_eq!(metrics.shells, round);
        }
    }

    fn full_queue_answers_503_with_the_shell(e) {
        // `/slow` spins 300 ms: a budget of exactly that (the fixture's) would race it.
        let ssr = builder(e)
            .time_limit(Duration::from_secs(2))
            .queue_capacity(1)
            .page("/slow", PagePolicy::new().query(["n"]))
            .build()
            .unwrap();
        let server = hiver::test::TestServer::start(ssr.router());
        // One render runs, one waits; the rest find the queue full.
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..6)
                .map(|n| {
                    let server = &server;
                    s.spawn(move || server.get(&format!("/slow?n={n}")).send().status().as_u16())
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(statuses.contains(&503), "{statuses:?}");
        assert!(statuses.contains(&200), "{statuses:?}");
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 503),
            "{statuses:?}"
        );
        assert!(ssr.metrics().pool.queue_full_rejections >= 1);
    }

    fn broken_bundle_fails_the_build_with_file_and_line(e) {
        let err = builder(e)
            .bundle(fixtures().join("broken.js"))
            .page("/", PagePolicy::new())
            .build()
            .unwrap_err();
        assert!(err.is_bundle(), "{err}");
        assert!(err.file().unwrap().ends_with("broken.js"), "{err}");
        assert_eq!(err.line(), Some(3), "{err}");
        assert!(err.to_string().contains("broken.js:3"), "{err}");
    }

    fn missing_bundle_manifest_entry_and_asset_fail_the_build(e) {
        let err = builder(e)
            .bundle(fixtures().join("nope.js"))
            .build()
            .unwrap_err();
        assert!(
            err.is_bundle() && err.bundle_error().unwrap().is_io(),
            "{err}"
        );
        let err = builder(e)
            .manifest(manifest(), "src/other.js")
            .build()
            .unwrap_err();
        assert!(err.is_manifest(), "{err}");
        let err = builder(e)
            .manifest(fixtures().join("app.js"), "src/main.js")
            .build()
            .unwrap_err();
        assert!(err.is_manifest() && err.line().is_some(), "{err}");
        let err = builder(e).dist_dir(fixtures()).build().unwrap_err();
        assert!(err.is_asset(), "{err}");
        assert!(
            err.file().unwrap().starts_with(fixtures().join("assets")),
            "{err}"
        );
        let err = Ssr::builder().build().unwrap_err();
        assert!(err.is_config(), "{err}");
    }

    fn tags_must_name_route_parameters(e) {
        let err = builder(e)
            .page("/p/{id}", PagePolicy::new().tag("p:{slug}"))
            .build()
            .unwrap_err();
        assert!(err.is_config() && err.to_string().contains("slug"), "{err}");
    }

    fn stale_page_stands_in_when_a_refresh_fails(e) {
        // Seed the cache with a good render, then make every later render throw.
        let dir = std::env::temp_dir().join(format!("hiver-ssr-sie-{e:?}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bundle = dir.join("app.js");
        std::fs::copy(fixtures().join("app.js"), &bundle).unwrap();
        let ssr = builder(e)
            .bundle(&bundle)
            .page(
                "/",
                PagePolicy::new()
                    .ttl(Duration::from_millis(100))
                    .stale_if_error(Duration::from_secs(30)),
            )
            .build()
            .unwrap();
        let client = TestClient::new(ssr.router());
        let first = client.get("/").send().text();
        assert_eq!(render_no(&first), 1);
        std::fs::write(
            &bundle,
            "globalThis.render = () => { throw new Error('down'); };",
        )
        .unwrap();
        // `Ssr::reload` would invalidate the seeded page; swapping the pool's bundle alone
        // keeps it, so the failing refresh has a stale page to fall back on.
        ssr.pool().reload_file(&bundle).unwrap();
        std::thread::sleep(Duration::from_millis(150));
        let res = client.get("/").send();
        assert_eq!(res.status(), 200);
        assert_eq!(res.header("x-hiver-cache"), Some("stale-on-error"));
        assert_eq!(res.text(), first);
        std::fs::remove_dir_all(&dir).ok();
    }
}
