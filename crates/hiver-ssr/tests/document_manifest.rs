//! Vite manifest reading and asset tag resolution, black-box.

use std::path::PathBuf;

use hiver_ssr::document::Manifest;

/// Shaped like Vite 6's output for an app with a lazy route, a shared vendor chunk and CSS in
/// several chunks.
const MANIFEST: &str = r#"{
  "_vendor-B7PI925R.js": {
    "file": "assets/vendor-B7PI925R.js",
    "name": "vendor",
    "css": ["assets/vendor-5UjPuW-k.css"]
  },
  "_shared-ChJ_j-JJ.js": {
    "file": "assets/shared-ChJ_j-JJ.js",
    "name": "shared",
    "imports": ["_vendor-B7PI925R.js"],
    "css": ["assets/shared-Dk3a.css", "assets/vendor-5UjPuW-k.css"]
  },
  "src/main.tsx": {
    "file": "assets/main-4f2a.js",
    "name": "main",
    "src": "src/main.tsx",
    "isEntry": true,
    "imports": ["_shared-ChJ_j-JJ.js", "_vendor-B7PI925R.js"],
    "dynamicImports": ["src/lazy.tsx"],
    "css": ["assets/main-9c1b.css"],
    "assets": ["assets/logo-Bn7a.svg"]
  },
  "src/lazy.tsx": {
    "file": "assets/lazy-0a1b.js",
    "src": "src/lazy.tsx",
    "isDynamicEntry": true,
    "imports": ["_shared-ChJ_j-JJ.js"],
    "css": ["assets/lazy-77.css"]
  },
  "src/logo.svg": { "file": "assets/logo-Bn7a.svg", "src": "src/logo.svg" }
}"#;

fn manifest() -> Manifest {
    Manifest::from_str(MANIFEST).expect("the fixture is a valid manifest")
}

#[test]
fn chunks_parse_into_typed_fields() {
    let manifest = manifest();
    let main = manifest.chunk("src/main.tsx").expect("entry present");
    assert!(main.is_entry && !main.is_dynamic_entry);
    assert_eq!(main.dynamic_imports, ["src/lazy.tsx"]);
    assert_eq!(main.assets, ["assets/logo-Bn7a.svg"]);
    assert_eq!(main.name.as_deref(), Some("main"));
    assert!(
        manifest
            .chunk("src/lazy.tsx")
            .expect("present")
            .is_dynamic_entry
    );
    assert_eq!(manifest.entries(), ["src/main.tsx"]);
}

#[test]
fn tags_walk_static_imports_dependencies_first_and_deduplicate() {
    let tags = manifest()
        .asset_tags("src/main.tsx", "/")
        .expect("entry exists");
    assert_eq!(tags.script(), "/assets/main-4f2a.js");
    assert_eq!(
        tags.stylesheets(),
        [
            "/assets/vendor-5UjPuW-k.css",
            "/assets/shared-Dk3a.css",
            "/assets/main-9c1b.css"
        ]
    );
    assert_eq!(
        tags.module_preloads(),
        ["/assets/vendor-B7PI925R.js", "/assets/shared-ChJ_j-JJ.js"]
    );
    assert_eq!(
        tags.html(),
        concat!(
            r#"<link rel="stylesheet" href="/assets/vendor-5UjPuW-k.css">"#,
            r#"<link rel="stylesheet" href="/assets/shared-Dk3a.css">"#,
            r#"<link rel="stylesheet" href="/assets/main-9c1b.css">"#,
            r#"<link rel="modulepreload" href="/assets/vendor-B7PI925R.js">"#,
            r#"<link rel="modulepreload" href="/assets/shared-ChJ_j-JJ.js">"#,
            r#"<script type="module" src="/assets/main-4f2a.js"></script>"#,
        )
    );
}

#[test]
fn dynamic_imports_are_not_preloaded() {
    let tags = manifest()
        .asset_tags("src/main.tsx", "/")
        .expect("entry exists");
    assert!(!tags.html().contains("lazy"));
}

#[test]
fn base_prefixes_every_url() {
    let manifest = manifest();
    for base in ["/static", "/static/"] {
        let tags = manifest
            .asset_tags("src/main.tsx", base)
            .expect("entry exists");
        assert_eq!(tags.script(), "/static/assets/main-4f2a.js");
        assert!(
            tags.stylesheets()
                .iter()
                .all(|u| u.starts_with("/static/assets/"))
        );
        assert!(
            tags.module_preloads()
                .iter()
                .all(|u| u.starts_with("/static/assets/"))
        );
    }
    let cdn = manifest
        .asset_tags("src/main.tsx", "https://cdn.test/app")
        .expect("entry");
    assert_eq!(cdn.script(), "https://cdn.test/app/assets/main-4f2a.js");
}

#[test]
fn attribute_values_are_escaped() {
    let manifest = Manifest::from_str(
        r#"{"m.js": {"file": "a\"><script>x</script>&.js", "isEntry": true, "css": ["b'.css"]}}"#,
    )
    .expect("valid manifest");
    let tags = manifest
        .asset_tags("m.js", "/?a=1&b=2")
        .expect("entry exists");
    assert_eq!(
        tags.html(),
        concat!(
            r#"<link rel="stylesheet" href="/?a=1&amp;b=2/b&#39;.css">"#,
            r#"<script type="module" src="/?a=1&amp;b=2/a&quot;&gt;&lt;script&gt;x&lt;/script&gt;&amp;.js"></script>"#,
        )
    );
    // The accessors give the raw URLs; only the HTML is escaped.
    assert_eq!(tags.stylesheets(), ["/?a=1&b=2/b'.css"]);
}

#[test]
fn unknown_entry_is_a_typed_error() {
    let err = manifest().asset_tags("src/nope.tsx", "/").unwrap_err();
    assert!(err.is_unknown_entry() && !err.is_json());
    assert!(err.to_string().contains("src/nope.tsx"), "{err}");
}

#[test]
fn import_missing_from_the_manifest_is_a_typed_error() {
    let manifest =
        Manifest::from_str(r#"{"m.js": {"file": "m.js", "imports": ["_gone.js"]}}"#).expect("ok");
    let err = manifest.asset_tags("m.js", "/").unwrap_err();
    assert!(err.is_missing_import());
    assert!(err.to_string().contains("_gone.js"), "{err}");
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hiver-doc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir is writable");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("temp file is writable");
    path
}

#[test]
fn from_path_reads_a_file_and_names_it_in_later_errors() {
    let path = temp_file("good.json", MANIFEST);
    let manifest = Manifest::from_path(&path).expect("valid manifest file");
    let from_text = self::manifest();
    assert_eq!(manifest.entries(), from_text.entries());
    assert_eq!(
        manifest.chunk("src/main.tsx"),
        from_text.chunk("src/main.tsx")
    );
    let err = manifest.asset_tags("missing", "/").unwrap_err();
    assert_eq!(err.path(), Some(path.as_path()));
    assert!(
        err.to_string().starts_with(&path.display().to_string()),
        "{err}"
    );
}

#[test]
fn bad_json_names_file_line_and_column() {
    let path = temp_file("bad.json", "{\n  \"m.js\": {\"file\": \"m.js\",}\n}");
    let err = Manifest::from_path(&path).unwrap_err();
    assert!(err.is_json() && !err.is_io());
    assert_eq!(err.path(), Some(path.as_path()));
    assert_eq!((err.line(), err.column()), (Some(2), Some(27)));
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("{}:2:27: ", path.display())),
        "{shown}"
    );
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn wrong_shape_is_a_json_error() {
    let err = Manifest::from_str(r#"{"m.js": {"file": 3}}"#).unwrap_err();
    assert!(err.is_json() && err.path().is_none());
    assert!(Manifest::from_str("[]").unwrap_err().is_json());
}

#[test]
fn missing_file_is_an_io_error() {
    let path = std::env::temp_dir().join("hiver-doc-does-not-exist/manifest.json");
    let err = Manifest::from_path(&path).unwrap_err();
    assert!(err.is_io() && err.line().is_none());
    assert!(
        err.to_string().contains("hiver-doc-does-not-exist"),
        "{err}"
    );
}
