//! Routing through the in-process client: paths, methods, nesting, fallbacks.

use hiver::Router;
use hiver::extract::{MatchedPath, Path};
use hiver::http::{Method, StatusCode, Uri};
use hiver::routing::{any, delete, get, on, post};
use hiver::test::TestClient;

async fn show(Path(id): Path<String>) -> String {
    format!("user {id}")
}

async fn rest(Path(rest): Path<String>) -> String {
    format!("rest {rest}")
}

fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "root" }))
        .route(
            "/users",
            get(|| async { "list" }).post(|| async { "create" }),
        )
        .route("/users/me", get(|| async { "me" }))
        .route("/users/{id}", get(show).delete(|| async { "deleted" }))
        .route("/files/{*rest}", get(rest))
}

#[test]
fn static_param_and_wildcard_segments() {
    let c = TestClient::new(app());
    assert_eq!(c.get("/").send().text(), "root");
    assert_eq!(c.get("/users").send().text(), "list");
    assert_eq!(c.post("/users").send().text(), "create");
    assert_eq!(
        c.get("/users/me").send().text(),
        "me",
        "static wins over param"
    );
    assert_eq!(c.get("/users/42").send().text(), "user 42");
    assert_eq!(c.delete("/users/42").send().text(), "deleted");
    assert_eq!(c.get("/files/a/b/c.txt").send().text(), "rest a/b/c.txt");
}

#[test]
fn params_are_percent_decoded() {
    let c = TestClient::new(app());
    assert_eq!(c.get("/users/a%20b").send().text(), "user a b");
    assert_eq!(c.get("/users/%E2%9C%93").send().text(), "user ✓");
    assert_eq!(c.get("/files/x%2Fy").send().text(), "rest x/y");
    let res = c.get("/users/%FF").send();
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.text(),
        "Invalid URL: Cannot parse `id` with value `%FF` to a UTF-8 string"
    );
}

#[test]
fn unknown_path_is_404_and_query_is_ignored_by_routing() {
    let c = TestClient::new(app());
    let res = c.get("/nope").send();
    assert_eq!(res.status(), 404);
    assert_eq!(res.text(), "404 Not Found: no route for /nope");
    assert_eq!(c.get("/users/1/extra").send().status(), 404);
    assert_eq!(c.get("/users?x=1").send().text(), "list");
}

#[test]
fn wrong_method_is_405_with_allow() {
    let c = TestClient::new(app());
    let res = c.put("/users").send();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.header("allow"), Some("GET,HEAD,POST"));
    assert_eq!(
        res.text(),
        "405 Method Not Allowed: PUT is not routed for /users (see the Allow header)"
    );
    let res = c.post("/users/7").send();
    assert_eq!(res.status(), 405);
    assert_eq!(res.header("allow"), Some("GET,HEAD,DELETE"));
}

#[test]
fn head_is_answered_by_get_without_a_body() {
    let c = TestClient::new(app());
    let res = c.head("/users/3").send();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert!(res.bytes().is_empty());
}

#[test]
fn explicit_head_handler_wins_over_get() {
    let app: Router = Router::new().route(
        "/",
        get(|| async { "get" }).head(|| async { (StatusCode::ACCEPTED, "head") }),
    );
    let c = TestClient::new(app);
    assert_eq!(c.head("/").send().status(), 202);
    assert_eq!(c.get("/").send().status(), 200);
}

#[test]
fn options_is_not_special() {
    let c = TestClient::new(app());
    assert_eq!(c.options("/users").send().status(), 405);
    let routed: Router = Router::new().route("/", on(Method::OPTIONS, || async { "opts" }));
    assert_eq!(TestClient::new(routed).options("/").send().text(), "opts");
}

#[test]
fn any_accepts_every_method_and_extension_methods() {
    let app: Router = Router::new()
        .route("/any", any(|m: Method| async move { m.to_string() }))
        .route(
            "/purge",
            on(Method::from_bytes(b"PURGE").unwrap(), || async { "purged" }), // valid token
        );
    let c = TestClient::new(app);
    assert_eq!(c.put("/any").send().text(), "PUT");
    assert_eq!(c.patch("/any").send().text(), "PATCH");
    let purge = Method::from_bytes(b"PURGE").unwrap(); // valid token
    assert_eq!(c.request(purge, "/purge").send().text(), "purged");
    assert_eq!(c.get("/purge").send().header("allow"), Some("PURGE"));
}

#[test]
fn routing_a_path_twice_adds_methods() {
    let app: Router = Router::new()
        .route("/x", get(|| async { "g" }))
        .route("/x", post(|| async { "p" }));
    let c = TestClient::new(app);
    assert_eq!(c.get("/x").send().text(), "g");
    assert_eq!(c.post("/x").send().text(), "p");
}

#[test]
fn nest_prefixes_routes_and_keeps_params() {
    let users = Router::new()
        .route("/", get(|| async { "users root" }))
        .route("/{id}", get(show))
        .route(
            "/{id}/path",
            get(|p: MatchedPath| async move { p.as_str().to_owned() }),
        );
    let app: Router = Router::new().nest("/api/users", users);
    let c = TestClient::new(app);
    assert_eq!(c.get("/api/users").send().text(), "users root");
    assert_eq!(c.get("/api/users/9").send().text(), "user 9");
    assert_eq!(
        c.get("/api/users/9/path").send().text(),
        "/api/users/{id}/path"
    );
    assert_eq!(c.get("/users/9").send().status(), 404);
}

#[test]
fn nest_with_param_in_prefix_and_nested_fallback() {
    let inner = Router::new()
        .route(
            "/posts",
            get(|Path((org,)): Path<(String,)>| async move { org }),
        )
        .fallback(|uri: Uri| async move { (StatusCode::NOT_FOUND, format!("inner {uri}")) });
    let app: Router = Router::new()
        .nest("/orgs/{org}", inner)
        .fallback(|| async { (StatusCode::NOT_FOUND, "outer") });
    let c = TestClient::new(app);
    assert_eq!(c.get("/orgs/rust/posts").send().text(), "rust");
    assert_eq!(
        c.get("/orgs/rust/nothing").send().text(),
        "inner /orgs/rust/nothing"
    );
    assert_eq!(c.get("/elsewhere").send().text(), "outer");
}

#[test]
fn merge_combines_routes_and_fallback() {
    let a: Router = Router::new().route("/a", get(|| async { "a" }));
    let b: Router = Router::new()
        .route("/b", get(|| async { "b" }))
        .route("/a", delete(|| async { "a deleted" }))
        .fallback(|| async { (StatusCode::IM_A_TEAPOT, "fb") });
    let c = TestClient::new(a.merge(b));
    assert_eq!(c.get("/a").send().text(), "a");
    assert_eq!(c.delete("/a").send().text(), "a deleted");
    assert_eq!(c.get("/b").send().text(), "b");
    assert_eq!(c.get("/c").send().status(), 418);
}

#[test]
fn fallback_gets_the_request() {
    let app: Router = Router::new().route("/", get(|| async { "root" })).fallback(
        |m: Method, uri: Uri| async move { (StatusCode::NOT_FOUND, format!("{m} {uri}")) },
    );
    let res = TestClient::new(app).post("/missing?q=1").send();
    assert_eq!(res.status(), 404);
    assert_eq!(res.text(), "POST /missing?q=1");
}

#[test]
fn method_router_fallback_replaces_405() {
    let app: Router = Router::new().route(
        "/",
        get(|| async { "get" }).fallback(|m: Method| async move { format!("fallback {m}") }),
    );
    let c = TestClient::new(app);
    assert_eq!(c.put("/").send().text(), "fallback PUT");
}

#[test]
fn match_route_reports_pattern_params_and_method() {
    let app = app();
    let m = app.match_route(&Method::GET, "/users/a%2Fb").unwrap(); // matched above
    assert_eq!(m.pattern(), "/users/{id}");
    assert_eq!(m.params().unwrap(), &[("id".to_owned(), "a/b".to_owned())]);
    assert!(m.is_method_allowed());
    assert!(
        app.match_route(&Method::HEAD, "/users/1")
            .unwrap()
            .is_method_allowed()
    );
    assert!(
        !app.match_route(&Method::PUT, "/users")
            .unwrap()
            .is_method_allowed()
    );
    assert!(
        app.match_route(&Method::GET, "/users/%FF")
            .unwrap()
            .params()
            .is_none()
    );
    assert!(app.match_route(&Method::GET, "").is_none());
    assert!(app.match_route(&Method::GET, "no-slash").is_none());
}

#[test]
#[should_panic(expected = "Invalid route \"/users/{name}\"")]
fn conflicting_routes_panic_at_construction() {
    let _ = app().route("/users/{name}", get(|| async {}));
}

#[test]
#[should_panic(expected = "paths must start with a `/`")]
fn relative_paths_panic_at_construction() {
    let _: Router = Router::new().route("users", get(|| async {}));
}

#[test]
#[should_panic(expected = "Overlapping method route")]
fn duplicate_methods_panic_at_construction() {
    let _: Router = Router::new()
        .route("/", get(|| async {}))
        .route("/", get(|| async {}));
}

#[test]
#[should_panic(expected = "Invalid nest prefix")]
fn nesting_at_root_panics() {
    let _: Router = Router::new().nest("/", Router::new());
}

#[test]
fn router_is_clone_send_sync_static() {
    fn assert_bounds<T: Clone + Send + Sync + 'static>() {}
    assert_bounds::<Router>();
    assert_bounds::<Router<std::sync::Arc<String>>>();
    assert_bounds::<hiver::routing::RouterService>();
}
