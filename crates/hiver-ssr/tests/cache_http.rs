//! The HTTP-facing helpers and bounds: bypass rules, the L2 byte bound, Accept-Encoding
//! negotiation, ETag / If-None-Match, and the pre-compressed variants.

mod cache_support;

use std::io::Read;
use std::time::Duration;

use cache_support::{Renders, key};
use futures_executor::block_on;
use hiver_ssr::cache::{BypassRules, CachePolicy, Destination, Encoding, Outcome, Page, PageCache};
use http::HeaderMap;
use http::header::{ACCEPT_ENCODING, AUTHORIZATION, COOKIE, IF_NONE_MATCH};

const FAST: Duration = Duration::from_millis(1);

fn headers(pairs: &[(http::HeaderName, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (name, value) in pairs {
        h.append(name.clone(), value.parse().unwrap());
    }
    h
}

/// About 60 KB of server-rendered-looking HTML.
fn html_60k() -> String {
    let words = [
        "react",
        "hydrate",
        "component",
        "article",
        "lorem",
        "ipsum",
        "cache",
        "worker",
    ];
    let mut html = String::from("<!doctype html><html><head><title>t</title></head><body><ul>");
    let mut i: usize = 0;
    while html.len() < 60_000 {
        let w = words[i * 7 % words.len()];
        html.push_str(&format!(
            "<li class=\"row r{}\" data-id=\"{i}\"><a href=\"/p/{i}\">{w} {}</a></li>",
            i % 13,
            i * 31 % 997
        ));
        i += 1;
    }
    html.push_str("</ul></body></html>");
    html
}

#[test]
fn credentials_bypass_and_are_never_stored() {
    let cache = PageCache::default();
    let w = cache.worker();
    let renders = Renders::default();
    let (k, p) = (key("/me"), CachePolicy::default());
    for h in [
        headers(&[(AUTHORIZATION, "Bearer t")]),
        headers(&[(COOKIE, "a=1; session=s3cret")]),
    ] {
        let served = block_on(w.serve(&k, &p, &h, renders.ok("private", FAST))).unwrap();
        assert_eq!(served.outcome(), Outcome::Bypass);
    }
    // An anonymous request does not see the personalised renders.
    let anon = block_on(w.serve(&k, &p, &HeaderMap::new(), renders.ok("public", FAST))).unwrap();
    assert_eq!(anon.outcome(), Outcome::Miss);
    assert_eq!(anon.page().html(), "public#3");
    assert_eq!(cache.metrics().bypasses, 2);
}

#[test]
fn configured_cookie_bypasses() {
    let rules = BypassRules::builder().no_cookies().cookie("sid").build();
    let cache = PageCache::builder().bypass(rules).build();
    let w = cache.worker();
    let renders = Renders::default();
    let (k, p) = (key("/x"), CachePolicy::default());
    let sid = headers(&[(COOKIE, "sid=1")]);
    assert_eq!(
        block_on(w.serve(&k, &p, &sid, renders.ok("x", FAST)))
            .unwrap()
            .outcome(),
        Outcome::Bypass
    );
    let session = headers(&[(COOKIE, "session=1")]);
    assert_eq!(
        block_on(w.serve(&k, &p, &session, renders.ok("x", FAST)))
            .unwrap()
            .outcome(),
        Outcome::Miss
    );
}

#[test]
fn byte_bound_evicts() {
    let limit: u64 = 200_000;
    let cache = PageCache::builder()
        .l2_max_bytes(limit)
        .l1_max_entries(0)
        .build();
    let w = cache.worker();
    let body = "x".repeat(10_000);
    for i in 0..100 {
        let page = Page::builder(body.clone()).build();
        let render = move |_: Destination<'_>| {
            let page = page.clone();
            async move { Ok::<_, std::io::Error>(page) }
        };
        let _ = block_on(w.serve(
            &key(&format!("/p/{i}")),
            &CachePolicy::default(),
            &HeaderMap::new(),
            render,
        ));
    }
    cache.run_maintenance();
    let m = cache.metrics();
    assert!(
        m.bytes <= limit,
        "{} bytes held over a {limit} bound",
        m.bytes
    );
    assert!(m.evictions > 0);
    assert!(m.entries > 0 && m.entries < 100, "{} entries", m.entries);
}

#[test]
fn accept_encoding_negotiation_on_a_page() {
    let page = Page::builder(html_60k()).build();
    let pick = |v: &str| page.negotiate(&headers(&[(ACCEPT_ENCODING, v)]));
    assert_eq!(page.negotiate(&HeaderMap::new()), Some(Encoding::Identity));
    assert_eq!(pick("gzip, deflate, br, zstd"), Some(Encoding::Brotli));
    assert_eq!(pick("gzip;q=1, br;q=0.9"), Some(Encoding::Gzip));
    assert_eq!(pick("br;q=0"), Some(Encoding::Identity));
    assert_eq!(pick("identity;q=0, *;q=0"), None);
    assert_eq!(Encoding::Brotli.content_encoding(), Some("br"));
    assert_eq!(Encoding::Identity.content_encoding(), None);
}

#[test]
fn etag_and_if_none_match_decide_304() {
    let page = Page::builder(html_60k()).build();
    let etag = page.etag(Encoding::Brotli).to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'));
    let check =
        |inm: &str| page.is_not_modified(&headers(&[(IF_NONE_MATCH, inm)]), Encoding::Brotli);
    assert!(check(&etag));
    assert!(check(&format!("W/{etag}")));
    assert!(check(&format!("\"nope\", {etag}")));
    assert!(check("*"));
    assert!(!check("\"nope\""));
    assert!(!page.is_not_modified(&HeaderMap::new(), Encoding::Brotli));
    // Another body, another tag.
    let other = Page::builder(html_60k() + " ").build();
    assert!(!other.is_not_modified(&headers(&[(IF_NONE_MATCH, &etag)]), Encoding::Brotli));
}

#[test]
fn variants_are_byte_identical_when_decompressed() {
    let page = Page::builder(html_60k()).build();
    let br = page.variant(Encoding::Brotli).expect("60 KB compresses");
    let gz = page.variant(Encoding::Gzip).expect("60 KB compresses");
    assert!(br.len() < gz.len() && gz.len() < page.html().len());
    let mut plain = Vec::new();
    brotli::Decompressor::new(&br[..], 4096)
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, page.html().as_ref());
    plain.clear();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, page.html().as_ref());
}

#[test]
fn served_bodies_are_shared_not_copied() {
    let cache = PageCache::default();
    let w = cache.worker();
    let (k, p, h) = (key("/shared"), CachePolicy::default(), HeaderMap::new());
    let render =
        |_: Destination<'_>| async { Ok::<_, std::io::Error>(Page::builder(html_60k()).build()) };
    let a = block_on(w.serve(&k, &p, &h, render)).unwrap();
    let b = block_on(w.serve(&k, &p, &h, render)).unwrap();
    assert_eq!(
        a.page().body(Encoding::Brotli).as_ptr(),
        b.page().body(Encoding::Brotli).as_ptr()
    );
    assert_eq!(a.page().html().as_ptr(), b.page().html().as_ptr());
}

#[test]
fn metrics_track_l2_contents_through_purges() {
    let cache = PageCache::default();
    let w = cache.worker();
    let renders = Renders::default();
    for path in ["/a", "/b", "/c"] {
        let _ = block_on(w.serve(
            &key(path),
            &CachePolicy::default(),
            &HeaderMap::new(),
            renders.ok("p", FAST),
        ));
    }
    cache.run_maintenance();
    let m = cache.metrics();
    assert_eq!(m.entries, 3);
    assert!(m.bytes > 0);
    assert_eq!(cache.purge_path("/a").unwrap(), 1);
    cache.run_maintenance();
    assert_eq!(cache.metrics().entries, 2);
    cache.clear();
    cache.run_maintenance();
    let m = cache.metrics();
    assert_eq!((m.entries, m.bytes), (0, 0));
    assert_eq!((m.misses, m.renders), (3, 3));
}
