//! The two escapers of the document: HTML attribute values, and JSON text placed inside a
//! `<script>` element.

/// Appends `value` to `out` with the five HTML-significant characters replaced by entities,
/// so it is safe inside a double- or single-quoted attribute value and in text content.
pub(crate) fn escape_html_into(out: &mut String, value: &str) {
    let mut start = 0;
    for (i, byte) in value.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&value[start..i]);
        out.push_str(entity);
        start = i + 1;
    }
    out.push_str(&value[start..]);
}

/// [`escape_html_into`] into a new string.
pub(crate) fn escape_html(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    escape_html_into(&mut out, value);
    out
}

/// Appends the JSON text `json` to `out` with every character that could end a `<script>`
/// element or confuse a JavaScript parser written as a JSON unicode escape.
///
/// `<`, `>` and `&` cover `</script`, `<!--` and `-->` (the HTML parser's script states) and
/// entity look-alikes; U+2028 and U+2029 are line terminators to pre-ES2019 JavaScript. In
/// serde_json output these characters only ever occur inside string literals, where
/// `\u003c` and friends decode back to the same character, so `JSON.parse` of the escaped
/// text yields exactly the original value.
pub(crate) fn escape_json_into(out: &mut Vec<u8>, json: &[u8]) {
    let mut start = 0;
    let mut i = 0;
    while i < json.len() {
        let (escape, width): (&[u8], usize) = match json[i] {
            b'<' => (b"\\u003c", 1),
            b'>' => (b"\\u003e", 1),
            b'&' => (b"\\u0026", 1),
            // U+2028 and U+2029 are E2 80 A8 and E2 80 A9 in UTF-8.
            0xE2 if json.get(i + 1) == Some(&0x80) => match json.get(i + 2) {
                Some(0xA8) => (b"\\u2028", 3),
                Some(0xA9) => (b"\\u2029", 3),
                _ => {
                    i += 1;
                    continue;
                }
            },
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&json[start..i]);
        out.extend_from_slice(escape);
        i += width;
        start = i;
    }
    out.extend_from_slice(&json[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> String {
        let mut out = Vec::new();
        escape_json_into(&mut out, text.as_bytes());
        String::from_utf8(out).expect("escaping replaces whole UTF-8 sequences with ASCII")
    }

    #[test]
    fn html_escapes_the_five_characters() {
        assert_eq!(
            escape_html(r#"a&b<c>d"e'f"#),
            "a&amp;b&lt;c&gt;d&quot;e&#39;f"
        );
        assert_eq!(escape_html("plain/é"), "plain/é");
    }

    #[test]
    fn json_escapes_script_breakers() {
        assert_eq!(json(r#""</script>""#), r#""\u003c/script\u003e""#);
        assert_eq!(json(r#""&amp;""#), r#""\u0026amp;""#);
        assert_eq!(json("\"\u{2028}\u{2029}\""), r#""\u2028\u2029""#);
    }

    #[test]
    fn json_keeps_other_multibyte_characters() {
        // U+2026 (E2 80 A6) and U+20AC (E2 82 AC) share the first bytes of U+2028.
        assert_eq!(json("\"\u{2026}\u{20AC}é\""), "\"\u{2026}\u{20AC}é\"");
    }
}
