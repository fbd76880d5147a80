//! The demo storefront's committed bundles (`examples/storefront/web/dist/<fw>/server.js`)
//! rendered by the render pool on every engine (QuickJS, and V8 with `--features v8`) give
//! byte-for-byte the output node gave for the same bundle and props
//! (`examples/storefront/web/expected/<fw>.json`, written by `check.mjs`), so the engines
//! also match each other.
//!
//! CI regenerates the node side with `node examples/storefront/web/check.mjs`, which exits
//! non-zero when node's output no longer matches `expected/`; together the two prove that
//! Hiver and node render the same bundle identically.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::every_engine::{Backend, every_engine};

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/storefront/web")
}

/// One `{ name, url, props, status, head, html }` record of `expected/<fw>.json`.
struct Case {
    name: String,
    url: String,
    props: Value,
    status: u16,
    head: String,
    html: String,
}

fn field<'a>(case: &'a Value, key: &str, fw: &str) -> &'a Value {
    case.get(key)
        .unwrap_or_else(|| panic!("expected/{fw}.json: a case has no `{key}`"))
}

fn text(case: &Value, key: &str, fw: &str) -> String {
    match field(case, key, fw).as_str() {
        Some(s) => s.to_owned(),
        None => panic!("expected/{fw}.json: `{key}` is not a string"),
    }
}

fn cases(fw: &str) -> Vec<Case> {
    let path = web_dir().join("expected").join(format!("{fw}.json"));
    let json = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} must be readable: {e}", path.display()));
    let all: Vec<Value> = serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("{} must be a JSON array: {e}", path.display()));
    all.iter()
        .map(|c| Case {
            name: text(c, "name", fw),
            url: text(c, "url", fw),
            props: field(c, "props", fw).clone(),
            status: field(c, "status", fw)
                .as_u64()
                .and_then(|s| u16::try_from(s).ok())
                .unwrap_or_else(|| panic!("expected/{fw}.json: `status` is not a u16")),
            head: text(c, "head", fw),
            html: text(c, "html", fw),
        })
        .collect()
}

/// Byte index of the first difference, with some context from both sides, so a failure
/// says where the outputs part rather than dumping 86 KB twice.
fn first_difference(got: &str, want: &str) -> Option<String> {
    let at = got
        .bytes()
        .zip(want.bytes())
        .position(|(a, b)| a != b)
        .or((got.len() != want.len()).then(|| got.len().min(want.len())))?;
    let window = |s: &str| {
        let mut start = at.saturating_sub(40).min(s.len());
        while !s.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (at + 40).min(s.len());
        while !s.is_char_boundary(end) {
            end += 1;
        }
        s[start..end].to_owned()
    };
    Some(format!(
        "byte {at} (lengths {} vs node {}): hiver …{}… node …{}…",
        got.len(),
        want.len(),
        window(got),
        window(want)
    ))
}

fn assert_matches_node(e: Backend, fw: &str) {
    let bundle = web_dir().join("dist").join(fw).join("server.js");
    // Two threads: the listing pages are the slow renders and can run side by side.
    let pool = e
        .pool()
        .threads(2)
        .build_file(&bundle)
        .unwrap_or_else(|e| panic!("{} must load: {e}", bundle.display()));
    let cases = cases(fw);
    assert!(cases.len() >= 7, "expected/{fw}.json lost cases");
    let pending: Vec<_> = cases
        .iter()
        .map(|c| match pool.submit(c.url.clone(), &c.props) {
            Ok(p) => p,
            Err(e) => panic!("{fw} {}: submit: {e}", c.name),
        })
        .collect();
    let mut failures = Vec::new();
    for (case, pending) in cases.iter().zip(pending) {
        let page = match pending.wait() {
            Ok(page) => page,
            Err(e) => panic!("{fw} {} ({}): render failed: {e}", case.name, case.url),
        };
        let label = format!("{fw} {} ({})", case.name, case.url);
        if page.result.status != case.status {
            failures.push(format!(
                "{label}: status {} vs node {}",
                page.result.status, case.status
            ));
        }
        if let Some(d) = first_difference(&page.result.head, &case.head) {
            failures.push(format!("{label}: head differs at {d}"));
        }
        if let Some(d) = first_difference(&page.result.html, &case.html) {
            failures.push(format!("{label}: html differs at {d}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn first_difference_reports_position_and_length() {
    assert_eq!(first_difference("abc", "abc"), None);
    let d = first_difference("abX", "abc").expect("differs");
    assert!(d.starts_with("byte 2 (lengths 3 vs node 3)"), "{d}");
    let d = first_difference("ab", "abc").expect("shorter differs");
    assert!(d.starts_with("byte 2 (lengths 2 vs node 3)"), "{d}");
}

every_engine! {
    fn preact_storefront_matches_node_byte_for_byte(e) {
        assert_matches_node(e, "preact");
    }

    fn react_storefront_matches_node_byte_for_byte(e) {
        assert_matches_node(e, "react");
    }
}
