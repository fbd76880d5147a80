//! The hydration state cannot break out of its script element and round-trips exactly.

use hiver_ssr::document::{DocumentTemplate, HydrationState};
use proptest::prelude::*;
use serde_json::{Value, json};

const OPEN: &str = r#"<script id="__HIVER_STATE__" type="application/json">"#;

/// What a browser would hand to `JSON.parse`: the text from the state element's opening tag
/// to the first `</script` after it (where the HTML parser ends the element).
fn embedded_state(page: &[u8]) -> &str {
    let page = std::str::from_utf8(page).expect("documents are UTF-8");
    let start = page.find(OPEN).expect("every document has a state element") + OPEN.len();
    let len = page[start..]
        .find("</script")
        .expect("the element is closed");
    &page[start..start + len]
}

fn assert_contained(value: &Value, page: &[u8]) {
    let text = embedded_state(page);
    assert!(
        page.ends_with(format!("{text}</script></body></html>").as_bytes()),
        "the state ended its element early: {text}"
    );
    assert!(!text.contains("</") && !text.contains("<!--"), "{text}");
    let back: Value = serde_json::from_str(text).expect("the embedded state is JSON");
    assert_eq!(&back, value);
    let original = serde_json::to_vec(value).expect("Value always serializes");
    let reserialized = serde_json::to_vec(&back).expect("Value always serializes");
    assert_eq!(original, reserialized, "not byte-for-byte equal");
}

fn page_with(value: &Value) -> bytes::Bytes {
    let state = HydrationState::new(value).expect("Value always serializes");
    DocumentTemplate::builder()
        .build()
        .assemble("", "<p>x</p>", &state)
}

#[test]
fn hostile_strings_stay_inside_the_element() {
    let hostile = json!({
        "close": "</script><script>alert(1)</script>",
        "upper": "</SCRIPT ><ScRiPt>alert(1)</sCrIpT>",
        "comment": "<!-- <script>",
        "open": "<script",
        "lines": "a\u{2028}b\u{2029}c",
        "entity": "&amp; &lt; &#x3C;",
        "</script>": ["-->", "<![CDATA[", "\u{0}\u{1f}\"\\"],
    });
    let page = page_with(&hostile);
    assert_contained(&hostile, &page);
    let text = embedded_state(&page);
    assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
    assert!(!text.contains('\u{2028}') && !text.contains('\u{2029}'));
    assert!(text.contains(r#""close":"\u003c/script\u003e\u003cscript\u003ealert(1)"#));
}

#[test]
fn prebuilt_json_text_is_escaped_the_same_way() {
    let value = json!({ "close": "</script>", "line": "\u{2028}", "amp": "&" });
    let text = serde_json::to_string_pretty(&value).expect("Value always serializes");
    let state = HydrationState::from_json(&text).expect("valid JSON");
    let page = DocumentTemplate::builder().build().shell(&state, "");
    let embedded = embedded_state(&page);
    assert!(!embedded.contains('<') && !embedded.contains('\u{2028}'));
    let back: Value = serde_json::from_str(embedded).expect("embedded state is JSON");
    assert_eq!(back, value);
}

#[test]
fn invalid_json_text_is_refused() {
    for bad in ["", "{", "{\"a\":1}}", "'a'", "</script>", "{\"a\": 1} <!--"] {
        let err = HydrationState::from_json(bad).unwrap_err();
        assert!(err.is_state() && !err.is_status(), "{bad:?}");
    }
}

#[test]
fn any_serialize_type_works() {
    #[derive(serde::Serialize)]
    struct Props<'a> {
        title: &'a str,
        ids: Vec<u32>,
    }
    let state = HydrationState::new(&Props {
        title: "<b>",
        ids: vec![1, 2],
    })
    .expect("serializable");
    assert_eq!(
        state.as_bytes(),
        br#"{"title":"\u003cb\u003e","ids":[1,2]}"#
    );
}

/// Strings made mostly of the pieces that break script elements, mixed with any character.
fn hostile_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("</script>".to_owned()),
        Just("</".to_owned()),
        Just("<!--".to_owned()),
        Just("-->".to_owned()),
        Just("<script".to_owned()),
        Just("\u{2028}".to_owned()),
        Just("\u{2029}".to_owned()),
        Just("&amp;".to_owned()),
        Just("\\u003c".to_owned()),
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

proptest! {
    #[test]
    fn arbitrary_strings_round_trip(key in any::<String>(), value in any::<String>()) {
        let state = json!({ key: value.clone(), "list": [value] });
        assert_contained(&state, &page_with(&state));
    }

    #[test]
    fn hostile_strings_round_trip(key in hostile_string(), value in hostile_string()) {
        let state = json!({ key: [value.clone(), { "nested": value }] });
        assert_contained(&state, &page_with(&state));
    }
}
