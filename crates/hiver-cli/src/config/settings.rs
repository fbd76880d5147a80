//! The keys, and the settings one source (file, environment, flags) gives.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hiver::Driver;

use super::Engine;
use super::value::{self, Raw};

/// Every configuration key: its table in `hiver.toml` and its name there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    Host,
    Port,
    Workers,
    Driver,
    MaxConnections,
    HeaderReadTimeout,
    KeepAliveTimeout,
    RequestTimeout,
    DrainTimeout,
    Bundle,
    Manifest,
    Entry,
    Props,
    Static,
    Engine,
    RenderThreads,
    RenderTimeout,
    CacheSize,
    CacheTtl,
    V8YoungGeneration,
    MetricsEnabled,
    MetricsPath,
}

/// The tables of `hiver.toml`.
pub(crate) const SECTIONS: [&str; 3] = ["server", "ssr", "metrics"];

impl Key {
    pub(crate) const ALL: [Key; 22] = [
        Key::Host,
        Key::Port,
        Key::Workers,
        Key::Driver,
        Key::MaxConnections,
        Key::HeaderReadTimeout,
        Key::KeepAliveTimeout,
        Key::RequestTimeout,
        Key::DrainTimeout,
        Key::Bundle,
        Key::Manifest,
        Key::Entry,
        Key::Props,
        Key::Static,
        Key::Engine,
        Key::RenderThreads,
        Key::RenderTimeout,
        Key::CacheSize,
        Key::CacheTtl,
        Key::V8YoungGeneration,
        Key::MetricsEnabled,
        Key::MetricsPath,
    ];

    /// The table the key belongs to.
    pub(crate) fn section(self) -> &'static str {
        match self {
            Key::Bundle
            | Key::Manifest
            | Key::Entry
            | Key::Props
            | Key::Static
            | Key::Engine
            | Key::RenderThreads
            | Key::RenderTimeout
            | Key::CacheSize
            | Key::CacheTtl
            | Key::V8YoungGeneration => "ssr",
            Key::MetricsEnabled | Key::MetricsPath => "metrics",
            _ => "server",
        }
    }

    /// The key's name inside its table.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Key::Host => "host",
            Key::Port => "port",
            Key::Workers => "workers",
            Key::Driver => "driver",
            Key::MaxConnections => "max_connections",
            Key::HeaderReadTimeout => "header_read_timeout",
            Key::KeepAliveTimeout => "keep_alive_timeout",
            Key::RequestTimeout => "request_timeout",
            Key::DrainTimeout => "drain_timeout",
            Key::Bundle => "bundle",
            Key::Manifest => "manifest",
            Key::Entry => "entry",
            Key::Props => "props",
            Key::Static => "static",
            Key::Engine => "engine",
            Key::RenderThreads => "render_threads",
            Key::RenderTimeout => "render_timeout",
            Key::CacheSize => "cache_size",
            Key::CacheTtl => "cache_ttl",
            Key::V8YoungGeneration => "v8_young_generation",
            Key::MetricsEnabled => "enabled",
            Key::MetricsPath => "path",
        }
    }

    /// `HIVER_<NAME>` for `[server]` and `[ssr]` keys, `HIVER_METRICS_<NAME>` for `[metrics]`.
    pub(crate) fn env(self) -> String {
        let prefix = if self.section() == "metrics" {
            "HIVER_METRICS_"
        } else {
            "HIVER_"
        };
        format!("{prefix}{}", self.name().to_ascii_uppercase())
    }

    /// The key named `name` in table `section`.
    pub(crate) fn find(section: &str, name: &str) -> Option<Key> {
        Key::ALL
            .into_iter()
            .find(|k| k.section() == section && k.name() == name)
    }

    /// The names of a table's keys, for "unknown key" messages.
    pub(crate) fn names_in(section: &str) -> Vec<&'static str> {
        let keys = Key::ALL.into_iter().filter(|k| k.section() == section);
        keys.map(Key::name).collect()
    }
}

/// What one source sets; `None` leaves the key to the sources below it (or the default).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Settings {
    pub(crate) host: Option<String>,
    pub(crate) port: Option<u16>,
    pub(crate) workers: Option<usize>,
    pub(crate) driver: Option<Driver>,
    pub(crate) max_connections: Option<usize>,
    pub(crate) header_read_timeout: Option<Duration>,
    pub(crate) keep_alive_timeout: Option<Duration>,
    pub(crate) request_timeout: Option<Duration>,
    pub(crate) drain_timeout: Option<Duration>,
    pub(crate) bundle: Option<PathBuf>,
    pub(crate) manifest: Option<PathBuf>,
    pub(crate) entry: Option<String>,
    pub(crate) props: Option<PathBuf>,
    pub(crate) static_dir: Option<PathBuf>,
    pub(crate) engine: Option<Engine>,
    pub(crate) render_threads: Option<usize>,
    pub(crate) render_timeout: Option<Duration>,
    pub(crate) cache_size: Option<u64>,
    pub(crate) cache_ttl: Option<Duration>,
    pub(crate) v8_young_generation: Option<u64>,
    pub(crate) metrics_enabled: Option<bool>,
    pub(crate) metrics_path: Option<String>,
}

impl Settings {
    /// Checks `raw` as a value of `key` and sets it.
    ///
    /// # Errors
    ///
    /// What was expected and what was given: `expected an integer 0..=65535, got "http"`.
    pub(crate) fn set(&mut self, key: Key, raw: &Raw<'_>) -> Result<(), String> {
        match key {
            Key::Host => self.host = Some(value::text(raw)?),
            Key::Port => self.port = Some(value::port(raw)?),
            Key::Workers => self.workers = Some(value::count(raw)?),
            Key::Driver => self.driver = Some(value::driver(raw)?),
            Key::MaxConnections => self.max_connections = Some(value::count(raw)?),
            Key::HeaderReadTimeout => self.header_read_timeout = Some(value::duration(raw)?),
            Key::KeepAliveTimeout => self.keep_alive_timeout = Some(value::duration(raw)?),
            Key::RequestTimeout => self.request_timeout = Some(value::duration(raw)?),
            Key::DrainTimeout => self.drain_timeout = Some(value::duration(raw)?),
            Key::Bundle => self.bundle = Some(value::path(raw)?),
            Key::Manifest => self.manifest = Some(value::path(raw)?),
            Key::Entry => self.entry = Some(value::text(raw)?),
            Key::Props => self.props = Some(value::path(raw)?),
            Key::Static => self.static_dir = Some(value::path(raw)?),
            Key::Engine => self.engine = Some(value::engine(raw)?),
            Key::RenderThreads => self.render_threads = Some(value::count(raw)?),
            Key::RenderTimeout => self.render_timeout = Some(value::duration(raw)?),
            Key::CacheSize => self.cache_size = Some(value::size(raw)?),
            Key::CacheTtl => self.cache_ttl = Some(value::duration(raw)?),
            Key::V8YoungGeneration => self.v8_young_generation = Some(value::size(raw)?),
            Key::MetricsEnabled => self.metrics_enabled = Some(value::switch(raw)?),
            Key::MetricsPath => self.metrics_path = Some(value::url_path(raw)?),
        }
        Ok(())
    }

    /// Makes the relative file paths relative to `dir` (a config file's directory).
    pub(crate) fn resolve_paths(&mut self, dir: &Path) {
        for path in [
            &mut self.bundle,
            &mut self.manifest,
            &mut self.props,
            &mut self.static_dir,
        ]
        .into_iter()
        .flatten()
        {
            if path.is_relative() {
                *path = dir.join(&*path);
            }
        }
    }

    /// These settings with every key `over` sets replaced by its value.
    pub(crate) fn merge(self, over: Settings) -> Settings {
        Settings {
            host: over.host.or(self.host),
            port: over.port.or(self.port),
            workers: over.workers.or(self.workers),
            driver: over.driver.or(self.driver),
            max_connections: over.max_connections.or(self.max_connections),
            header_read_timeout: over.header_read_timeout.or(self.header_read_timeout),
            keep_alive_timeout: over.keep_alive_timeout.or(self.keep_alive_timeout),
            request_timeout: over.request_timeout.or(self.request_timeout),
            drain_timeout: over.drain_timeout.or(self.drain_timeout),
            bundle: over.bundle.or(self.bundle),
            manifest: over.manifest.or(self.manifest),
            entry: over.entry.or(self.entry),
            props: over.props.or(self.props),
            static_dir: over.static_dir.or(self.static_dir),
            engine: over.engine.or(self.engine),
            render_threads: over.render_threads.or(self.render_threads),
            render_timeout: over.render_timeout.or(self.render_timeout),
            cache_size: over.cache_size.or(self.cache_size),
            cache_ttl: over.cache_ttl.or(self.cache_ttl),
            v8_young_generation: over.v8_young_generation.or(self.v8_young_generation),
            metrics_enabled: over.metrics_enabled.or(self.metrics_enabled),
            metrics_path: over.metrics_path.or(self.metrics_path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_named_by_rule() {
        for key in Key::ALL {
            assert_eq!(Key::find(key.section(), key.name()), Some(key));
        }
        assert_eq!(Key::Port.env(), "HIVER_PORT");
        assert_eq!(Key::Driver.env(), "HIVER_DRIVER");
        assert_eq!(Key::RenderThreads.env(), "HIVER_RENDER_THREADS");
        assert_eq!(Key::V8YoungGeneration.env(), "HIVER_V8_YOUNG_GENERATION");
        assert_eq!(Key::MetricsEnabled.env(), "HIVER_METRICS_ENABLED");
        let mut envs: Vec<String> = Key::ALL.into_iter().map(Key::env).collect();
        envs.sort();
        envs.dedup();
        assert_eq!(envs.len(), Key::ALL.len());
    }

    #[test]
    fn later_sources_win_key_by_key() {
        let file = Settings {
            port: Some(1),
            workers: Some(3),
            entry: Some("file".into()),
            ..Settings::default()
        };
        let env = Settings {
            port: Some(2),
            workers: Some(2),
            ..Settings::default()
        };
        let flags = Settings {
            port: Some(3),
            ..Settings::default()
        };
        let merged = Settings::default().merge(file).merge(env).merge(flags);
        assert_eq!(merged.port, Some(3));
        assert_eq!(merged.workers, Some(2));
        assert_eq!(merged.entry.as_deref(), Some("file"));
        assert_eq!(merged.host, None);
    }

    #[test]
    fn relative_paths_follow_the_file() {
        let mut settings = Settings {
            bundle: Some("dist/server.js".into()),
            props: Some("/abs/props.json".into()),
            ..Settings::default()
        };
        settings.resolve_paths(Path::new("site"));
        assert_eq!(settings.bundle, Some(PathBuf::from("site/dist/server.js")));
        assert_eq!(settings.props, Some(PathBuf::from("/abs/props.json")));
    }
}
