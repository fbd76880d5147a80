//! What a finisher thread takes off the HTTP worker: assembling a 60 KB page into its
//! document and pre-compressing it (`build`), against what handing a page to another
//! thread and back costs the worker (`hop`: a send and an async receive). The render
//! pool's finisher builds a page on the worker when there is nothing to compress (one
//! identity variant), and sends it to a finisher thread otherwise.
//!
//! `cargo bench -p hiver-ssr --features framework --bench page_build`
//! (It was a test that asserted `build > hop` until 2026-12-07; timings belong here.)

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hiver_ssr::RenderResult;
use hiver_ssr::cache::Page;
use hiver_ssr::document::{DocumentTemplate, HydrationState};

fn page_build(c: &mut Criterion) {
    let rows: String = (0..1200)
        .map(|i| format!("<li class=\"item\"><a href=\"/p/{i}\">Product {i}</a></li>"))
        .collect();
    let result = RenderResult {
        html: format!("<ul>{rows}</ul>"),
        head: "<title>list</title>".into(),
        status: 200,
    };
    let template = DocumentTemplate::builder().build();
    let state = HydrationState::new(&serde_json::json!({"page": 1})).expect("state");
    c.bench_function("page_build/build_60kb", |b| {
        b.iter(|| {
            let (status, html) = template
                .render_page(black_box(&result), &state)
                .expect("renders");
            black_box(Page::builder(html).status(status).build())
        })
    });

    let (jobs, queue) = flume::unbounded::<flume::Sender<u32>>();
    let echo = std::thread::spawn(move || {
        queue.iter().for_each(|reply| {
            // The measuring side always waits for the answer.
            let _ = reply.send(1);
        })
    });
    c.bench_function("page_build/hop", |b| {
        b.iter(|| {
            let (reply, answer) = flume::bounded(1);
            jobs.send(reply).expect("echo thread");
            futures_executor::block_on(answer.recv_async()).expect("answer")
        })
    });
    drop(jobs);
    echo.join().expect("echo thread");
}

criterion_group!(benches, page_build);
criterion_main!(benches);
