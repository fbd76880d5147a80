//! The cache on Hiver's thread-per-core runtimes: `!Send` render closures, renders completing
//! on other threads, single flight across two runtimes, and a background refresh spawned
//! locally.

mod cache_support;

use std::rc::Rc;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use cache_support::{ManualClock, cache_with, from_thread, key};
use hiver_ssr::cache::{CachePolicy, Destination, Outcome, Page, PageCache};
use http::HeaderMap;

/// A render closure holding worker-local (`Rc`) state, finished by another thread.
fn rc_render(
    label: Rc<String>,
    renders: Arc<std::sync::atomic::AtomicUsize>,
) -> impl Fn(Destination<'_>) -> std::pin::Pin<Box<dyn Future<Output = Result<Page, std::io::Error>>>>
{
    move |_| {
        let n = renders.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let html = format!("{label} #{n}");
        Box::pin(from_thread(Duration::from_millis(50), move || {
            Ok(Page::builder(html).build())
        }))
    }
}

#[test]
fn single_flight_across_two_runtime_workers() {
    let cache = PageCache::default();
    let renders = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(2));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (cache, renders, start) = (cache.clone(), renders.clone(), start.clone());
            std::thread::spawn(move || {
                let runtime = hiver_runtime::Runtime::new().unwrap();
                runtime.block_on(async move {
                    let worker = Rc::new(cache.worker());
                    let label = Rc::new("page".to_owned());
                    start.wait();
                    let tasks: Vec<_> = (0..20)
                        .map(|_| {
                            let (worker, render) =
                                (worker.clone(), rc_render(label.clone(), renders.clone()));
                            hiver_runtime::spawn(async move {
                                let served = worker
                                    .serve(
                                        &key("/rc"),
                                        &CachePolicy::default(),
                                        &HeaderMap::new(),
                                        render,
                                    )
                                    .await
                                    .unwrap();
                                served.outcome()
                            })
                        })
                        .collect();
                    let mut outcomes = Vec::new();
                    for t in tasks {
                        outcomes.push(t.await);
                    }
                    outcomes
                })
            })
        })
        .collect();
    let outcomes: Vec<Outcome> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert_eq!(renders.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(outcomes.iter().filter(|o| **o == Outcome::Miss).count(), 1);
    assert_eq!(outcomes.len(), 40);
}

#[test]
fn refresh_is_spawned_on_the_worker() {
    let clock = ManualClock::new();
    let cache = cache_with(&clock);
    let runtime = hiver_runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let worker = cache.worker();
        let renders = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let label = Rc::new("swr".to_owned());
        let policy = CachePolicy::builder()
            .ttl(Duration::from_secs(1))
            .swr(Duration::from_secs(60))
            .build();
        let (k, h) = (key("/swr"), HeaderMap::new());
        let first = worker
            .serve(&k, &policy, &h, rc_render(label.clone(), renders.clone()))
            .await
            .unwrap();
        assert_eq!(first.outcome(), Outcome::Miss);
        clock.advance(Duration::from_secs(2));
        let mut stale = worker
            .serve(&k, &policy, &h, rc_render(label.clone(), renders.clone()))
            .await
            .unwrap();
        assert_eq!(stale.outcome(), Outcome::Stale);
        let refresh = hiver_runtime::spawn(stale.take_refresh().unwrap());
        refresh.await;
        let fresh = worker
            .serve(&k, &policy, &h, rc_render(label, renders.clone()))
            .await
            .unwrap();
        assert_eq!(fresh.outcome(), Outcome::HitL2);
        assert_eq!(fresh.page().html(), "swr #2");
    });
}
