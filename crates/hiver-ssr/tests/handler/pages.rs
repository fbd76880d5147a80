//! Page routes through hiver's in-process TestClient: keys, headers, encodings, bypass.
use crate::support::{brotli, builder, gunzip, render_no, state};
use hiver::Router;
use hiver::routing::get;
use hiver::test::TestClient;
use hiver_ssr::serve::{PagePolicy, Ssr};
use serde_json::json;

use crate::every_engine::every_engine;

fn client(ssr: &Ssr) -> TestClient {
    let app = Router::new()
        .route("/api/ping", get(|| async { "pong" }))
        .merge(ssr.router());
    TestClient::new(app)
}

every_engine! {
    fn page_is_rendered_into_the_document_then_cached(e) {
        let ssr = builder(e)
            .page("/product/{id}", PagePolicy::new())
            .build()
            .unwrap();
        let client = client(&ssr);
        assert_eq!(client.get("/api/ping").send().text(), "pong");
        let first = client.get("/product/7").send();
        assert_eq!(first.status(), 200);
        assert_eq!(first.header("x-hiver-cache"), Some("miss"));
        assert_eq!(
            first.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(first.header("cache-control"), Some("public, max-age=60"));
        assert_eq!(first.header("vary"), Some("accept-encoding"));
        assert!(first.header("etag").is_some());
        let body = first.text();
        assert!(body.starts_with("<!doctype html><html lang=\"en\">"));
        assert!(body.contains("<title>fixture</title>"));
        assert!(
            body.contains(r#"<script type="module" src="/static/assets/main-abc123.js"></script>"#)
        );
        assert!(body.contains(r#"<div id="app"><main><h1>VERSION v1</h1>"#));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(state(&body)).unwrap(),
            json!({"path": "/product/7", "query": {}, "params": {"id": "7"}})
        );
        let second = client.get("/product/7").send();
        assert_eq!(second.header("x-hiver-cache"), Some("hit-l1"));
        assert_eq!(second.text(), body);
        assert_eq!(render_no(&client.get("/product/8").send().text()), 2);
    }

    fn declared_query_splits_the_cache_and_undeclared_does_not(e) {
        let ssr = builder(e)
            .page("/list", PagePolicy::new().query(["page"]))
            .build()
            .unwrap();
        let client = client(&ssr);
        let one = client.get("/list?page=1&utm_source=a").send().text();
        let shared = client.get("/list?utm_source=b&page=1").send();
        assert_eq!(shared.header("x-hiver-cache"), Some("hit-l1"));
        assert_eq!(shared.text(), one);
        assert!(
            one.contains(r#"<p id="url">/list?page=1</p>"#),
            "render sees the declared query only"
        );
        let two = client.get("/list?page=2").send();
        assert_eq!(two.header("x-hiver-cache"), Some("miss"));
        assert_ne!(render_no(&two.text()), render_no(&one));
        assert!(!one.contains("utm_source"));
    }

    fn props_from_a_header_give_different_pages(e) {
        let policy =
            PagePolicy::new().props(|req| json!({ "theme": req.header("x-theme").unwrap_or("light") }));
        let ssr = builder(e).page("/", policy).build().unwrap();
        let client = client(&ssr);
        let dark = client.get("/").header("x-theme", "dark").send().text();
        let light = client.get("/").send().text();
        assert!(dark.contains(r#"<pre id="props">{"theme":"dark"}</pre>"#));
        assert_eq!(state(&dark), r#"{"theme":"dark"}"#);
        assert_eq!(state(&light), r#"{"theme":"light"}"#);
        assert_ne!(render_no(&dark), render_no(&light));
        let again = client.get("/").header("x-theme", "dark").send();
        assert_eq!(again.header("x-hiver-cache"), Some("hit-l1"));
        assert_eq!(again.text(), dark);
    }

    fn variant_splits_the_cache(e) {
        let policy =
            PagePolicy::new().variant(|req| req.header("accept-language").unwrap_or("en").to_owned());
        let ssr = builder(e).page("/", policy).build().unwrap();
        let client = client(&ssr);
        let en = client.get("/").send().text();
        let de = client.get("/").header("accept-language", "de").send();
        assert_eq!(de.header("x-hiver-cache"), Some("miss"));
        assert_ne!(render_no(&de.text()), render_no(&en));
    }

    fn hostile_query_cannot_break_out_of_the_state(e) {
        let ssr = builder(e)
            .page("/search", PagePolicy::new().query(["q"]))
            .build()
            .unwrap();
        let client = client(&ssr);
        // </script><script>alert(1)</script> followed by U+2028
        let q = "%3C%2Fscript%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E%E2%80%A8";
        let res = client.get(&format!("/search?q={q}")).send();
        assert_eq!(res.status(), 200);
        let body = res.text();
        assert!(!body.contains("<script>alert(1)"), "{body}");
        assert_eq!(
            body.matches("</script>").count(),
            2,
            "only the entry script and the state end"
        );
        let state = state(&body);
        assert!(!state.contains('\u{2028}'));
        assert!(state.contains(r"\u003c/script\u003e\u003cscript\u003ealert(1)"));
        let value: serde_json::Value = serde_json::from_str(state).unwrap();
        assert_eq!(
            value["query"]["q"],
            "</script><script>alert(1)</script>\u{2028}"
        );
    }

    fn if_none_match_gets_304_without_body(e) {
        let ssr = builder(e).page("/", PagePolicy::new()).build().unwrap();
        let client = client(&ssr);
        let first = client.get("/").send();
        let etag = first.header("etag").unwrap().to_owned();
        let res = client
            .get("/")
            .header("if-none-match", etag.as_str())
            .send();
        assert_eq!(res.status(), 304);
        assert!(res.bytes().is_empty());
        assert_eq!(res.header("etag"), Some(etag.as_str()));
        let other = client.get("/").header("if-none-match", "\"nope\"").send();
        assert_eq!(other.status(), 200);
        assert_eq!(ssr.metrics().not_modified, 1);
    }

    fn brotli_and_gzip_are_negotiated(e) {
        let ssr = builder(e).page("/", PagePolicy::new()).build().unwrap();
        let client = client(&ssr);
        let plain = client.get("/").send();
        assert_eq!(plain.header("content-encoding"), None);
        let plain = plain.text();
        let br = client.get("/").header("accept-encoding", "gzip, br").send();
        assert_eq!(br.header("content-encoding"), Some("br"));
        assert_eq!(brotli(&br.bytes()), plain);
        let gz = client.get("/").header("accept-encoding", "gzip").send();
        assert_eq!(gz.header("content-encoding"), Some("gzip"));
        assert_eq!(gunzip(&gz.bytes()), plain);
        assert_ne!(br.header("etag"), gz.header("etag"));
        // One render served all three codings.
        assert_eq!(ssr.metrics().pool.renders, 1);
        let refused = client
            .get("/")
            .header("accept-encoding", "identity;q=0")
            .send();
        assert_eq!(refused.status(), 406);
    }

    fn credentials_bypass_the_cache(e) {
        let ssr = builder(e).page("/", PagePolicy::new()).build().unwrap();
        let client = client(&ssr);
        let cached = client.get("/").send().text();
        for expected in [2, 3] {
            let res = client.get("/").header("authorization", "Bearer x").send();
            assert_eq!(res.header("x-hiver-cache"), Some("bypass"));
            assert_eq!(res.header("cache-control"), Some("private, no-store"));
            assert_eq!(render_no(&res.text()), expected);
        }
        let res = client.get("/").header("cookie", "a=1; session=s").send();
        assert_eq!(res.header("x-hiver-cache"), Some("bypass"));
        let after = client.get("/").send();
        assert_eq!(after.header("x-hiver-cache"), Some("hit-l1"));
        assert_eq!(after.text(), cached, "bypass renders were not stored");
    }

    fn no_store_routes_render_every_time(e) {
        let ssr = builder(e)
            .page("/", PagePolicy::new().no_store(true))
            .build()
            .unwrap();
        let client = client(&ssr);
        assert_eq!(render_no(&client.get("/").send().text()), 1);
        let res = client.get("/").send();
        assert_eq!(res.header("cache-control"), Some("private, no-store"));
        assert_eq!(render_no(&res.text()), 2);
    }

    fn render_status_and_head_pass_through(e) {
        let ssr = builder(e)
            .page("/missing", PagePolicy::new())
            .build()
            .unwrap();
        let res = client(&ssr).get("/missing").send();
        assert_eq!(res.status(), 404);
        let body = res.text();
        assert!(body.contains("<title>404</title>") && body.contains("<h1>not here</h1>"));
    }

    fn document_options_and_policy_headers(e) {
        let ssr = builder(e)
            .lang("fr")
            .root_id("root")
            .page(
                "/",
                PagePolicy::new()
                    .ttl(std::time::Duration::from_secs(30))
                    .swr(std::time::Duration::from_secs(10)),
            )
            .build()
            .unwrap();
        let res = client(&ssr).get("/").send();
        assert_eq!(
            res.header("cache-control"),
            Some("public, max-age=30, stale-while-revalidate=10")
        );
        let body = res.text();
        assert!(body.starts_with(r#"<!doctype html><html lang="fr">"#));
        assert!(body.contains(r#"<div id="root"><main>"#));
    }

    fn head_requests_are_answered_from_the_same_page(e) {
        let ssr = builder(e).page("/", PagePolicy::new()).build().unwrap();
        let client = client(&ssr);
        client.get("/").send();
        let head = client.head("/").send();
        assert_eq!(head.status(), 200);
        assert_eq!(head.header("x-hiver-cache"), Some("hit-l1"));
        assert!(head.bytes().is_empty());
    }
}
