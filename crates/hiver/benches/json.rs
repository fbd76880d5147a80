//! P7: JSON responses through `hiver::Json`.
//!
//! The TechEmpower message `{"message":"Hello, World!"}` and a 100-item product list,
//! serialized into a `Response` with `IntoResponse`, and the in-process dispatch of a
//! `GET /json` route (routing, handler, serialization).

mod common;

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use hiver::http::Method;
use hiver::response::IntoResponse;
use hiver::routing::get;
use hiver::{Json, Router};
use serde::Serialize;

use common::{Executor, request};

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

/// A catalogue entry: the shape of a typical list endpoint's items.
#[derive(Serialize)]
struct Product {
    id: u64,
    sku: String,
    name: String,
    description: String,
    price_cents: u64,
    currency: &'static str,
    in_stock: bool,
    rating: f32,
    tags: Vec<String>,
}

fn products(n: u64) -> Vec<Product> {
    (0..n)
        .map(|i| Product {
            id: 10_000 + i,
            sku: format!("SKU-{i:06}"),
            name: format!("Product number {i}"),
            description: format!("A sturdy, well-made \"item\" #{i}, shipped within 2 days."),
            price_cents: 199 + i * 37,
            currency: "EUR",
            in_stock: i % 3 != 0,
            rating: (i % 50) as f32 / 10.0,
            tags: vec!["new".to_owned(), format!("category-{}", i % 7)],
        })
        .collect()
}

async fn json() -> Json<Message> {
    Json(Message {
        message: "Hello, World!",
    })
}

fn into_response(c: &mut Criterion) {
    let mut group = c.benchmark_group("json_into_response");
    group.bench_function("hello_message", |b| {
        b.iter(|| {
            Json(Message {
                message: black_box("Hello, World!"),
            })
            .into_response()
        })
    });
    let list = products(100);
    let bytes = serde_json::to_vec(&list).map_or(0, |v| v.len());
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("products_100", |b| {
        b.iter(|| Json(black_box(&list)).into_response())
    });
    group.finish();
}

fn dispatch(c: &mut Criterion) {
    let svc = Router::new().route("/json", get(json)).into_service();
    let rt = Executor::new();
    c.bench_function("json_dispatch/hello_message", |b| {
        b.to_async(&rt).iter_batched(
            || request(Method::GET, "/json"),
            |req| svc.dispatch(req),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, into_response, dispatch);
criterion_main!(benches);
