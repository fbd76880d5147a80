//! Fuzzer-chosen route patterns into a `hiver::Router`, then fuzzer-chosen paths and
//! methods through `Router::match_route`, which must never panic.
//!
//! `Router::route` panics on a pattern it refuses (by design: routes are built at start
//! up), and libFuzzer turns any panic into a crash, so the target mirrors the router's
//! table in a `matchit::Router` and skips the patterns that table refuses. It also checks
//! that every match names a pattern that was routed, that the mirror agrees on which
//! pattern matched, and that a routed method is allowed.
//!
//! Strings are spelled from a small alphabet of routing tokens (`/`, `{id}`, `{*rest}`,
//! `%2F`, …) plus single characters, so the fuzzer reaches parameters and catch-alls
//! quickly.
#![no_main]

use std::collections::HashSet;

use arbitrary::{Result, Unstructured};
use hiver::Router;
use hiver::http::Method;
use hiver::routing::{MethodRouter, on};
use libfuzzer_sys::fuzz_target;

const TOKENS: &[&str] = &[
    "/", "/", "/", "{", "}", "{*", "{id}", "{*rest}", "{a}", "{b}", "users", "a", "b", ".", "..",
    "%", "%2F", "%20", "%ff", "%C3%A9", "{{", "}}", ":", "*", "-", "é", "//", "?", "#", "\\", "\0",
];

const METHODS: &[Method] = &[
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::PATCH,
    Method::HEAD,
    Method::OPTIONS,
    Method::TRACE,
];

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    // Running out of input ends the case early; what was built so far is still checked.
    let _ = run(&mut u);
});

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let mut router: Router = Router::new();
    let mut mirror = matchit::Router::new();
    let mut routed: Vec<(String, Method)> = Vec::new();
    let mut seen = HashSet::new();
    for _ in 0..u.int_in_range(0..=12)? {
        let method = u.choose(METHODS)?.clone();
        let pattern = spell(u)?;
        // The rules `Router::route` enforces with a panic: a leading `/`, a pattern the
        // table accepts, and (for a path routed again) no method routed twice; one
        // method per distinct pattern keeps clear of the last.
        if !pattern.starts_with('/') || !seen.insert(pattern.clone()) {
            continue;
        }
        // Tried on a copy: a refused insert can leave matchit 0.9.2's tree changed (a later
        // conflicting pattern is then accepted), and hiver's table never sees refusals.
        let mut trial = mirror.clone();
        if trial.insert(pattern.as_str(), routed.len()).is_err() {
            continue;
        }
        mirror = trial;
        router = router.route(&pattern, handler(method.clone()));
        routed.push((pattern, method));
    }
    while !u.is_empty() {
        let method = u.choose(METHODS)?;
        let path = spell(u)?;
        check(&router, &mirror, &routed, method, &path);
    }
    Ok(())
}

fn handler(method: Method) -> MethodRouter {
    on(method, || async { "matched" })
}

fn check(
    router: &Router,
    mirror: &matchit::Router<usize>,
    routed: &[(String, Method)],
    method: &Method,
    path: &str,
) {
    let found = router.match_route(method, path);
    let expected = mirror.at(path).ok().map(|m| &routed[*m.value]);
    match (found, expected) {
        (None, None) => {}
        (Some(m), Some((pattern, routed_method))) => {
            assert_eq!(
                m.pattern(),
                pattern,
                "router and mirror matched other routes"
            );
            // `HEAD` is answered from `GET`, so it may be allowed without being routed.
            if method == routed_method {
                assert!(
                    m.is_method_allowed(),
                    "{method} routed on {pattern} but refused"
                );
            }
            // Names are not compared with the pattern text: matchit reads `/{id}}{id}` as
            // one parameter named `id}{id`.
            if let Some(params) = m.params() {
                assert!(
                    params.len() <= pattern.matches('{').count(),
                    "{path:?} matched {pattern:?} with parameters {params:?}"
                );
            }
        }
        (found, expected) => panic!(
            "{path:?}: router matched {:?}, mirror {:?}",
            found.map(|m| m.pattern()),
            expected.map(|(p, _)| p)
        ),
    }
}

/// A string of up to 16 tokens or characters.
fn spell(u: &mut Unstructured<'_>) -> Result<String> {
    let mut s = String::new();
    for _ in 0..u.int_in_range(0..=16)? {
        let b = u.arbitrary::<u8>()?;
        match TOKENS.get(usize::from(b)) {
            Some(token) => s.push_str(token),
            None => s.push(char::from(b)),
        }
    }
    Ok(s)
}
