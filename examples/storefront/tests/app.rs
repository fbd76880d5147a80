//! The storefront as a user sees it: server-rendered pages with their hydration state,
//! page caching, assets, the JSON API and metrics. In-process through `TestClient`, plus a
//! real server on both I/O drivers.

use hiver::Driver;
use hiver::test::{TestClient, TestResponse, TestServer};
use serde_json::{Value, json};
use storefront::{Config, Storefront};

const STATE_OPEN: &str = r#"<script id="__HIVER_STATE__" type="application/json">"#;

fn storefront(framework: &str) -> Storefront {
    let config =
        Config::from_lookup(|name| (name == "STOREFRONT_FRAMEWORK").then(|| framework.to_owned()))
            .expect("a valid framework name");
    match storefront::build(&config) {
        Ok(app) => app,
        Err(e) => panic!("the committed {framework} build must load: {e}"),
    }
}

fn client(framework: &str) -> (TestClient, Storefront) {
    let app = storefront(framework);
    (TestClient::new(app.router.clone()), app)
}

fn add_buttons(html: &str) -> usize {
    html.matches(r#"data-testid="add-to-cart""#).count()
}

/// The JSON inside the page's `#__HIVER_STATE__` script, as the client entry reads it.
fn hydration_state(html: &str) -> (String, Value) {
    let start = html
        .find(STATE_OPEN)
        .expect("the page embeds the hydration state")
        + STATE_OPEN.len();
    let len = html[start..]
        .find("</script>")
        .expect("the state script is closed");
    let raw = html[start..start + len].to_owned();
    let value = serde_json::from_str(&raw).expect("the state is JSON");
    (raw, value)
}

fn cache(res: &TestResponse) -> &str {
    res.header("x-hiver-cache").unwrap_or("<none>")
}

fn listing_is_server_rendered(framework: &str) {
    let (client, _app) = client(framework);
    let res = client.get("/").send();
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    let html = res.text();
    assert!(add_buttons(&html) >= 100, "{} buttons", add_buttons(&html));
    assert!(html.contains(r#"data-testid="cart-count""#));
    assert!(html.contains("<title>All products | Hiver Market</title>"));
    assert!(
        !html.contains("data-hydrated"),
        "nothing is hydrated on the server"
    );
    let (_, state) = hydration_state(&html);
    assert_eq!(
        state,
        json!({ "path": "/", "query": {}, "cart": { "count": 0 } })
    );
    assert!(res.header("x-request-id").is_some());
}

#[test]
fn preact_listing_is_server_rendered_with_its_hydration_state() {
    listing_is_server_rendered("preact");
}

#[test]
fn react_listing_is_server_rendered_with_its_hydration_state() {
    listing_is_server_rendered("react");
}

#[test]
fn hydration_state_is_escaped_and_holds_only_declared_query_parameters() {
    let (client, _app) = client("preact");
    let res = client
        .get("/?category=%3C/script%3E%3Cscript%3Ealert(1)%3C/script%3E&utm_source=mail&sort=name")
        .send();
    assert_eq!(
        res.status(),
        200,
        "a malformed filter is ignored, not an error"
    );
    let html = res.text();
    let (raw, state) = hydration_state(&html);
    assert!(
        !raw.contains('<') && !raw.contains('>'),
        "unescaped state: {raw}"
    );
    assert!(raw.contains(r"\u003c/script\u003e"), "{raw}");
    assert_eq!(
        state,
        json!({
            "path": "/",
            "query": { "category": "</script><script>alert(1)</script>", "sort": "name" },
            "cart": { "count": 0 },
        })
    );
    assert!(!html.contains("<script>alert(1)"));
}

#[test]
fn product_pages_render_and_unknown_ids_get_the_404_page() {
    let (client, _app) = client("preact");
    let res = client.get("/product/7").send();
    assert_eq!(res.status(), 200);
    let html = res.text();
    assert!(html.contains("<title>Harbor Cushion | Hiver Market</title>"));
    assert_eq!(add_buttons(&html), 5, "the product and four related");
    let res = client.get("/product/99999").send();
    assert_eq!(res.status(), 404);
    assert!(
        res.text()
            .contains("<title>Not found | Hiver Market</title>")
    );
}

#[test]
fn unknown_paths_get_the_404_page_and_are_never_cached() {
    let (client, _app) = client("react");
    for _ in 0..2 {
        let res = client.get("/no/such/page").send();
        assert_eq!(res.status(), 404);
        assert!(
            res.text()
                .contains("<title>Not found | Hiver Market</title>")
        );
        assert!(!cache(&res).starts_with("hit"), "cached: {}", cache(&res));
    }
}

#[test]
fn second_request_is_a_cache_hit_and_undeclared_parameters_share_the_page() {
    let (client, app) = client("preact");
    let first = client.get("/?category=audio").send();
    assert_eq!(cache(&first), "miss");
    assert_eq!(
        first.header("cache-control"),
        Some("public, max-age=60, stale-while-revalidate=30")
    );
    let second = client.get("/?category=audio").send();
    assert!(cache(&second).starts_with("hit"), "{}", cache(&second));
    assert_eq!(second.text(), first.text());
    let tracked = client.get("/?utm_source=mail&category=audio").send();
    assert!(cache(&tracked).starts_with("hit"), "{}", cache(&tracked));
    let other = client.get("/?category=books").send();
    assert_eq!(cache(&other), "miss", "declared parameters split the cache");
    assert!(app.ssr.metrics().cache.hits_l1 + app.ssr.metrics().cache.hits_l2 >= 2);
}

#[test]
fn purge_by_tag_drops_the_pages_and_bad_purges_are_400() {
    let (client, _app) = client("preact");
    client.get("/").send();
    // The product page streams; the in-process client's runtime stores it while serving the
    // next request, which may therefore wait for it (`coalesced`) rather than hit.
    client.get("/product/7").send();
    client.get("/product/7").send();
    assert!(cache(&client.get("/product/7").send()).starts_with("hit"));
    let res = client.post("/admin/purge?tag=product:7").send();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>(), json!({ "purged": 1 }));
    assert_eq!(cache(&client.get("/product/7").send()), "miss");
    assert!(
        cache(&client.get("/").send()).starts_with("hit"),
        "other tags stay"
    );
    let res = client.post("/admin/purge?tag=listing").send();
    assert_eq!(res.json::<Value>(), json!({ "purged": 1 }));
    assert_eq!(cache(&client.get("/").send()), "miss");
    for bad in [
        "/admin/purge",
        "/admin/purge?tag=a&path=/",
        "/admin/purge?path=nope",
        "/admin/purge?x=1",
    ] {
        let res = client.post(bad).send();
        assert_eq!(res.status(), 400, "{bad}: {}", res.text());
    }
}

#[test]
fn assets_named_in_the_page_are_served_immutable() {
    let (client, app) = client("react");
    let html = client.get("/").send().text();
    let paths: Vec<String> = app.ssr.asset_paths().map(str::to_owned).collect();
    assert!(paths.iter().any(|p| p.ends_with(".js")), "{paths:?}");
    assert!(paths.iter().any(|p| p.ends_with(".css")), "{paths:?}");
    for path in &paths {
        assert!(path.starts_with("/assets/"), "{path}");
        assert!(
            html.contains(path.as_str()),
            "the page does not reference {path}"
        );
        let res = client.get(path).send();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(
            res.header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        assert!(!res.bytes().is_empty(), "{path}");
    }
}

#[test]
fn health_and_metrics() {
    let (client, _app) = client("preact");
    let res = client.get("/api/health").send();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>(), json!({ "status": "ok" }));
    client.get("/").send();
    client.get("/").send();
    let text = client.get("/metrics").send().text();
    let listing = text
        .lines()
        .find(|l| {
            l.starts_with("hiver_http_requests_total{")
                && l.contains(r#"route="/""#)
                && l.contains(r#"status="200""#)
        })
        .unwrap_or_else(|| panic!("no request counter for / in:\n{text}"));
    assert!(listing.ends_with(" 2"), "{listing}");
    assert!(text.contains("hiver_ssr_renders_total"), "{text}");
    assert!(text.contains("hiver_ssr_cache_lookups_total"), "{text}");
}

fn serves_over_tcp(driver: Driver) {
    let app = storefront("preact");
    let server = TestServer::with_driver(app.router, driver);
    let res = server.get("/").send();
    assert_eq!(res.status(), 200);
    assert!(add_buttons(&res.text()) >= 100);
    // A product page streams on a miss (identity-coded, compressing a stream is not done),
    // then comes from the cache, compressed.
    let res = server
        .get("/product/7")
        .header("accept-encoding", "br")
        .send();
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("x-hiver-render"), Some("stream"));
    assert_eq!(res.header("content-encoding"), None);
    let res = server
        .get("/product/7")
        .header("accept-encoding", "br")
        .send();
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("content-encoding"), Some("br"));
    assert_eq!(server.get("/api/health").send().status(), 200);
}

#[test]
fn serves_over_tcp_on_epoll() {
    serves_over_tcp(Driver::Epoll);
}

#[test]
fn serves_over_tcp_on_io_uring() {
    serves_over_tcp(Driver::IoUring);
}

/// The favicon browsers ask for on the first page, and the client assets' precompressed
/// siblings, over a real socket.
fn favicon_and_compressed_assets_over_tcp(driver: Driver) {
    let app = storefront("preact");
    let asset = app
        .ssr
        .asset_paths()
        .find(|p| p.ends_with(".js"))
        .expect("a client script")
        .to_owned();
    let server = TestServer::with_driver(app.router, driver);
    let res = server.get("/favicon.ico").send();
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("content-type"), Some("image/x-icon"));
    let on_disk = std::fs::read(storefront::config::source_dist().join("favicon.ico")).unwrap();
    assert_eq!(res.bytes(), on_disk);
    let etag = res.header("etag").expect("an ETag").to_owned();
    let res = server
        .get("/favicon.ico")
        .header("if-none-match", etag.as_str())
        .send();
    assert_eq!(res.status(), 304);
    let res = server
        .get(&asset)
        .header("accept-encoding", "br, gzip")
        .send();
    assert_eq!(res.status(), 200, "{asset}");
    assert_eq!(res.header("content-encoding"), Some("br"), "{asset}");
    assert_eq!(res.header("vary"), Some("accept-encoding"), "{asset}");
}

#[test]
fn favicon_and_compressed_assets_over_tcp_on_epoll() {
    favicon_and_compressed_assets_over_tcp(Driver::Epoll);
}

#[test]
fn favicon_and_compressed_assets_over_tcp_on_io_uring() {
    favicon_and_compressed_assets_over_tcp(Driver::IoUring);
}
