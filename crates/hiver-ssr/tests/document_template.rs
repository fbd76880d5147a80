//! Whole documents from the template: layout, shell, status, and the cost of assembly.

use std::time::{Duration, Instant};

use hiver_ssr::RenderResult;
use hiver_ssr::document::{
    CLIENT_STATE_READER, DocumentTemplate, HydrationState, Manifest, STATE_ELEMENT_ID,
    render_status,
};
use http::StatusCode;
use serde_json::json;

fn template() -> DocumentTemplate {
    let manifest = Manifest::from_str(
        r#"{
          "src/main.tsx": {"file": "assets/main.js", "isEntry": true,
                           "imports": ["_v.js"], "css": ["assets/main.css"]},
          "_v.js": {"file": "assets/v.js"}
        }"#,
    )
    .expect("valid manifest");
    DocumentTemplate::builder()
        .lang("de")
        .root_id("root")
        .head_html(r#"<link rel="icon" href="/favicon.ico">"#)
        .assets(
            manifest
                .asset_tags("src/main.tsx", "/")
                .expect("entry exists"),
        )
        .build()
}

fn page(html: &str, status: u16) -> RenderResult {
    RenderResult {
        html: html.to_owned(),
        head: "<title>Home</title>".to_owned(),
        status,
    }
}

#[test]
fn document_has_the_documented_layout() {
    let state = HydrationState::new(&json!({ "n": 1 })).expect("serializable");
    let (status, body) = template()
        .render_page(&page("<h1>Hi</h1>", 200), &state)
        .expect("valid status");
    assert_eq!(status, StatusCode::OK);
    let expected = concat!(
        r#"<!doctype html><html lang="de"><head><meta charset="utf-8">"#,
        r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#,
        r#"<link rel="icon" href="/favicon.ico">"#,
        "<title>Home</title>",
        r#"<link rel="stylesheet" href="/assets/main.css">"#,
        r#"<link rel="modulepreload" href="/assets/v.js">"#,
        r#"<script type="module" src="/assets/main.js"></script>"#,
        r#"</head><body><div id="root"><h1>Hi</h1></div>"#,
        r#"<script id="__HIVER_STATE__" type="application/json">{"n":1}</script>"#,
        "</body></html>",
    );
    assert_eq!(std::str::from_utf8(&body).expect("UTF-8"), expected);
}

#[test]
fn defaults_are_en_and_app_without_assets() {
    let body = DocumentTemplate::builder()
        .build()
        .assemble("", "x", &HydrationState::null());
    let body = std::str::from_utf8(&body).expect("UTF-8");
    assert!(body.starts_with(r#"<!doctype html><html lang="en"><head>"#));
    assert!(body.contains(r#"<div id="app">x</div>"#));
    assert!(!body.contains("<link") && !body.contains("type=\"module\""));
    assert!(body.contains(r#"type="application/json">null</script>"#));
}

#[test]
fn shell_is_the_document_with_an_empty_root() {
    let template = template();
    let state = HydrationState::new(&json!({ "user": "ada" })).expect("serializable");
    let (_, full) = template
        .render_page(&page("<h1>Hi</h1>", 200), &state)
        .expect("valid status");
    let shell = template.shell(&state, "<title>Home</title>");
    let full = std::str::from_utf8(&full).expect("UTF-8");
    assert_eq!(
        std::str::from_utf8(&shell).expect("UTF-8"),
        full.replace("<h1>Hi</h1>", "")
    );
    let needle = br#"<div id="root"></div>"#;
    assert!(shell.windows(needle.len()).any(|w| w == needle));
    let (status, bytes) = template.shell_response(StatusCode::SERVICE_UNAVAILABLE, &state, "");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(bytes.len(), shell.len() - "<title>Home</title>".len());
}

#[test]
fn render_status_is_passed_through_or_refused() {
    let template = template();
    let state = HydrationState::null();
    let (status, _) = template
        .render_page(&page("gone", 404), &state)
        .expect("404 is valid");
    assert_eq!(status, StatusCode::NOT_FOUND);
    for bad in [0, 42, 600, 1000] {
        let err = template.render_page(&page("x", bad), &state).unwrap_err();
        assert!(err.is_status() && !err.is_state());
        assert_eq!(err.rejected_status(), Some(bad));
        assert!(err.to_string().contains(&bad.to_string()), "{err}");
    }
    assert_eq!(render_status(302).ok(), Some(StatusCode::FOUND));
}

#[test]
fn client_reader_names_the_state_element() {
    assert!(CLIENT_STATE_READER.contains(STATE_ELEMENT_ID));
    assert!(CLIENT_STATE_READER.starts_with("JSON.parse(document.getElementById("));
}

#[test]
fn static_len_accounts_for_every_fixed_byte() {
    let template = template();
    let body = template.assemble("", "", &HydrationState::new(&json!(1)).expect("ok"));
    assert_eq!(body.len(), template.static_len() + 1);
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

/// Prints the cost of assembling a page around a 60 KB body next to a `format!` of the same
/// page. No assertion on time: run with
/// `cargo test --release -p hiver-ssr --test document_template -- --ignored --nocapture`.
#[test]
#[ignore = "measurement; prints timings"]
fn measure_assembly_of_a_60kb_page() {
    let template = template();
    let html = "<li class=\"item\">Lorem ipsum dolor sit amet</li>".repeat(60 * 1024 / 46);
    let props = json!({ "items": (0..200).map(|i| format!("item {i} <b>")).collect::<Vec<_>>() });
    let state = HydrationState::new(&props).expect("serializable");
    let head = "<title>Items</title><meta name=\"description\" content=\"a list\">";
    let rounds = 2_000;
    let (mut assembled, mut formatted) = (Vec::new(), Vec::new());
    let mut total = 0;
    for _ in 0..rounds {
        let start = Instant::now();
        let page = template.assemble(head, &html, &state);
        assembled.push(start.elapsed());
        total += page.len();
        let start = Instant::now();
        let naive = format!(
            "<!doctype html><html lang=\"de\"><head><meta charset=\"utf-8\">{head}</head><body><div id=\"root\">{html}</div><script id=\"__HIVER_STATE__\" type=\"application/json\">{}</script></body></html>",
            std::str::from_utf8(state.as_bytes()).expect("UTF-8")
        );
        formatted.push(start.elapsed());
        total += naive.len();
    }
    let size = template.assemble(head, &html, &state).len();
    println!(
        "page {size} bytes (html {} B, state {} B): assemble median {:?}, format! median {:?} ({total} bytes built)",
        html.len(),
        state.as_bytes().len(),
        median(assembled),
        median(formatted),
    );
    let start = Instant::now();
    for _ in 0..rounds {
        HydrationState::new(&props).expect("serializable");
    }
    println!(
        "hydration state of {} B: serialize + escape {:?} per page",
        state.as_bytes().len(),
        start.elapsed() / rounds
    );
}
