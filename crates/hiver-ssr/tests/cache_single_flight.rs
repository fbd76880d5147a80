//! Single flight: concurrent misses on one key render once, on one worker or across workers;
//! errors reach every waiter and are never cached.

mod cache_support;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use cache_support::{Renders, key};
use futures_executor::block_on;
use futures_util::future::join_all;
use hiver_ssr::cache::{CachePolicy, Outcome, PageCache};
use http::HeaderMap;

const SLOW: Duration = Duration::from_millis(80);

#[test]
fn fifty_concurrent_misses_on_one_worker_render_once() {
    let cache = PageCache::default();
    let worker = cache.worker();
    let renders = Renders::default();
    let (k, policy, headers) = (key("/hot"), CachePolicy::default(), HeaderMap::new());
    let lookups = (0..50).map(|_| worker.serve(&k, &policy, &headers, renders.ok("hot", SLOW)));
    let results = block_on(join_all(lookups));
    assert_eq!(renders.count(), 1);
    let outcomes: Vec<_> = results
        .iter()
        .map(|r| r.as_ref().unwrap().outcome())
        .collect();
    assert_eq!(outcomes.iter().filter(|o| **o == Outcome::Miss).count(), 1);
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == Outcome::Coalesced)
            .count(),
        49
    );
    let first = results[0].as_ref().unwrap().page().html().clone();
    assert!(
        results
            .iter()
            .all(|r| r.as_ref().unwrap().page().html() == &first)
    );
    let m = cache.metrics();
    assert_eq!((m.renders, m.misses, m.coalesced), (1, 50, 49));
}

#[test]
fn fifty_concurrent_misses_across_workers_render_once() {
    let cache = PageCache::default();
    let renders = Renders::default();
    let start = Arc::new(Barrier::new(5));
    let threads: Vec<_> = (0..5)
        .map(|_| {
            let (cache, renders, start) = (cache.clone(), renders.clone(), start.clone());
            std::thread::spawn(move || {
                let worker = cache.worker();
                let (k, policy, headers) = (key("/hot"), CachePolicy::default(), HeaderMap::new());
                start.wait();
                let lookups =
                    (0..10).map(|_| worker.serve(&k, &policy, &headers, renders.ok("hot", SLOW)));
                let results = block_on(join_all(lookups));
                let outcomes: Vec<Outcome> =
                    results.into_iter().map(|r| r.unwrap().outcome()).collect();
                // Afterwards this worker answers from its own L1.
                let again = block_on(worker.serve(&k, &policy, &headers, renders.ok("x", SLOW)));
                (outcomes, again.unwrap().outcome())
            })
        })
        .collect();
    let mut misses = 0;
    for t in threads {
        let (outcomes, again) = t.join().unwrap();
        misses += outcomes.iter().filter(|o| **o == Outcome::Miss).count();
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o, Outcome::Miss | Outcome::Coalesced | Outcome::HitL2))
        );
        assert_eq!(again, Outcome::HitL1);
    }
    assert_eq!(renders.count(), 1);
    assert_eq!(misses, 1);
}

#[test]
fn errors_reach_every_waiter_and_are_not_cached() {
    let cache = PageCache::default();
    let worker = cache.worker();
    let renders = Renders::default();
    let (k, policy, headers) = (key("/broken"), CachePolicy::default(), HeaderMap::new());
    let lookups = (0..50).map(|_| worker.serve(&k, &policy, &headers, renders.failing(SLOW)));
    let results = block_on(join_all(lookups));
    assert_eq!(renders.count(), 1);
    assert!(results.iter().all(Result::is_err));
    let coalesced = results
        .iter()
        .filter(|r| r.as_ref().unwrap_err().is_coalesced())
        .count();
    assert_eq!(coalesced, 49);
    let err = results.into_iter().next().unwrap().unwrap_err();
    assert_eq!(err.render_error().to_string(), "render blew up");
    assert_eq!(cache.metrics().errors_not_cached, 1);

    // The next request renders again, and its success is cached.
    let ok = block_on(worker.serve(&k, &policy, &headers, renders.ok("fixed", SLOW))).unwrap();
    assert_eq!(ok.outcome(), Outcome::Miss);
    assert_eq!(renders.count(), 2);
    let hit = block_on(worker.serve(&k, &policy, &headers, renders.failing(SLOW))).unwrap();
    assert_eq!(hit.outcome(), Outcome::HitL1);
    assert_eq!(renders.count(), 2);
}

#[test]
fn cancelled_leader_hands_over_to_a_waiter() {
    use futures_util::FutureExt;
    let cache = PageCache::default();
    let worker = cache.worker();
    let renders = Renders::default();
    let (k, policy, headers) = (key("/cancel"), CachePolicy::default(), HeaderMap::new());
    let mut leader = Box::pin(worker.serve(&k, &policy, &headers, renders.ok("a", SLOW)));
    // Poll once so it takes the lead, then cancel it as a disconnecting client would.
    assert!(leader.as_mut().now_or_never().is_none());
    let waiter = worker.serve(&k, &policy, &headers, renders.ok("b", SLOW));
    let mut waiter = Box::pin(waiter);
    assert!(waiter.as_mut().now_or_never().is_none());
    drop(leader);
    let served = block_on(waiter).unwrap();
    assert_eq!(served.outcome(), Outcome::Miss);
    assert_eq!(renders.count(), 2);
}
