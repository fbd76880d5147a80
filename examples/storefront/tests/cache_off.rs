//! `STOREFRONT_CACHE=off`: every page request renders, nothing is served from the cache.

use hiver::test::{TestClient, TestResponse};
use storefront::Config;

fn cache(res: &TestResponse) -> &str {
    res.header("x-hiver-cache").unwrap_or("<none>")
}

fn renders_every_request(framework: &str) {
    let config = Config::from_lookup(|name| match name {
        "STOREFRONT_FRAMEWORK" => Some(framework.to_owned()),
        "STOREFRONT_CACHE" => Some("off".to_owned()),
        _ => None,
    })
    .expect("valid settings");
    assert!(!config.cache);
    let app = match storefront::build(&config) {
        Ok(app) => app,
        Err(e) => panic!("the committed {framework} build must load: {e}"),
    };
    let client = TestClient::new(app.router.clone());
    let before = app.ssr.metrics().pool.renders;
    let mut bodies = Vec::new();
    for path in ["/", "/", "/product/7", "/product/7"] {
        let res = client.get(path).send();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(cache(&res), "bypass", "{path}");
        assert_eq!(res.header("cache-control"), Some("private, no-store"));
        bodies.push(res.text());
    }
    let metrics = app.ssr.metrics();
    assert_eq!(metrics.pool.renders - before, 4, "one render per request");
    assert_eq!(metrics.cache.hits_l1 + metrics.cache.hits_l2, 0);
    assert_eq!(bodies[0], bodies[1], "the same page, rendered twice");
    assert!(bodies[0].contains("<title>All products | Hiver Market</title>"));
}

#[test]
fn preact_pages_render_on_every_request_with_the_cache_off() {
    renders_every_request("preact");
}

#[test]
fn react_pages_render_on_every_request_with_the_cache_off() {
    renders_every_request("react");
}
