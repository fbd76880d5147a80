//! What each key accepts, checked the same way whether the value came from `hiver.toml`, a
//! `HIVER_*` variable or a flag.

use std::path::PathBuf;
use std::time::Duration;

use hiver::Driver;
use toml::de::DeValue;

use super::Engine;

/// One value before it is checked.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Raw<'a> {
    /// From `hiver.toml`: typed by TOML; `text` is the value as written, for messages.
    Toml {
        value: &'a DeValue<'a>,
        text: &'a str,
    },
    /// From an environment variable or a flag: text, whatever the key's type.
    Text(&'a str),
}

impl Raw<'_> {
    /// The value as the user wrote it: `"http"`, `80000`, `true`.
    fn shown(&self) -> String {
        match self {
            Raw::Toml { text, .. } => (*text).to_owned(),
            Raw::Text(text) => format!("{text:?}"),
        }
    }

    fn integer(&self) -> Option<i128> {
        match self {
            Raw::Toml {
                value: DeValue::Integer(n),
                ..
            } => i128::from_str_radix(n.as_str(), n.radix()).ok(),
            Raw::Text(text) => text.trim().parse().ok(),
            Raw::Toml { .. } => None,
        }
    }

    fn text(&self) -> Option<&str> {
        match self {
            Raw::Toml {
                value: DeValue::String(s),
                ..
            } => Some(&**s),
            Raw::Text(text) => Some(*text),
            Raw::Toml { .. } => None,
        }
    }

    fn expected(&self, what: &str) -> String {
        format!("expected {what}, got {}", self.shown())
    }
}

/// A TCP port; 0 lets the system pick a free one.
pub(crate) fn port(raw: &Raw<'_>) -> Result<u16, String> {
    raw.integer()
        .and_then(|n| u16::try_from(n).ok())
        .ok_or_else(|| raw.expected("an integer 0..=65535"))
}

/// A number of workers, threads or connections: at least 1.
pub(crate) fn count(raw: &Raw<'_>) -> Result<usize, String> {
    raw.integer()
        .filter(|n| *n >= 1)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| raw.expected("an integer of 1 or more"))
}

/// A non-empty string.
pub(crate) fn text(raw: &Raw<'_>) -> Result<String, String> {
    raw.text()
        .filter(|t| !t.trim().is_empty())
        .map(str::to_owned)
        .ok_or_else(|| raw.expected("a non-empty string"))
}

/// A file path (made absolute against the config file's directory by the file reader).
pub(crate) fn path(raw: &Raw<'_>) -> Result<PathBuf, String> {
    raw.text()
        .filter(|t| !t.is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| raw.expected("a file path"))
}

/// `500ms`, `30s`, `2m` or `1h`; more than zero.
pub(crate) fn duration(raw: &Raw<'_>) -> Result<Duration, String> {
    raw.text()
        .and_then(parse_duration)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| raw.expected(r#"a duration above zero such as "500ms", "30s" or "2m""#))
}

fn parse_duration(text: &str) -> Option<Duration> {
    let (number, unit) = split_number(text.trim())?;
    match unit {
        "ms" => Some(Duration::from_millis(number)),
        "s" => Some(Duration::from_secs(number)),
        "m" => Some(Duration::from_secs(number.checked_mul(60)?)),
        "h" => Some(Duration::from_secs(number.checked_mul(3600)?)),
        _ => None,
    }
}

/// Bytes: an integer, or text with a binary unit (`64MiB`); more than zero.
pub(crate) fn size(raw: &Raw<'_>) -> Result<u64, String> {
    let bytes = match raw.text() {
        Some(text) => parse_size(text.trim()),
        None => raw.integer().and_then(|n| u64::try_from(n).ok()),
    };
    bytes
        .filter(|n| *n > 0)
        .ok_or_else(|| raw.expected(r#"a size above zero such as 67108864 or "64MiB""#))
}

fn parse_size(text: &str) -> Option<u64> {
    let (number, unit) = split_number(text)?;
    let shift = match unit {
        "" | "B" => 0,
        "KiB" => 10,
        "MiB" => 20,
        "GiB" => 30,
        _ => return None,
    };
    number.checked_mul(1 << shift)
}

/// `"30s"` → `(30, "s")`; `None` without leading digits.
fn split_number(text: &str) -> Option<(u64, &str)> {
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let number = text[..digits].parse().ok()?;
    Some((number, text[digits..].trim_start()))
}

/// `true`/`false` in TOML; `on`/`off`, `true`/`false` or `1`/`0` as text.
pub(crate) fn switch(raw: &Raw<'_>) -> Result<bool, String> {
    match raw {
        Raw::Toml {
            value: DeValue::Boolean(on),
            ..
        } => Ok(*on),
        Raw::Toml { .. } => Err(raw.expected("true or false")),
        Raw::Text(text) => match text.trim() {
            "on" | "true" | "1" => Ok(true),
            "off" | "false" | "0" => Ok(false),
            _ => Err(raw.expected("on or off")),
        },
    }
}

/// `uring` (or `io_uring`) or `epoll`.
pub(crate) fn driver(raw: &Raw<'_>) -> Result<Driver, String> {
    raw.text()
        .and_then(|t| t.trim().parse().ok())
        .ok_or_else(|| raw.expected(r#""uring" or "epoll""#))
}

/// `quickjs` or `v8`.
pub(crate) fn engine(raw: &Raw<'_>) -> Result<Engine, String> {
    match raw.text().map(str::trim) {
        Some("quickjs") => Ok(Engine::QuickJs),
        Some("v8") => Ok(Engine::V8),
        _ => Err(raw.expected(r#""quickjs" or "v8""#)),
    }
}

/// A plain URL path other than `/`: `/metrics`. No route parameters, query or fragment.
pub(crate) fn url_path(raw: &Raw<'_>) -> Result<String, String> {
    let plain = |t: &&str| {
        t.len() > 1
            && t.starts_with('/')
            && !t.contains(['{', '}', '?', '#'])
            && !t.contains(char::is_whitespace)
    };
    raw.text()
        .filter(plain)
        .map(str::to_owned)
        .ok_or_else(|| raw.expected(r#"a URL path other than "/", such as "/metrics""#))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("3 s"), Some(Duration::from_secs(3)));
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_duration("s"), None);
        assert_eq!(parse_size("64MiB"), Some(64 << 20));
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("1TB"), None);
        assert!(duration(&Raw::Text("0s")).is_err());
        assert!(size(&Raw::Text("0")).is_err());
    }

    #[test]
    fn text_values_name_what_was_expected() {
        assert_eq!(
            port(&Raw::Text("http")).unwrap_err(),
            r#"expected an integer 0..=65535, got "http""#
        );
        assert_eq!(
            count(&Raw::Text("0")).unwrap_err(),
            r#"expected an integer of 1 or more, got "0""#
        );
        assert_eq!(switch(&Raw::Text("off")), Ok(false));
        assert_eq!(driver(&Raw::Text("io_uring")), Ok(Driver::IoUring));
        assert!(driver(&Raw::Text("auto")).is_err());
        assert_eq!(engine(&Raw::Text("v8")), Ok(Engine::V8));
        assert!(url_path(&Raw::Text("/")).is_err());
        assert!(url_path(&Raw::Text("/m/{x}")).is_err());
        assert_eq!(url_path(&Raw::Text("/stats")).as_deref(), Ok("/stats"));
    }
}
