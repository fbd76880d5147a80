//! The `<script>` and `<link>` tags that load one entry of a Vite build.

use std::collections::HashSet;

use super::error::ManifestError;
use super::escape::escape_html_into;
use super::manifest::{Manifest, ManifestChunk};

/// The tags that load one entry: its stylesheets, module preloads for its statically imported
/// chunks, and the entry script, resolved once from a [`Manifest`].
///
/// Order follows Vite's own `index.html` output: imported chunks depth-first (a chunk after
/// the chunks it imports, each once), the CSS of imported chunks before the CSS of the chunks
/// importing them. Dynamic imports are neither preloaded nor their CSS linked: they load
/// when the app asks for them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetTags {
    script: String,
    stylesheets: Vec<String>,
    preloads: Vec<String>,
    /// All tags, rendered once so every page copies one slice.
    html: String,
}

impl AssetTags {
    pub(crate) fn collect(
        manifest: &Manifest,
        entry: &str,
        base: &str,
    ) -> Result<AssetTags, ManifestError> {
        let origin = manifest.origin();
        let root = manifest
            .chunk(entry)
            .ok_or_else(|| ManifestError::unknown_entry(origin, entry))?;
        let base = normalize_base(base);
        let url = |file: &str| format!("{base}{file}");
        let mut css = Ordered::default();
        let mut preloads = Ordered::default();
        for (_, chunk) in imported_chunks(manifest, entry, root)? {
            chunk.css.iter().for_each(|file| css.push(url(file)));
            preloads.push(url(&chunk.file));
        }
        root.css.iter().for_each(|file| css.push(url(file)));
        let mut tags = AssetTags {
            script: url(&root.file),
            stylesheets: css.items,
            preloads: preloads.items,
            html: String::new(),
        };
        tags.html = tags.render();
        Ok(tags)
    }

    /// The URL of the entry script.
    pub fn script(&self) -> &str {
        &self.script
    }

    /// The URLs of the stylesheets, in link order.
    pub fn stylesheets(&self) -> &[String] {
        &self.stylesheets
    }

    /// The URLs of the statically imported chunks, in preload order.
    pub fn module_preloads(&self) -> &[String] {
        &self.preloads
    }

    /// All tags as HTML: stylesheets, then module preloads, then the entry script. URLs are
    /// HTML-escaped.
    pub fn html(&self) -> &str {
        &self.html
    }

    fn render(&self) -> String {
        let mut html = String::new();
        for href in &self.stylesheets {
            tag(&mut html, "<link rel=\"stylesheet\" href=\"", href, "\">");
        }
        for href in &self.preloads {
            tag(
                &mut html,
                "<link rel=\"modulepreload\" href=\"",
                href,
                "\">",
            );
        }
        let script = &self.script;
        tag(
            &mut html,
            "<script type=\"module\" src=\"",
            script,
            "\"></script>",
        );
        html
    }
}

fn tag(html: &mut String, open: &str, url: &str, close: &str) {
    html.push_str(open);
    escape_html_into(html, url);
    html.push_str(close);
}

fn normalize_base(base: &str) -> String {
    if base.ends_with('/') {
        base.to_owned()
    } else {
        format!("{base}/")
    }
}

/// The chunks `entry` imports statically, transitively, each once, dependencies first.
///
/// Iterative so that a long import chain cannot overflow the stack; the `seen` set also
/// makes import cycles terminate.
fn imported_chunks<'m>(
    manifest: &'m Manifest,
    entry: &'m str,
    root: &'m ManifestChunk,
) -> Result<Vec<(&'m str, &'m ManifestChunk)>, ManifestError> {
    let mut seen: HashSet<&str> = HashSet::from([entry]);
    let mut order = Vec::new();
    // Each frame is a chunk and how many of its imports have been visited.
    let mut stack: Vec<(&str, &ManifestChunk, usize)> = vec![(entry, root, 0)];
    while let Some((key, chunk, next)) = stack.pop() {
        let Some(import) = chunk.imports.get(next) else {
            if key != entry {
                order.push((key, chunk));
            }
            continue;
        };
        stack.push((key, chunk, next + 1));
        if seen.insert(import.as_str()) {
            let child = manifest
                .chunk(import)
                .ok_or_else(|| ManifestError::missing_import(manifest.origin(), key, import))?;
            stack.push((import.as_str(), child, 0));
        }
    }
    Ok(order)
}

/// A list that keeps the first occurrence of each item.
#[derive(Default)]
struct Ordered {
    items: Vec<String>,
    seen: HashSet<String>,
}

impl Ordered {
    fn push(&mut self, item: String) {
        if self.seen.insert(item.clone()) {
            self.items.push(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_gets_a_trailing_slash() {
        assert_eq!(normalize_base(""), "/");
        assert_eq!(normalize_base("/static"), "/static/");
        assert_eq!(
            normalize_base("https://cdn.test/app/"),
            "https://cdn.test/app/"
        );
    }

    #[test]
    fn import_cycles_terminate() {
        let manifest = Manifest::from_str(
            r#"{
              "main.js": {"file": "main.js", "isEntry": true, "imports": ["_a.js"]},
              "_a.js": {"file": "a.js", "imports": ["_b.js"]},
              "_b.js": {"file": "b.js", "imports": ["_a.js", "main.js"]}
            }"#,
        )
        .expect("valid manifest");
        let tags = manifest.asset_tags("main.js", "/").expect("entry exists");
        assert_eq!(tags.module_preloads(), ["/b.js", "/a.js"]);
    }
}
