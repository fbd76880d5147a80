//! The fortunes page: TechEmpower's template, every value HTML-escaped.

use std::fmt::Write;

/// One row of the Fortune table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fortune {
    /// Its id (0 for the one added at request time).
    pub id: i32,
    /// Its message, unescaped.
    pub message: String,
}

/// The message TechEmpower has every request add before sorting.
pub const ADDED: &str = "Additional fortune added at request time.";

/// Adds the request-time fortune, sorts by message and renders the page.
pub fn render(mut fortunes: Vec<Fortune>) -> String {
    fortunes.push(Fortune {
        id: 0,
        message: ADDED.to_owned(),
    });
    fortunes.sort_unstable_by(|a, b| a.message.cmp(&b.message));
    let mut html = String::with_capacity(1200 + fortunes.len() * 64);
    html.push_str(
        "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>",
    );
    for f in &fortunes {
        // Writing to a String cannot fail.
        let _ = write!(html, "<tr><td>{}</td><td>", f.id);
        escape_into(&f.message, &mut html);
        html.push_str("</td></tr>");
    }
    html.push_str("</table></body></html>");
    html
}

fn escape_into(text: &str, out: &mut String) {
    let mut last = 0;
    for (i, b) in text.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            _ => continue,
        };
        out.push_str(&text[last..i]);
        out.push_str(entity);
        last = i + 1;
    }
    out.push_str(&text[last..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_special_character_and_keeps_utf8() {
        let mut out = String::new();
        escape_into(r#"<a href="x">Tom & 'Jerry'</a> フレーム"#, &mut out);
        assert_eq!(
            out,
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#x27;Jerry&#x27;&lt;/a&gt; フレーム"
        );
    }

    #[test]
    fn adds_the_request_time_fortune_and_sorts_by_message() {
        let page = render(vec![
            Fortune {
                id: 2,
                message: "b".into(),
            },
            Fortune {
                id: 1,
                message: "<x>".into(),
            },
        ]);
        assert_eq!(
            page,
            "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>\
             <tr><th>id</th><th>message</th></tr><tr><td>1</td><td>&lt;x&gt;</td></tr>\
             <tr><td>0</td><td>Additional fortune added at request time.</td></tr>\
             <tr><td>2</td><td>b</td></tr></table></body></html>"
        );
    }
}
