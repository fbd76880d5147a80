//! `hiver.toml`: parsed with spans, so every error names its line.

use std::path::Path;

use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

use super::error::ConfigError;
use super::settings::{Key, SECTIONS, Settings};
use super::value::Raw;

/// Reads the settings of the file at `path`.
///
/// # Errors
///
/// The file cannot be read, is not TOML, or has an unknown table or key or a bad value; the
/// error names the file and line (of the first such problem in the file).
pub(crate) fn read(path: &Path) -> Result<Settings, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::file(path, None, format!("cannot read: {e}")))?;
    parse(&text, path)
}

/// Parses `text`, read from `path` (which names it in errors and anchors its relative paths).
///
/// # Errors
///
/// As [`read`].
pub(crate) fn parse(text: &str, path: &Path) -> Result<Settings, ConfigError> {
    let document = DeTable::parse(text).map_err(|e| {
        let line = e.span().map(|span| line_of(text, span.start));
        ConfigError::file(path, line, format!("invalid TOML: {}", e.message()))
    })?;
    let mut settings = Settings::default();
    // The table is sorted by key; report the problem that comes first in the file.
    let mut first: Option<(usize, ConfigError)> = None;
    for (name, value) in document.get_ref() {
        if let Err((offset, error)) = section(&mut settings, text, path, name, value) {
            if first.as_ref().is_none_or(|(at, _)| offset < *at) {
                first = Some((offset, error));
            }
        }
    }
    if let Some((_, error)) = first {
        return Err(error);
    }
    settings.resolve_paths(path.parent().unwrap_or(Path::new("")));
    Ok(settings)
}

type Located = (usize, ConfigError);

fn section(
    settings: &mut Settings,
    text: &str,
    path: &Path,
    name: &Spanned<DeString<'_>>,
    value: &Spanned<DeValue<'_>>,
) -> Result<(), Located> {
    let at = |offset: usize, key: &str, message: String| {
        (
            offset,
            ConfigError::at(path, line_of(text, offset), key, message),
        )
    };
    let offset = name.span().start;
    if !SECTIONS.contains(&&**name.get_ref()) {
        let message = "unknown table (expected [server], [ssr] or [metrics])".to_owned();
        return Err(at(offset, name.get_ref(), message));
    }
    let Some(table) = value.get_ref().as_table() else {
        let message = format!("expected a table, got {}", value.get_ref().type_str());
        return Err(at(offset, name.get_ref(), message));
    };
    let mut first: Option<Located> = None;
    for (key, value) in table {
        if let Err(error) = entry(settings, text, name.get_ref(), key, value, &at) {
            if first.as_ref().is_none_or(|(o, _)| error.0 < *o) {
                first = Some(error);
            }
        }
    }
    first.map_or(Ok(()), Err)
}

fn entry(
    settings: &mut Settings,
    text: &str,
    section: &str,
    key: &Spanned<DeString<'_>>,
    value: &Spanned<DeValue<'_>>,
    at: &impl Fn(usize, &str, String) -> Located,
) -> Result<(), Located> {
    let dotted = format!("{section}.{}", key.get_ref());
    let Some(known) = Key::find(section, key.get_ref()) else {
        let names = Key::names_in(section).join(", ");
        let message = format!("unknown key (the keys of [{section}] are {names})");
        return Err(at(key.span().start, &dotted, message));
    };
    let span = value.span();
    let written = text.get(span.clone()).unwrap_or_default();
    let raw = Raw::Toml {
        value: value.get_ref(),
        text: written,
    };
    settings
        .set(known, &raw)
        .map_err(|message| at(span.start, &dotted, message))
}

/// The 1-based line holding byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    let before = text.get(..end).unwrap_or(text);
    before.bytes().filter(|b| *b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use crate::config::Engine;

    fn error(text: &str) -> String {
        parse(text, Path::new("hiver.toml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn every_key_is_read() {
        let text = r#"
[server]
host = "0.0.0.0"
port = 8080
workers = 2
driver = "epoll"
max_connections = 1000
header_read_timeout = "5s"
keep_alive_timeout = "1m"
request_timeout = "30s"
drain_timeout = "500ms"

[ssr]
bundle = "dist/server.js"
manifest = "dist/.vite/manifest.json"
entry = "src/main.tsx"
props = "/srv/props.json"
engine = "v8"
render_threads = 4
render_timeout = "250ms"
cache_size = "64MiB"
cache_ttl = "2m"
v8_young_generation = "12MiB"

[metrics]
enabled = false
path = "/stats"
"#;
        let s = parse(text, Path::new("site/hiver.toml")).expect("a valid file");
        assert_eq!(s.host.as_deref(), Some("0.0.0.0"));
        assert_eq!((s.port, s.workers), (Some(8080), Some(2)));
        assert_eq!(s.driver, Some(hiver::Driver::Epoll));
        assert_eq!(s.max_connections, Some(1000));
        assert_eq!(s.header_read_timeout, Some(Duration::from_secs(5)));
        assert_eq!(s.keep_alive_timeout, Some(Duration::from_secs(60)));
        assert_eq!(s.request_timeout, Some(Duration::from_secs(30)));
        assert_eq!(s.drain_timeout, Some(Duration::from_millis(500)));
        assert_eq!(s.bundle, Some(PathBuf::from("site/dist/server.js")));
        let manifest = PathBuf::from("site/dist/.vite/manifest.json");
        assert_eq!(s.manifest, Some(manifest));
        assert_eq!(s.entry.as_deref(), Some("src/main.tsx"));
        assert_eq!(s.props, Some(PathBuf::from("/srv/props.json")));
        assert_eq!(s.engine, Some(Engine::V8));
        assert_eq!(s.render_threads, Some(4));
        assert_eq!(s.render_timeout, Some(Duration::from_millis(250)));
        assert_eq!(s.cache_size, Some(64 << 20));
        assert_eq!(s.cache_ttl, Some(Duration::from_secs(120)));
        assert_eq!(s.v8_young_generation, Some(12 << 20));
        assert_eq!(s.metrics_enabled, Some(false));
        assert_eq!(s.metrics_path.as_deref(), Some("/stats"));
    }

    #[test]
    fn a_bad_value_names_file_line_and_key() {
        let text = "[server]\nhost = \"::\"\n\n\n\n\nport = \"http\"\n";
        assert_eq!(
            error(text),
            r#"hiver.toml:7: server.port: expected an integer 0..=65535, got "http""#
        );
        let cases = [
            (
                "[server]\nport = 70000",
                "hiver.toml:2: server.port: expected an integer 0..=65535, got 70000",
            ),
            (
                "[server]\nworkers = 0",
                "hiver.toml:2: server.workers: expected an integer of 1 or more, got 0",
            ),
            (
                "[server]\ndriver = \"kqueue\"",
                r#"hiver.toml:2: server.driver: expected "uring" or "epoll", got "kqueue""#,
            ),
            (
                "[server]\nmax_connections = -1",
                "hiver.toml:2: server.max_connections: expected an integer of 1 or more, got -1",
            ),
            (
                "[server]\nrequest_timeout = 30",
                r#"hiver.toml:2: server.request_timeout: expected a duration above zero such as "500ms", "30s" or "2m", got 30"#,
            ),
            (
                "[server]\nhost = \"\"",
                r#"hiver.toml:2: server.host: expected a non-empty string, got """#,
            ),
            (
                "[ssr]\nbundle = 1",
                "hiver.toml:2: ssr.bundle: expected a file path, got 1",
            ),
            (
                "[ssr]\nengine = \"node\"",
                r#"hiver.toml:2: ssr.engine: expected "quickjs" or "v8", got "node""#,
            ),
            (
                "[ssr]\ncache_size = \"1TB\"",
                r#"hiver.toml:2: ssr.cache_size: expected a size above zero such as 67108864 or "64MiB", got "1TB""#,
            ),
            (
                "[metrics]\nenabled = \"yes\"",
                r#"hiver.toml:2: metrics.enabled: expected true or false, got "yes""#,
            ),
            (
                "[metrics]\npath = \"metrics\"",
                r#"hiver.toml:2: metrics.path: expected a URL path other than "/", such as "/metrics", got "metrics""#,
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(error(text), expected, "{text}");
        }
    }

    #[test]
    fn unknown_keys_and_tables_are_errors_with_their_line() {
        assert_eq!(
            error("[server]\nport = 1\nprot = 2\n"),
            "hiver.toml:3: server.prot: unknown key (the keys of [server] are host, port, \
             workers, driver, max_connections, header_read_timeout, keep_alive_timeout, \
             request_timeout, drain_timeout)"
        );
        assert_eq!(
            error("\n[serve]\nport = 1\n"),
            "hiver.toml:2: serve: unknown table (expected [server], [ssr] or [metrics])"
        );
        assert_eq!(
            error("port = 1\n"),
            "hiver.toml:1: port: unknown table (expected [server], [ssr] or [metrics])"
        );
        assert_eq!(
            error("server = 1\n"),
            "hiver.toml:1: server: expected a table, got integer"
        );
    }

    #[test]
    fn the_first_problem_in_the_file_is_reported() {
        // `zzz` sorts last but comes first in the file.
        let text = "[ssr]\nzzz = 1\n[metrics]\naaa = 2\n";
        assert!(
            error(text).starts_with("hiver.toml:2: ssr.zzz: unknown key"),
            "{}",
            error(text)
        );
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let message = error("[server]\nport = 1\nhost = \n");
        assert!(
            message.starts_with("hiver.toml:3: invalid TOML: "),
            "{message}"
        );
        let message = error("[server]\nport = 1\nport = 2\n");
        assert!(
            message.starts_with("hiver.toml:3: invalid TOML: "),
            "{message}"
        );
    }

    #[test]
    fn a_missing_file_is_named() {
        let message = read(Path::new("no/such/hiver.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with("no/such/hiver.toml: cannot read: "),
            "{message}"
        );
    }
}
