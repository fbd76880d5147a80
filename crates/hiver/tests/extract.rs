//! Every extractor's success and rejection paths, in-process.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use hiver::extract::rejection::{JsonRejection, QueryRejection};
use hiver::extract::{ConnectInfo, Extension, Form, FromRef, MatchedPath, Path, Query, State};
use hiver::http::request::Parts;
use hiver::http::{HeaderMap, Method, Uri, Version};
use hiver::routing::{get, post};
use hiver::test::{TestClient, TestResponse};
use hiver::{Bytes, Json, Request, Router};
use serde::Deserialize;

fn client(router: Router) -> TestClient {
    TestClient::new(router)
}

fn assert_rejected(res: &TestResponse, status: u16, text: &str) {
    assert_eq!(res.status(), status, "body: {}", res.text());
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(res.text(), text);
}

#[derive(Deserialize)]
struct Pagination {
    page: u32,
    per_page: Option<u32>,
}

#[test]
fn path_single_tuple_and_struct() {
    #[derive(Deserialize)]
    struct Ids {
        user: u64,
        post: String,
    }
    let app = Router::new()
        .route(
            "/n/{n}",
            get(|Path(n): Path<u32>| async move { (n * 2).to_string() }),
        )
        .route(
            "/t/{a}/{b}",
            get(|Path((a, b)): Path<(String, i8)>| async move { format!("{a}:{b}") }),
        )
        .route(
            "/s/{user}/{post}",
            get(|Path(ids): Path<Ids>| async move { format!("{}/{}", ids.user, ids.post) }),
        )
        .route(
            "/m/{a}/{b}",
            get(|Path(m): Path<HashMap<String, String>>| async move { m.len().to_string() }),
        );
    let c = client(app);
    assert_eq!(c.get("/n/21").send().text(), "42");
    assert_eq!(c.get("/t/x/-3").send().text(), "x:-3");
    assert_eq!(c.get("/s/7/hello%20world").send().text(), "7/hello world");
    assert_eq!(c.get("/m/1/2").send().text(), "2");
}

#[test]
fn path_rejections() {
    let app = Router::new()
        .route(
            "/n/{n}",
            get(|Path(n): Path<u32>| async move { n.to_string() }),
        )
        .route(
            "/two/{a}/{b}",
            get(|Path(n): Path<u32>| async move { n.to_string() }),
        )
        .route(
            "/none",
            get(|Path(n): Path<u32>| async move { n.to_string() }),
        );
    let c = client(app);
    assert_rejected(
        &c.get("/n/abc").send(),
        400,
        "Invalid URL: Cannot parse `n` with value `abc` to a `u32`",
    );
    assert_rejected(
        &c.get("/two/1/2").send(),
        500,
        "Invalid URL: Wrong number of path arguments for `Path`. Expected 1 but got 2",
    );
    assert_rejected(
        &c.get("/none").send(),
        500,
        "No path parameters found for matched route",
    );
}

#[test]
fn query_success_and_rejection() {
    let app = Router::new().route(
        "/",
        get(|Query(p): Query<Pagination>| async move {
            format!("{} {}", p.page, p.per_page.unwrap_or(10))
        }),
    );
    let c = client(app);
    assert_eq!(c.get("/?page=2").send().text(), "2 10");
    assert_eq!(c.get("/?page=2&per_page=5&extra=x").send().text(), "2 5");
    assert_rejected(
        &c.get("/").send(),
        400,
        "Failed to deserialize query string: missing field `page`",
    );
    assert_rejected(
        &c.get("/?page=x").send(),
        400,
        "Failed to deserialize query string: invalid digit found in string",
    );
}

#[derive(Deserialize, serde::Serialize)]
struct NewUser {
    name: String,
    age: u8,
}

fn json_app() -> Router {
    Router::new().route(
        "/",
        post(|Json(u): Json<NewUser>| async move { format!("{} is {}", u.name, u.age) }),
    )
}

#[test]
fn json_success_with_json_and_suffix_content_types() {
    let c = client(json_app());
    let user = NewUser {
        name: "ada".into(),
        age: 36,
    };
    assert_eq!(c.post("/").json(&user).send().text(), "ada is 36");
    let res = c
        .post("/")
        .header("content-type", "application/vnd.api+json; charset=utf-8")
        .body(r#"{"name":"bob","age":1}"#)
        .send();
    assert_eq!(res.text(), "bob is 1");
}

#[test]
fn json_rejections() {
    let c = client(json_app());
    assert_rejected(
        &c.post("/").body(r#"{"name":"a","age":1}"#).send(),
        415,
        "Expected request with `Content-Type: application/json`",
    );
    assert_rejected(
        &c.post("/")
            .header("content-type", "text/plain")
            .body("{}")
            .send(),
        415,
        "Expected request with `Content-Type: application/json`",
    );
    let res = c
        .post("/")
        .header("content-type", "application/json")
        .body("{not json")
        .send();
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .starts_with("Failed to parse the request body as JSON: ")
    );
    let res = c
        .post("/")
        .header("content-type", "application/json")
        .body(r#"{"name":"a","age":300}"#)
        .send();
    assert_eq!(res.status(), 422);
    assert!(
        res.text().starts_with(
            "Failed to deserialize the JSON body into the target type: invalid value: integer `300`"
        ),
        "{}",
        res.text()
    );
    let res = c
        .post("/")
        .header("content-type", "application/json")
        .body(r#"{"name":"a"}"#)
        .send();
    assert_eq!(res.status(), 422);
    assert!(res.text().contains("missing field `age`"));
}

#[test]
fn form_from_body_and_from_query() {
    let app = Router::new().route(
        "/",
        get(|Form(u): Form<NewUser>| async move { format!("get {}", u.name) })
            .post(|Form(u): Form<NewUser>| async move { format!("post {} {}", u.name, u.age) }),
    );
    let c = client(app);
    let user = NewUser {
        name: "a b".into(),
        age: 3,
    };
    assert_eq!(c.post("/").form(&user).send().text(), "post a b 3");
    assert_eq!(c.get("/?name=x&age=1").send().text(), "get x");
    assert_rejected(
        &c.post("/").body("name=a&age=1").send(),
        415,
        "Form requests must have `Content-Type: application/x-www-form-urlencoded`",
    );
    assert_rejected(
        &c.post("/")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("name=a")
            .send(),
        422,
        "Failed to deserialize form body: missing field `age`",
    );
    assert_rejected(
        &c.get("/?name=a").send(),
        400,
        "Failed to deserialize form: missing field `age`",
    );
}

#[derive(Clone)]
struct AppState {
    name: Arc<str>,
    count: u32,
}

impl FromRef<AppState> for u32 {
    fn from_ref(s: &AppState) -> u32 {
        s.count
    }
}

#[test]
fn state_whole_and_from_ref() {
    let app: Router = Router::new()
        .route(
            "/name",
            get(|State(s): State<AppState>| async move { s.name.to_string() }),
        )
        .route(
            "/count",
            get(|State(n): State<u32>| async move { n.to_string() }),
        )
        .with_state(AppState {
            name: "hiver".into(),
            count: 3,
        });
    let c = client(app);
    assert_eq!(c.get("/name").send().text(), "hiver");
    assert_eq!(c.get("/count").send().text(), "3");
}

#[test]
fn head_extractors() {
    let app = Router::new().route(
        "/h",
        post(
            |m: Method, uri: Uri, v: Version, h: HeaderMap, p: MatchedPath| async move {
                format!(
                    "{m} {uri} {v:?} {} {}",
                    h["x-a"].to_str().unwrap_or("?"),
                    p.as_str()
                )
            },
        ),
    );
    let res = client(app).post("/h?q=1").header("x-a", "b").send();
    assert_eq!(res.text(), "POST /h?q=1 HTTP/1.1 b /h");
}

#[test]
fn body_extractors() {
    let app = Router::new()
        .route(
            "/bytes",
            post(|b: Bytes| async move { b.len().to_string() }),
        )
        .route("/string", post(|s: String| async move { s.to_uppercase() }))
        .route(
            "/request",
            post(
                |req: Request| async move { format!("{} {:?}", req.uri(), req.body().size_hint()) },
            ),
        )
        .route(
            "/parts",
            post(|h: HeaderMap, p: Parts| async move { format!("{} {}", h.len(), p.method) }),
        );
    let c = client(app);
    assert_eq!(
        c.post("/bytes")
            .body(vec![0u8, 159, 146, 150])
            .send()
            .text(),
        "4"
    );
    assert_eq!(c.post("/string").body("abc").send().text(), "ABC");
    assert_rejected(
        &c.post("/string").body(vec![0xff, 0xfe]).send(),
        400,
        "Request body didn't contain valid UTF-8: invalid utf-8 sequence of 1 bytes from index 0",
    );
    assert_eq!(
        c.post("/request").body("xy").send().text(),
        "/request Some(2)"
    );
    assert_eq!(c.post("/parts").header("a", "b").send().text(), "1 POST");
}

#[test]
fn option_and_result_wrappers() {
    let app = Router::new()
        .route(
            "/opt",
            get(|q: Option<Query<Pagination>>| async move {
                q.map_or("none".to_owned(), |Query(p)| p.page.to_string())
            }),
        )
        .route(
            "/res",
            get(|q: Result<Query<Pagination>, QueryRejection>| async move {
                match q {
                    Ok(Query(p)) => p.page.to_string(),
                    Err(e) => format!("{} / {}", e.status(), e.is_deserialize_error()),
                }
            }),
        )
        .route(
            "/json",
            post(|j: Result<Json<NewUser>, JsonRejection>| async move {
                match j {
                    Ok(Json(u)) => u.name,
                    Err(e) => format!("missing ct: {}", e.is_missing_content_type()),
                }
            }),
        )
        .route(
            "/optjson",
            post(|j: Option<Json<NewUser>>| async move { j.is_some().to_string() }),
        );
    let c = client(app);
    assert_eq!(c.get("/opt?page=4").send().text(), "4");
    assert_eq!(c.get("/opt").send().text(), "none");
    assert_eq!(c.get("/res?page=5").send().text(), "5");
    assert_eq!(c.get("/res").send().text(), "400 Bad Request / true");
    assert_eq!(c.post("/json").body("{}").send().text(), "missing ct: true");
    assert_eq!(c.post("/optjson").body("{}").send().text(), "false");
}

#[test]
fn connect_info_and_extension() {
    #[derive(Clone)]
    struct Tag(&'static str);
    let app = Router::new()
        .route(
            "/peer",
            get(|ConnectInfo(info): ConnectInfo| async move { info.peer_addr.to_string() }),
        )
        .route(
            "/ext",
            get(|Extension(t): Extension<Tag>| async move { t.0 }),
        );
    let c = client(app);
    let peer: SocketAddr = "10.0.0.1:5555".parse().unwrap(); // literal address
    assert_eq!(
        c.get("/peer").peer_addr(peer).send().text(),
        "10.0.0.1:5555"
    );
    let res = c.get("/ext").send();
    assert_eq!(res.status(), 500);
    assert!(
        res.text()
            .starts_with("Missing request extension: extension of type")
    );
}

#[test]
fn twelve_extractors() {
    #[allow(clippy::too_many_arguments)]
    async fn many(
        _a: Method,
        _b: Uri,
        _c: HeaderMap,
        _d: Version,
        _e: MatchedPath,
        _f: Option<Query<Pagination>>,
        _g: Path<u32>,
        _h: State<()>,
        _i: Method,
        _j: Uri,
        _k: HeaderMap,
        l: String,
    ) -> String {
        l
    }
    let c = client(Router::new().route("/{n}", post(many)));
    assert_eq!(c.post("/1").body("twelve").send().text(), "twelve");
}
