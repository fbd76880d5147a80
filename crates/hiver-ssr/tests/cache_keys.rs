//! Keys through the whole cache: props, declared query parameters and variants separate
//! entries; undeclared parameters and path spellings do not.

mod cache_support;

use std::time::Duration;

use cache_support::Renders;
use futures_executor::block_on;
use hiver_ssr::cache::{CacheKey, CachePolicy, Outcome, PageCache};
use http::{HeaderMap, Method};
use serde_json::json;

fn key(path: &str, query: &str, props: serde_json::Value, variant: &str) -> CacheKey {
    CacheKey::builder(&Method::GET, path)
        .query(Some(query), &["page", "sort"])
        .props_json(&props)
        .variant(variant)
        .build()
        .unwrap()
}

fn outcome(cache: &PageCache, renders: &Renders, k: &CacheKey) -> Outcome {
    let w = cache.worker();
    let r = renders.ok("p", Duration::from_millis(1));
    block_on(w.serve(k, &CachePolicy::default(), &HeaderMap::new(), r))
        .unwrap()
        .outcome()
}

#[test]
fn different_props_never_share_an_entry() {
    let cache = PageCache::default();
    let renders = Renders::default();
    let a = key("/user", "", json!({"id": 1}), "");
    let b = key("/user", "", json!({"id": 2}), "");
    assert_eq!(outcome(&cache, &renders, &a), Outcome::Miss);
    assert_eq!(outcome(&cache, &renders, &b), Outcome::Miss);
    assert_eq!(outcome(&cache, &renders, &a), Outcome::HitL2);
    assert_eq!(renders.count(), 2);
}

#[test]
fn undeclared_query_params_are_ignored_declared_ones_distinguish() {
    let cache = PageCache::default();
    let renders = Renders::default();
    let base = key("/list", "page=2&sort=new", json!(null), "");
    assert_eq!(outcome(&cache, &renders, &base), Outcome::Miss);
    for same in [
        "sort=new&page=2&utm_source=mail",
        "page=2&fbclid=x&sort=new",
    ] {
        assert_eq!(
            outcome(&cache, &renders, &key("/list/", same, json!(null), "")),
            Outcome::HitL2
        );
    }
    assert_eq!(
        outcome(
            &cache,
            &renders,
            &key("/list", "page=3&sort=new", json!(null), "")
        ),
        Outcome::Miss
    );
    assert_eq!(
        outcome(&cache, &renders, &key("/list", "page=2", json!(null), "")),
        Outcome::Miss
    );
    assert_eq!(renders.count(), 3);
}

#[test]
fn variants_and_path_spellings() {
    let cache = PageCache::default();
    let renders = Renders::default();
    assert_eq!(
        outcome(&cache, &renders, &key("/a/b", "", json!(null), "en")),
        Outcome::Miss
    );
    assert_eq!(
        outcome(&cache, &renders, &key("/a/b", "", json!(null), "de")),
        Outcome::Miss
    );
    assert_eq!(
        outcome(&cache, &renders, &key("//a/%62/", "", json!(null), "en")),
        Outcome::HitL2
    );
    assert_eq!(
        outcome(&cache, &renders, &key("/A/b", "", json!(null), "en")),
        Outcome::Miss
    );
}
