//! Measures what the finisher thread takes off the HTTP worker: assembling and
//! pre-compressing a 60 KB page. Run with
//! `cargo test --release -p hiver-ssr --test handler_measure -- --nocapture`.
#![cfg(feature = "framework")]

use std::time::{Duration, Instant};

use hiver_ssr::RenderResult;
use hiver_ssr::cache::Page;
use hiver_ssr::document::{DocumentTemplate, HydrationState};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

#[test]
fn page_build_cost_vs_channel_hop() {
    let rows: String = (0..1200)
        .map(|i| format!("<li class=\"item\"><a href=\"/p/{i}\">Product {i}</a></li>"))
        .collect();
    let result = RenderResult {
        html: format!("<ul>{rows}</ul>"),
        head: "<title>list</title>".into(),
        status: 200,
    };
    assert!(result.html.len() > 50_000);
    let template = DocumentTemplate::builder().build();
    let state = HydrationState::new(&serde_json::json!({"page": 1})).unwrap();
    let build = || {
        let (status, html) = template.render_page(&result, &state).unwrap();
        Page::builder(html).status(status).build()
    };
    let page_build = median(
        (0..15)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(build());
                t.elapsed()
            })
            .collect(),
    );
    // What the worker pays instead: a send to another thread and an async receive.
    let (jobs, queue) = flume::unbounded::<flume::Sender<u32>>();
    let echo = std::thread::spawn(move || {
        queue.iter().for_each(|reply| {
            // The measuring side always waits for the answer.
            let _ = reply.send(1);
        })
    });
    let hop = median(
        (0..200)
            .map(|_| {
                let t = Instant::now();
                let (reply, answer) = flume::bounded(1);
                jobs.send(reply).unwrap();
                futures_executor::block_on(answer.recv_async()).unwrap();
                t.elapsed()
            })
            .collect(),
    );
    drop(jobs);
    echo.join().unwrap();
    println!(
        "60 KB page: assemble + br/gzip + etag {page_build:?} (median); finisher hop {hop:?} (median)"
    );
    assert!(
        page_build > hop,
        "building a page costs more than handing it off"
    );
}
