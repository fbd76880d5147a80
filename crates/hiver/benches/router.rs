//! P5: route matching and in-process dispatch on a realistic table of about 100 routes.
//!
//! The table mixes static pages, REST resources with `{id}` and nested `{id}/…/{child_id}`
//! routes, a nested admin router and `{*rest}` catch-alls. `match_route` is the pure
//! lookup (with percent-decoding of parameters); `dispatch` is the whole in-process path a
//! worker runs per request: lookup, parameter extensions, method routing, the handler (with
//! `Path` extraction where the route has parameters) and its response.

mod common;

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hiver::extract::Path;
use hiver::http::Method;
use hiver::routing::{get, post};
use hiver::{Router, routing::MethodRouter};

use common::{Executor, request};

const RESOURCES: [&str; 12] = [
    "users", "posts", "comments", "orders", "invoices", "products", "carts", "teams", "projects",
    "issues", "tags", "reviews",
];

const PAGES: [&str; 14] = [
    "/about",
    "/contact",
    "/pricing",
    "/blog",
    "/health",
    "/ready",
    "/metrics",
    "/login",
    "/logout",
    "/signup",
    "/search",
    "/sitemap.xml",
    "/robots.txt",
    "/favicon.ico",
];

async fn ok() -> &'static str {
    "ok"
}

async fn one(Path(id): Path<u64>) -> String {
    id.to_string()
}

async fn two(Path((id, child)): Path<(u64, u64)>) -> String {
    format!("{id}/{child}")
}

async fn rest(Path(rest): Path<String>) -> String {
    rest
}

/// `/api/v1/{resource}` and its item, history and child routes: 5 paths per resource.
fn api() -> Router {
    let mut api = Router::new();
    for (i, res) in RESOURCES.iter().enumerate() {
        let child = RESOURCES[(i + 1) % RESOURCES.len()];
        let item: MethodRouter = get(one).put(one).delete(one);
        api = api
            .route(&format!("/{res}"), get(ok).post(ok))
            .route(&format!("/{res}/{{id}}"), item)
            .route(&format!("/{res}/{{id}}/history"), get(one))
            .route(&format!("/{res}/{{id}}/{child}"), get(one).post(one))
            .route(&format!("/{res}/{{id}}/{child}/{{child_id}}"), get(two));
    }
    api
}

fn admin() -> Router {
    Router::new()
        .route("/", get(ok))
        .route("/dashboard", get(ok))
        .route("/users/{id}/ban", post(one))
        .route("/users/{id}/roles", get(one).put(one))
        .route("/settings", get(ok))
        .route("/settings/billing", get(ok).put(ok))
        .route("/settings/security", get(ok).put(ok))
        .route("/audit", get(ok))
        .route("/audit/{id}", get(one))
        .route("/jobs", get(ok))
        .route("/jobs/{id}/retry", post(one))
        .route("/logs/{*path}", get(rest))
}

/// 96 paths: 60 under `/api/v1`, 12 under `/admin`, 15 pages (`/` included), 2 blog
/// routes, 3 catch-alls and 4 under `/api/v2`.
fn app() -> Router {
    let mut app = Router::new().route("/", get(ok));
    for page in PAGES {
        app = app.route(page, get(ok));
    }
    app.route("/blog/{slug}", get(rest))
        .route("/blog/tag/{tag}", get(rest))
        .route("/docs/{*page}", get(rest))
        .route("/static/{*path}", get(rest))
        .route("/assets/{*path}", get(rest))
        .route("/api/v2/graphql", post(ok))
        .route("/api/v2/events/{id}", get(one))
        .route("/api/v2/webhooks/{provider}", post(rest))
        .route("/api/v2/files/{*key}", get(rest).put(rest))
        .nest("/api/v1", api())
        .nest("/admin", admin())
}

/// `(label, method, path)`: what a busy site sees, 404s and percent-encoding included.
const MIX: [(&str, Method, &str); 12] = [
    ("root", Method::GET, "/"),
    ("static", Method::GET, "/health"),
    ("param", Method::GET, "/api/v1/users/42"),
    ("param_put", Method::PUT, "/api/v1/products/1001"),
    (
        "static_after_param",
        Method::GET,
        "/api/v1/orders/7/history",
    ),
    (
        "nested_2_params",
        Method::GET,
        "/api/v1/orders/1001/invoices/7",
    ),
    ("catch_all", Method::GET, "/static/js/app.3f2a1c.js"),
    ("catch_all_deep", Method::GET, "/docs/guide/routing/nesting"),
    ("nested_router", Method::PUT, "/admin/settings/billing"),
    ("slug", Method::GET, "/blog/hello-world"),
    ("percent_encoded", Method::GET, "/api/v2/files/a%20b/c%2Fd"),
    ("not_found", Method::GET, "/wp-login.php"),
];

fn match_route(c: &mut Criterion) {
    let app = app();
    let mut group = c.benchmark_group("router_match");
    for (label, method, path) in &MIX {
        group.bench_function(*label, |b| {
            b.iter(|| black_box(app.match_route(method, black_box(path)).is_some()))
        });
    }
    group.throughput(Throughput::Elements(MIX.len() as u64));
    group.bench_function("mix_of_12", |b| {
        b.iter(|| {
            MIX.iter()
                .filter(|(_, m, p)| app.match_route(m, black_box(p)).is_some())
                .count()
        })
    });
    group.finish();
}

fn dispatch(c: &mut Criterion) {
    let svc = app().into_service();
    let rt = Executor::new();
    let mut group = c.benchmark_group("router_dispatch");
    let picked = [
        "static",
        "param",
        "nested_2_params",
        "catch_all",
        "not_found",
    ];
    for (label, method, path) in MIX.iter().filter(|(l, ..)| picked.contains(l)) {
        group.bench_function(BenchmarkId::from_parameter(label), |b| {
            b.to_async(&rt).iter_batched(
                || request(method.clone(), path),
                |req| svc.dispatch(req),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, match_route, dispatch);
criterion_main!(benches);
