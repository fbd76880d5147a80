//! TTL, stale-while-revalidate and stale-if-error, driven by a manual clock.

mod cache_support;

use std::time::Duration;

use cache_support::{ManualClock, Renders, cache_with, key};
use futures_executor::block_on;
use hiver_ssr::cache::{CachePolicy, Outcome};
use http::HeaderMap;

const FAST: Duration = Duration::from_millis(1);

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn ttl_expiry_renders_again_in_l1_and_l2() {
    let clock = ManualClock::new();
    let cache = cache_with(&clock);
    let (a, b) = (cache.worker(), cache.worker());
    let renders = Renders::default();
    let (k, h) = (key("/ttl"), HeaderMap::new());
    let policy = CachePolicy::builder().ttl(secs(10)).build();
    let serve = |w: &hiver_ssr::cache::WorkerCache| {
        block_on(w.serve(&k, &policy, &h, renders.ok("p", FAST))).unwrap()
    };
    assert_eq!(serve(&a).outcome(), Outcome::Miss);
    assert_eq!(serve(&b).outcome(), Outcome::HitL2);
    clock.advance(secs(9));
    assert_eq!(serve(&a).outcome(), Outcome::HitL1);
    assert_eq!(serve(&b).outcome(), Outcome::HitL1);
    clock.advance(secs(1));
    // Expired in both levels: neither worker's L1 may serve it.
    let fresh = serve(&b);
    assert_eq!(fresh.outcome(), Outcome::Miss);
    assert_eq!(fresh.page().html(), "p#2");
    assert_eq!(serve(&a).outcome(), Outcome::HitL2);
    assert_eq!(renders.count(), 2);
}

#[test]
fn swr_serves_stale_and_refreshes_exactly_once() {
    let clock = ManualClock::new();
    let cache = cache_with(&clock);
    let (a, b) = (cache.worker(), cache.worker());
    let renders = Renders::default();
    let (k, h) = (key("/swr"), HeaderMap::new());
    let policy = CachePolicy::builder().ttl(secs(10)).swr(secs(30)).build();
    let _ = block_on(a.serve(&k, &policy, &h, renders.ok("p", FAST))).unwrap();
    clock.advance(secs(15));

    let mut first = block_on(a.serve(&k, &policy, &h, renders.ok("p", FAST))).unwrap();
    assert_eq!(first.outcome(), Outcome::Stale);
    assert_eq!(first.page().html(), "p#1");
    let refresh = first.take_refresh().expect("the first stale hit refreshes");
    // While the refresh runs, every other request (any worker) gets the stale page, no refresh.
    for w in [&a, &b, &a] {
        let mut again = block_on(w.serve(&k, &policy, &h, renders.ok("p", FAST))).unwrap();
        assert_eq!(again.outcome(), Outcome::Stale);
        assert!(again.take_refresh().is_none());
    }
    assert_eq!(renders.count(), 1, "the refresh has not run yet");
    block_on(refresh);
    assert_eq!(renders.count(), 2);
    let after = block_on(b.serve(&k, &policy, &h, renders.ok("p", FAST))).unwrap();
    assert_eq!(after.outcome(), Outcome::HitL2);
    assert_eq!(after.page().html(), "p#2");
    let m = cache.metrics();
    assert_eq!((m.stale_served, m.renders), (4, 2));
}

#[test]
fn dropped_refresh_lets_the_next_stale_hit_refresh() {
    let clock = ManualClock::new();
    let cache = cache_with(&clock);
    let w = cache.worker();
    let renders = Renders::default();
    let (k, h) = (key("/swr-drop"), HeaderMap::new());
    let policy = CachePolicy::builder().ttl(secs(1)).swr(secs(30)).build();
    let _ = block_on(w.serve(&k, &policy, &h, renders.ok("p", FAST))).unwrap();
    clock.advance(secs(2));
    let first = block_on(w.serve(&k, &policy, &h, renders.ok("p", FAST))).unwrap();
    drop(first);
    let mut second = block_on(w.serve(&k, &policy, &h, renders.ok("p", FAST))).unwrap();
    assert!(second.take_refresh().is_some());
}

#[test]
fn stale_if_error_serves_the_old_page_when_the_render_fails() {
    let clock = ManualClock::new();
    let cache = cache_with(&clock);
    let w = cache.worker();
    let renders = Renders::default();
    let (k, h) = (key("/sie"), HeaderMap::new());
    let policy = CachePolicy::builder()
        .ttl(secs(10))
        .stale_if_error(secs(60))
        .build();
    let _ = block_on(w.serve(&k, &policy, &h, renders.ok("p", FAST))).unwrap();
    clock.advance(secs(30));
    let served = block_on(w.serve(&k, &policy, &h, renders.failing(FAST))).unwrap();
    assert_eq!(served.outcome(), Outcome::StaleOnError);
    assert_eq!(served.page().html(), "p#1");
    // A successful render replaces it.
    let served = block_on(w.serve(&k, &policy, &h, renders.ok("p", FAST))).unwrap();
    assert_eq!(served.outcome(), Outcome::Miss);
    assert_eq!(served.page().html(), "p#3");
    // Past the window, a failure is an error.
    clock.advance(secs(100));
    assert!(block_on(w.serve(&k, &policy, &h, renders.failing(FAST))).is_err());
    let m = cache.metrics();
    assert_eq!((m.stale_on_error, m.errors_not_cached), (1, 2));
}

#[test]
fn failed_background_refresh_keeps_serving_stale() {
    let clock = ManualClock::new();
    let cache = cache_with(&clock);
    let w = cache.worker();
    let renders = Renders::default();
    let (k, h) = (key("/swr-fail"), HeaderMap::new());
    let policy = CachePolicy::builder().ttl(secs(1)).swr(secs(30)).build();
    let _ = block_on(w.serve(&k, &policy, &h, renders.ok("p", FAST))).unwrap();
    clock.advance(secs(2));
    let mut stale = block_on(w.serve(&k, &policy, &h, renders.failing(FAST))).unwrap();
    block_on(stale.take_refresh().unwrap());
    let mut again = block_on(w.serve(&k, &policy, &h, renders.ok("p", FAST))).unwrap();
    assert_eq!(again.outcome(), Outcome::Stale);
    assert_eq!(again.page().html(), "p#1");
    block_on(
        again
            .take_refresh()
            .expect("the failure was not cached, so refresh again"),
    );
    assert_eq!(renders.count(), 3);
}

#[test]
fn no_store_routes_always_render() {
    let cache = cache_support::cache_with(&ManualClock::new());
    let w = cache.worker();
    let renders = Renders::default();
    let (k, h) = (key("/live"), HeaderMap::new());
    for _ in 0..3 {
        let s = block_on(w.serve(&k, &CachePolicy::no_store(), &h, renders.ok("p", FAST))).unwrap();
        assert_eq!(s.outcome(), Outcome::Bypass);
    }
    assert_eq!(renders.count(), 3);
    assert_eq!(w.l1_len(), 0);
}
