//! P6: the cost of middleware on one route, dispatched in-process.
//!
//! 0, 1, 5 and 10 pass-through `middleware::from_fn` layers, then the metrics layer and the
//! trace layer alone and together. No `tracing` subscriber is installed, so `TraceLayer`
//! costs its request id, its span and event checks and its response header: what a
//! service that adds the layer but filters the log pays.

mod common;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use hiver::http::Method;
use hiver::metrics::Metrics;
use hiver::middleware::{self, Next};
use hiver::routing::get;
use hiver::trace::TraceLayer;
use hiver::{Request, Response, Router};

use common::{Executor, request};

async fn pass(req: Request, next: Next) -> Response {
    next.run(req).await
}

fn base() -> Router {
    Router::new().route("/", get(|| async { "Hello, World!" }))
}

fn with_from_fn(layers: usize) -> Router {
    (0..layers).fold(base(), |app, _| app.layer(middleware::from_fn(pass)))
}

fn bench_app(c: &mut Criterion, rt: &Executor, group: &str, name: &str, app: Router) {
    let svc = app.into_service();
    c.benchmark_group(group)
        .bench_function(BenchmarkId::from_parameter(name), |b| {
            b.to_async(rt).iter_batched(
                || request(Method::GET, "/"),
                |req| svc.dispatch(req),
                BatchSize::SmallInput,
            )
        });
}

fn chains(c: &mut Criterion) {
    let rt = Executor::new();
    for layers in [0, 1, 5, 10] {
        let name = format!("{layers}_layers");
        bench_app(c, &rt, "middleware_from_fn", &name, with_from_fn(layers));
    }
    let metrics = Metrics::new();
    bench_app(c, &rt, "middleware_observability", "none", base());
    bench_app(
        c,
        &rt,
        "middleware_observability",
        "metrics",
        base().layer(metrics.layer()),
    );
    bench_app(
        c,
        &rt,
        "middleware_observability",
        "trace",
        base().layer(TraceLayer::new()),
    );
    bench_app(
        c,
        &rt,
        "middleware_observability",
        "metrics_and_trace",
        base().layer(metrics.layer()).layer(TraceLayer::new()),
    );
}

criterion_group!(benches, chains);
criterion_main!(benches);
