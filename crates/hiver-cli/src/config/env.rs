//! `HIVER_*` environment variables: one per key (see [`Key::env`]).

use std::ffi::OsString;

use super::error::ConfigError;
use super::settings::{Key, Settings};
use super::value::Raw;

/// Reads the settings of the `HIVER_*` variables among `vars` (`std::env::vars_os()`).
/// An empty variable counts as unset, as `HIVER_DRIVER` does for the runtime. Variables
/// that name no key are left alone (`HIVER_PIN_WORKERS` belongs to the runtime).
///
/// # Errors
///
/// A variable's value is not valid for its key, or not UTF-8; the error names the variable.
pub(crate) fn read<I>(vars: I) -> Result<Settings, ConfigError>
where
    I: IntoIterator<Item = (OsString, OsString)>,
{
    let vars: Vec<(OsString, OsString)> = vars
        .into_iter()
        .filter(|(name, _)| name.to_str().is_some_and(|n| n.starts_with("HIVER_")))
        .collect();
    let mut settings = Settings::default();
    for key in Key::ALL {
        let name = key.env();
        let Some((_, value)) = vars
            .iter()
            .rev()
            .find(|(n, _)| n.to_str() == Some(name.as_str()))
        else {
            continue;
        };
        let value = value
            .to_str()
            .ok_or_else(|| ConfigError::env(&name, format!("{value:?} is not valid UTF-8")))?;
        if value.is_empty() {
            continue;
        }
        settings
            .set(key, &Raw::Text(value))
            .map_err(|message| ConfigError::env(&name, message))?;
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn variables_set_their_keys() {
        let s = read(vars(&[
            ("HIVER_PORT", "8080"),
            ("HIVER_DRIVER", "epoll"),
            ("HIVER_RENDER_TIMEOUT", "750ms"),
            ("HIVER_METRICS_ENABLED", "off"),
            ("HIVER_CACHE_SIZE", "1048576"),
            ("HIVER_ENTRY", ""),
            ("HIVER_PIN_WORKERS", "1"),
            ("PORT", "1"),
        ]))
        .expect("valid variables");
        assert_eq!(s.port, Some(8080));
        assert_eq!(s.driver, Some(hiver::Driver::Epoll));
        assert_eq!(s.render_timeout, Some(Duration::from_millis(750)));
        assert_eq!(s.metrics_enabled, Some(false));
        assert_eq!(s.cache_size, Some(1 << 20));
        assert_eq!(s.entry, None);
    }

    #[test]
    fn a_bad_value_names_the_variable() {
        let cases = [
            (
                "HIVER_PORT",
                "http",
                r#"HIVER_PORT: expected an integer 0..=65535, got "http""#,
            ),
            (
                "HIVER_WORKERS",
                "-2",
                r#"HIVER_WORKERS: expected an integer of 1 or more, got "-2""#,
            ),
            (
                "HIVER_DRIVER",
                "kqueue",
                r#"HIVER_DRIVER: expected "uring" or "epoll", got "kqueue""#,
            ),
            (
                "HIVER_METRICS_ENABLED",
                "maybe",
                r#"HIVER_METRICS_ENABLED: expected on or off, got "maybe""#,
            ),
            (
                "HIVER_CACHE_TTL",
                "1d",
                r#"HIVER_CACHE_TTL: expected a duration above zero such as "500ms", "30s" or "2m", got "1d""#,
            ),
        ];
        for (name, value, expected) in cases {
            let error = read(vars(&[(name, value)])).unwrap_err();
            assert_eq!(error.to_string(), expected);
        }
    }
}
