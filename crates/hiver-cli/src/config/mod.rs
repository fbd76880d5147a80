//! The configuration of `hiver serve`: `hiver.toml`, then `HIVER_*` variables, then flags,
//! each overriding the one before key by key, all checked before anything starts.
//!
//! | key | variable | flag | default |
//! |---|---|---|---|
//! | `server.host` | `HIVER_HOST` | `--host` | `127.0.0.1` |
//! | `server.port` | `HIVER_PORT` | `--port` | `3000` (0: any free port) |
//! | `server.workers` | `HIVER_WORKERS` | `--workers` | the available cores |
//! | `server.driver` | `HIVER_DRIVER` | `--driver` | io_uring where the kernel allows it, else epoll |
//! | `server.max_connections` | `HIVER_MAX_CONNECTIONS` | | 25000 per worker |
//! | `server.header_read_timeout` | `HIVER_HEADER_READ_TIMEOUT` | | `10s` |
//! | `server.keep_alive_timeout` | `HIVER_KEEP_ALIVE_TIMEOUT` | | `60s` |
//! | `server.request_timeout` | `HIVER_REQUEST_TIMEOUT` | | `60s` |
//! | `server.drain_timeout` | `HIVER_DRAIN_TIMEOUT` | | `30s` |
//! | `ssr.bundle` | `HIVER_BUNDLE` | `--bundle` | required |
//! | `ssr.manifest` | `HIVER_MANIFEST` | `--manifest` | none: pages without asset tags |
//! | `ssr.entry` | `HIVER_ENTRY` | `--entry` | the manifest's only entry chunk |
//! | `ssr.props` | `HIVER_PROPS` | `--props` | `{ path, query, params }` of the request |
//! | `ssr.static` | `HIVER_STATIC` | `--static` | none: a directory whose files are served as they are (a file wins over the page of the same path) |
//! | `ssr.engine` | `HIVER_ENGINE` | `--engine` | `quickjs` |
//! | `ssr.render_threads` | `HIVER_RENDER_THREADS` | | the available cores |
//! | `ssr.render_timeout` | `HIVER_RENDER_TIMEOUT` | | `2s` |
//! | `ssr.cache_size` | `HIVER_CACHE_SIZE` | | `256MiB` |
//! | `ssr.cache_ttl` | `HIVER_CACHE_TTL` | | `60s` |
//! | `ssr.v8_young_generation` | `HIVER_V8_YOUNG_GENERATION` | | `24MiB` (engine `v8` only; at least `3MiB`) |
//! | `metrics.enabled` | `HIVER_METRICS_ENABLED` | | `true` |
//! | `metrics.path` | `HIVER_METRICS_PATH` | | `/metrics` |
//!
//! Relative paths in `hiver.toml` are relative to the file's directory; in variables and
//! flags, to the current directory.
//!
//! These types live in the CLI crate rather than in `hiver`: the `[ssr]` keys configure
//! `hiver-ssr`, which depends on `hiver`, so a `hiver::config` could not hold them without a
//! dependency cycle, and the `hiver` binary is their only reader. An app that embeds
//! `hiver` configures `Server` and `SsrBuilder` directly.

mod env;
mod error;
mod file;
mod settings;
mod value;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hiver::Driver;

pub use error::ConfigError;
pub(crate) use settings::Settings;
pub(crate) use value::Raw;
pub(crate) use value::{count, driver, engine, path, port, text};

/// The file read when `--config` is not given, if it exists in the current directory.
pub const DEFAULT_FILE: &str = "hiver.toml";

/// The whole configuration, defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `[server]`: the socket, the workers and the HTTP timeouts.
    pub server: ServerConfig,
    /// `[ssr]`: the bundle, the client build, the render pool and the page cache.
    pub ssr: SsrConfig,
    /// `[metrics]`: the Prometheus endpoint.
    pub metrics: MetricsConfig,
}

/// `[server]`. `None` leaves the setting to `hiver::Server` (its default).
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// The address to listen on.
    pub host: String,
    /// The port; 0 picks a free one.
    pub port: u16,
    /// Worker threads (one listener each).
    pub workers: Option<usize>,
    /// A forced I/O driver; `None`: io_uring where the kernel allows it, else epoll.
    pub driver: Option<Driver>,
    /// Open connections per worker before it stops accepting.
    pub max_connections: Option<usize>,
    /// Time from a request's first byte to its complete head.
    pub header_read_timeout: Option<Duration>,
    /// Idle time allowed between requests on a connection.
    pub keep_alive_timeout: Option<Duration>,
    /// Time a request may take to be answered.
    pub request_timeout: Option<Duration>,
    /// How long Ctrl-C waits for in-flight requests.
    pub drain_timeout: Option<Duration>,
}

/// `[ssr]`. `None` leaves the setting to `hiver_ssr::SsrBuilder` (its default).
#[derive(Debug, Clone, PartialEq)]
pub struct SsrConfig {
    /// The server bundle, a classic script defining `globalThis.render(url, props)`.
    pub bundle: PathBuf,
    /// The client build's Vite manifest: asset tags in every page, assets served.
    pub manifest: Option<PathBuf>,
    /// The manifest entry loaded on every page; `None`: the manifest's only entry chunk.
    pub entry: Option<String>,
    /// A JSON file: the props of every page, instead of the request's path and query.
    pub props: Option<PathBuf>,
    /// A directory served by `hiver-static`; its files win over pages of the same path.
    pub static_dir: Option<PathBuf>,
    /// The JS engine.
    pub engine: Engine,
    /// Render threads.
    pub render_threads: Option<usize>,
    /// The time one render may take before the page falls back to the client-side shell.
    pub render_timeout: Option<Duration>,
    /// Bytes the shared page cache may hold.
    pub cache_size: Option<u64>,
    /// How long a rendered page is served from the cache.
    pub cache_ttl: Option<Duration>,
    /// The most each V8 isolate's young generation may grow to, in bytes (engine `v8`
    /// only): `hiver_ssr::engine::V8::young_generation`.
    pub v8_young_generation: Option<u64>,
}

/// `[metrics]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsConfig {
    /// Whether the metrics are recorded and served.
    pub enabled: bool,
    /// Where they are served.
    pub path: String,
}

/// The JS engine that renders the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// QuickJS, always compiled in.
    QuickJs,
    /// V8, compiled in with the `v8` feature.
    V8,
}

impl Config {
    /// Reads `file` (or [`DEFAULT_FILE`] when `None` and it exists), then the `HIVER_*`
    /// variables among `vars`, then `flags`; later sources win key by key.
    ///
    /// # Errors
    ///
    /// A bad file, variable or combination of keys (no bundle anywhere, an entry without a
    /// manifest); the error names the file and line, or the variable.
    pub(crate) fn load<I>(
        file: Option<&Path>,
        vars: I,
        flags: Settings,
    ) -> Result<Config, ConfigError>
    where
        I: IntoIterator<Item = (OsString, OsString)>,
    {
        let from_file = match file {
            Some(path) => file::read(path)?,
            None if Path::new(DEFAULT_FILE).is_file() => file::read(Path::new(DEFAULT_FILE))?,
            None => Settings::default(),
        };
        let settings = from_file.merge(env::read(vars)?).merge(flags);
        Config::from_settings(settings)
    }

    fn from_settings(s: Settings) -> Result<Config, ConfigError> {
        let Some(bundle) = s.bundle else {
            return Err(ConfigError::settings(
                "no server bundle: pass --bundle FILE, or set HIVER_BUNDLE or ssr.bundle in hiver.toml",
            ));
        };
        if s.entry.is_some() && s.manifest.is_none() {
            return Err(ConfigError::settings(
                "an entry (--entry, HIVER_ENTRY or ssr.entry) needs a manifest (--manifest, \
                 HIVER_MANIFEST or ssr.manifest)",
            ));
        }
        let engine = s.engine.unwrap_or(Engine::QuickJs);
        if let Some(bytes) = s.v8_young_generation {
            if engine != Engine::V8 {
                return Err(ConfigError::settings(
                    "ssr.v8_young_generation (HIVER_V8_YOUNG_GENERATION) applies to engine v8 \
                     only; set the engine to v8 (--engine, HIVER_ENGINE or ssr.engine) or drop it",
                ));
            }
            let min = hiver_ssr::engine::MIN_YOUNG_GENERATION as u64;
            if bytes < min {
                return Err(ConfigError::settings(format!(
                    "ssr.v8_young_generation (HIVER_V8_YOUNG_GENERATION) is {bytes} bytes; V8 \
                     needs at least 3MiB ({min} bytes)"
                )));
            }
        }
        let server = ServerConfig {
            host: s.host.unwrap_or_else(|| "127.0.0.1".to_owned()),
            port: s.port.unwrap_or(3000),
            workers: s.workers,
            driver: s.driver,
            max_connections: s.max_connections,
            header_read_timeout: s.header_read_timeout,
            keep_alive_timeout: s.keep_alive_timeout,
            request_timeout: s.request_timeout,
            drain_timeout: s.drain_timeout,
        };
        let ssr = SsrConfig {
            bundle,
            manifest: s.manifest,
            entry: s.entry,
            props: s.props,
            static_dir: s.static_dir,
            engine,
            render_threads: s.render_threads,
            render_timeout: s.render_timeout,
            cache_size: s.cache_size,
            cache_ttl: s.cache_ttl,
            v8_young_generation: s.v8_young_generation,
        };
        let metrics = MetricsConfig {
            enabled: s.metrics_enabled.unwrap_or(true),
            path: s.metrics_path.unwrap_or_else(|| "/metrics".to_owned()),
        };
        Ok(Config {
            server,
            ssr,
            metrics,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site_file(dir: &str, text: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("hiver-cli-config-{}-{dir}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("hiver.toml");
        std::fs::write(&path, text).expect("write hiver.toml");
        path
    }

    fn var(name: &str, value: &str) -> (OsString, OsString) {
        (name.into(), value.into())
    }

    #[test]
    fn file_then_environment_then_flags() {
        let file = site_file(
            "precedence",
            "[server]\nport = 1001\nworkers = 3\nhost = \"0.0.0.0\"\n[ssr]\nbundle = \"server.js\"\n",
        );
        let vars = || vec![var("HIVER_PORT", "1002"), var("HIVER_WORKERS", "2")];
        let flags = Settings {
            port: Some(1003),
            ..Settings::default()
        };
        let config = Config::load(Some(&file), vars(), flags).expect("valid");
        assert_eq!(
            config.server.port, 1003,
            "a flag beats the variable and the file"
        );
        assert_eq!(config.server.workers, Some(2), "a variable beats the file");
        assert_eq!(config.server.host, "0.0.0.0", "the file beats the default");
        let dir = file.parent().expect("a directory");
        assert_eq!(config.ssr.bundle, dir.join("server.js"));
        let config = Config::load(Some(&file), vars(), Settings::default()).expect("valid");
        assert_eq!(config.server.port, 1002);
        let config = Config::load(Some(&file), Vec::new(), Settings::default()).expect("valid");
        assert_eq!((config.server.port, config.server.workers), (1001, Some(3)));
    }

    #[test]
    fn defaults() {
        let flags = Settings {
            bundle: Some("server.js".into()),
            ..Settings::default()
        };
        let file = site_file("defaults", "");
        let config = Config::load(Some(&file), Vec::new(), flags).expect("valid");
        assert_eq!(
            (config.server.host.as_str(), config.server.port),
            ("127.0.0.1", 3000)
        );
        assert_eq!(config.ssr.engine, Engine::QuickJs);
        assert_eq!(config.ssr.bundle, PathBuf::from("server.js"));
        assert_eq!(
            config.metrics,
            MetricsConfig {
                enabled: true,
                path: "/metrics".into()
            }
        );
    }

    #[test]
    fn the_environment_is_checked_before_flags_apply() {
        let file = site_file("env-error", "");
        let flags = Settings {
            port: Some(1),
            ..Settings::default()
        };
        let error = Config::load(Some(&file), vec![var("HIVER_PORT", "x")], flags).unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"HIVER_PORT: expected an integer 0..=65535, got "x""#
        );
    }

    #[test]
    fn keys_that_do_not_fit_together() {
        let file = site_file("rules", "[ssr]\nentry = \"src/main.js\"\n");
        let error = Config::load(Some(&file), Vec::new(), Settings::default()).unwrap_err();
        assert!(
            error.to_string().starts_with("no server bundle: "),
            "{error}"
        );
        let flags = Settings {
            bundle: Some("server.js".into()),
            ..Settings::default()
        };
        let error = Config::load(Some(&file), Vec::new(), flags).unwrap_err();
        assert!(error.to_string().starts_with("an entry "), "{error}");
    }

    #[test]
    fn the_young_generation_needs_v8_and_three_mebibytes() {
        let bundle = || Settings {
            bundle: Some("server.js".into()),
            ..Settings::default()
        };
        let file = site_file("young", "[ssr]\nv8_young_generation = \"12MiB\"\n");
        let error = Config::load(Some(&file), Vec::new(), bundle()).unwrap_err();
        assert!(
            error.to_string().contains("applies to engine v8 only"),
            "{error}"
        );
        let v8 = vec![var("HIVER_ENGINE", "v8")];
        let config = Config::load(Some(&file), v8.clone(), bundle()).expect("valid");
        assert_eq!(config.ssr.v8_young_generation, Some(12 << 20));
        let small = vec![
            var("HIVER_ENGINE", "v8"),
            var("HIVER_V8_YOUNG_GENERATION", "2MiB"),
        ];
        let error = Config::load(Some(&file), small, bundle()).unwrap_err();
        assert!(error.to_string().contains("at least 3MiB"), "{error}");
        let none = site_file("young-none", "[ssr]\nengine = \"v8\"\n");
        let config = Config::load(Some(&none), Vec::new(), bundle()).expect("valid");
        assert_eq!(config.ssr.v8_young_generation, None);
    }
}
