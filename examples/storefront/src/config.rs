//! What the demo reads from the environment. Everything has a default, so
//! `cargo run --release -p storefront` needs no configuration.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Which build of the storefront's web app to serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framework {
    /// `dist/preact`: 34 KB server bundle, 26 KB client JS.
    Preact,
    /// `dist/react`: React 19, 126 KB server bundle, 230 KB client JS.
    React,
}

impl Framework {
    /// The directory name under `dist/` and the value of `html[data-hydrated]`.
    pub fn name(self) -> &'static str {
        match self {
            Framework::Preact => "preact",
            Framework::React => "react",
        }
    }
}

impl fmt::Display for Framework {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Framework {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, ConfigError> {
        match s {
            "preact" => Ok(Framework::Preact),
            "react" => Ok(Framework::React),
            other => Err(ConfigError(format!(
                "STOREFRONT_FRAMEWORK must be preact or react, got {other:?}"
            ))),
        }
    }
}

/// Which JavaScript engine renders the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// QuickJS: builds anywhere, no downloads; the default without the `v8` feature.
    QuickJs,
    /// V8: much faster renders; the default when built with `--features v8`.
    #[cfg(feature = "v8")]
    V8,
}

impl Engine {
    /// The value `STOREFRONT_ENGINE` takes for it.
    pub fn name(self) -> &'static str {
        match self {
            Engine::QuickJs => "quickjs",
            #[cfg(feature = "v8")]
            Engine::V8 => "v8",
        }
    }
}

#[cfg(feature = "v8")]
impl Default for Engine {
    /// V8, since the build paid for it.
    fn default() -> Self {
        Engine::V8
    }
}

#[cfg(not(feature = "v8"))]
impl Default for Engine {
    /// QuickJS, the only engine compiled in.
    fn default() -> Self {
        Engine::QuickJs
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Engine {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, ConfigError> {
        match s {
            "quickjs" => Ok(Engine::QuickJs),
            #[cfg(feature = "v8")]
            "v8" => Ok(Engine::V8),
            #[cfg(not(feature = "v8"))]
            "v8" => Err(ConfigError(
                "STOREFRONT_ENGINE=v8 needs V8 compiled in: build with `--features v8` \
                 (e.g. `cargo run --release -p storefront --features v8`)"
                    .into(),
            )),
            other => Err(ConfigError(format!(
                "STOREFRONT_ENGINE must be quickjs or v8, got {other:?}"
            ))),
        }
    }
}

/// A bad environment variable, with the variable's name and the value it had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// The demo's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `HOST` (default `127.0.0.1`): the address to listen on. Anything but a loopback
    /// address exposes the unguarded `POST /admin/purge` to the network.
    pub host: IpAddr,
    /// `PORT` (default 3000; 0 picks a free port, logged at start).
    pub port: u16,
    /// `WORKERS` (default: one per available core).
    pub workers: Option<usize>,
    /// `STOREFRONT_FRAMEWORK` (default preact).
    pub framework: Framework,
    /// `STOREFRONT_ENGINE` (`quickjs` or `v8`; default v8 when built with the `v8` feature,
    /// else quickjs).
    pub engine: Engine,
    /// The directory holding `<framework>/server.js`: `STOREFRONT_DIST` if set, else the
    /// first of [`dist_candidates`] that holds the chosen build.
    pub dist: PathBuf,
    /// `STOREFRONT_CACHE` (`on`, the default, or `off`): `off` marks every page route
    /// no-store, so every request renders (for measuring renders, e.g. `bench/ssr.sh`).
    pub cache: bool,
    /// `STOREFRONT_WATCH` (`off`, the default, or `on`): development mode, the server
    /// bundle is reloaded when its file changes (e.g. after `npm run build`), and pages
    /// rendered by the old one stop being served from the cache.
    pub watch: bool,
}

impl Config {
    /// Reads the process environment.
    ///
    /// # Errors
    ///
    /// A variable that is set but does not parse.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment in [`Config::from_env`]); pure, for
    /// tests.
    ///
    /// # Errors
    ///
    /// A variable that is set but does not parse.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let number = |name: &str| -> Result<Option<usize>, ConfigError> {
            lookup(name)
                .map(|v| {
                    v.parse().map_err(|_| {
                        ConfigError(format!("{name} must be a whole number, got {v:?}"))
                    })
                })
                .transpose()
        };
        let host = match lookup("HOST") {
            None => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Some(v) => v.parse().map_err(|_| {
                ConfigError(format!(
                    "HOST must be an IP address (127.0.0.1, ::1, 0.0.0.0), got {v:?}"
                ))
            })?,
        };
        let port = match number("PORT")? {
            None => 3000,
            Some(p) => u16::try_from(p)
                .map_err(|_| ConfigError(format!("PORT must be at most 65535, got {p}")))?,
        };
        let workers = number("WORKERS")?;
        if workers == Some(0) {
            return Err(ConfigError("WORKERS must be at least 1".into()));
        }
        let framework = match lookup("STOREFRONT_FRAMEWORK") {
            Some(v) => v.parse()?,
            None => Framework::Preact,
        };
        let engine = match lookup("STOREFRONT_ENGINE") {
            Some(v) => v.parse()?,
            None => Engine::default(),
        };
        let explicit = lookup("STOREFRONT_DIST").map(PathBuf::from);
        let dist = find_dist(explicit.as_deref(), &dist_candidates(), framework)?;
        let cache = switch(&lookup, "STOREFRONT_CACHE", true)?;
        let watch = switch(&lookup, "STOREFRONT_WATCH", false)?;
        Ok(Config {
            host,
            port,
            workers,
            framework,
            engine,
            dist,
            cache,
            watch,
        })
    }

    /// The chosen framework's build: `server.js`, `.vite/manifest.json`, `assets/`.
    pub fn build_dir(&self) -> PathBuf {
        self.dist.join(self.framework.name())
    }

    /// The server bundle in [`build_dir`](Self::build_dir), the file development mode
    /// watches.
    pub fn server_bundle(&self) -> PathBuf {
        self.build_dir().join("server.js")
    }
}

/// An `on`/`off` variable, `default` when unset.
fn switch(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: bool,
) -> Result<bool, ConfigError> {
    match lookup(name).as_deref() {
        None => Ok(default),
        Some("on") => Ok(true),
        Some("off") => Ok(false),
        Some(other) => Err(ConfigError(format!(
            "{name} must be on or off, got {other:?}"
        ))),
    }
}

/// `web/dist` in this package's source tree (a compile-time path): the last place
/// looked, so `cargo run` works from any directory of the checkout.
pub fn source_dist() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("web/dist")
}

/// Where the build is looked for when `STOREFRONT_DIST` is not set, in order: beside the
/// binary (`<exe dir>/web/dist`, `<exe dir>/dist`), in the working directory (`web/dist`,
/// `examples/storefront/web/dist`), then [`source_dist`].
pub fn dist_candidates() -> Vec<PathBuf> {
    let mut candidates = Vec::new();
    let exe = std::env::current_exe().ok();
    if let Some(dir) = exe.as_deref().and_then(Path::parent) {
        candidates.push(dir.join("web/dist"));
        candidates.push(dir.join("dist"));
    }
    if let Ok(cwd) = std::env::current_dir() {
        candidates.push(cwd.join("web/dist"));
        candidates.push(cwd.join("examples/storefront/web/dist"));
    }
    candidates.push(source_dist());
    candidates
}

/// The build directory: `explicit` (from `STOREFRONT_DIST`) when given, which must hold
/// `<framework>/server.js`, else the first of `candidates` that does.
///
/// # Errors
///
/// `explicit` lacks the build, or no candidate has it; the message names every place
/// looked.
pub fn find_dist(
    explicit: Option<&Path>,
    candidates: &[PathBuf],
    framework: Framework,
) -> Result<PathBuf, ConfigError> {
    let has_build = |dir: &Path| dir.join(framework.name()).join("server.js").is_file();
    if let Some(dir) = explicit {
        if has_build(dir) {
            return Ok(dir.to_owned());
        }
        return Err(ConfigError(format!(
            "STOREFRONT_DIST={} has no {framework} build ({}/server.js is missing)",
            dir.display(),
            framework.name()
        )));
    }
    if let Some(dir) = candidates.iter().find(|dir| has_build(dir)) {
        return Ok(dir.clone());
    }
    let looked: Vec<String> = candidates.iter().map(|d| d.display().to_string()).collect();
    Err(ConfigError(format!(
        "no {framework} build found (<dist>/{}/server.js); looked in: {}. Set STOREFRONT_DIST \
         or run `npm run build` in examples/storefront/web",
        framework.name(),
        looked.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn defaults_need_no_environment() {
        let c = config(&[]).expect("defaults are valid");
        assert_eq!(c.port, 3000);
        assert_eq!(c.host, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(c.workers, None);
        assert_eq!(c.framework, Framework::Preact);
        assert!(c.cache);
        assert!(!c.watch, "no file watching unless asked for");
        assert!(c.build_dir().join("server.js").is_file(), "{c:?}");
    }

    #[test]
    fn variables_override_the_defaults() {
        let dist = source_dist();
        let c = config(&[
            ("HOST", "::1"),
            ("PORT", "0"),
            ("WORKERS", "3"),
            ("STOREFRONT_FRAMEWORK", "react"),
            (
                "STOREFRONT_DIST",
                dist.to_str().expect("a UTF-8 checkout path"),
            ),
            ("STOREFRONT_CACHE", "off"),
            ("STOREFRONT_WATCH", "on"),
        ])
        .expect("valid");
        assert_eq!(c.host, "::1".parse::<IpAddr>().unwrap());
        assert_eq!(c.port, 0);
        assert!(!c.cache);
        assert!(c.watch);
        assert_eq!(c.workers, Some(3));
        assert_eq!(c.build_dir(), dist.join("react"));
    }

    /// A scratch directory, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let dir =
                std::env::temp_dir().join(format!("storefront-dist-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }

        /// `<self>/<sub>/preact/server.js`.
        fn with_build(&self, sub: &str) -> PathBuf {
            let dist = self.0.join(sub);
            std::fs::create_dir_all(dist.join("preact")).unwrap();
            std::fs::write(dist.join("preact/server.js"), "").unwrap();
            dist
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn dist_is_the_first_candidate_with_the_build() {
        let scratch = Scratch::new("first");
        let empty = scratch.0.join("empty");
        let second = scratch.with_build("second");
        let third = scratch.with_build("third");
        let candidates = [empty, second.clone(), third];
        let found = find_dist(None, &candidates, Framework::Preact).unwrap();
        assert_eq!(found, second);
    }

    #[test]
    fn explicit_dist_wins_and_must_hold_the_build() {
        let scratch = Scratch::new("explicit");
        let explicit = scratch.with_build("explicit");
        let other = scratch.with_build("other");
        let found = find_dist(
            Some(&explicit),
            std::slice::from_ref(&other),
            Framework::Preact,
        )
        .unwrap();
        assert_eq!(found, explicit);
        let e = find_dist(Some(&other), &[], Framework::React).unwrap_err();
        assert!(e.to_string().contains("STOREFRONT_DIST"), "{e}");
        assert!(e.to_string().contains("react/server.js"), "{e}");
    }

    #[test]
    fn missing_dist_names_every_place_looked() {
        let scratch = Scratch::new("missing");
        let candidates = [scratch.0.join("a"), scratch.0.join("b")];
        let e = find_dist(None, &candidates, Framework::Preact).unwrap_err();
        for dir in &candidates {
            assert!(e.to_string().contains(&dir.display().to_string()), "{e}");
        }
    }

    #[test]
    fn candidates_end_with_the_source_tree() {
        let candidates = dist_candidates();
        assert_eq!(candidates.last(), Some(&source_dist()));
        assert!(candidates.len() >= 3, "{candidates:?}");
    }

    #[test]
    fn bad_values_are_reported_by_name() {
        let e = config(&[("HOST", "localhost")]).expect_err("not an address");
        assert!(e.to_string().contains("HOST"), "{e}");
        let e = config(&[("PORT", "70000")]).expect_err("too large");
        assert!(e.to_string().contains("PORT"), "{e}");
        let e = config(&[("WORKERS", "two")]).expect_err("not a number");
        assert!(e.to_string().contains("WORKERS"), "{e}");
        let e = config(&[("WORKERS", "0")]).expect_err("zero workers");
        assert!(e.to_string().contains("WORKERS"), "{e}");
        let e = config(&[("STOREFRONT_FRAMEWORK", "vue")]).expect_err("unknown");
        assert!(e.to_string().contains("vue"), "{e}");
        let e = config(&[("STOREFRONT_CACHE", "no")]).expect_err("not on or off");
        assert!(e.to_string().contains("STOREFRONT_CACHE"), "{e}");
        let e = config(&[("STOREFRONT_WATCH", "1")]).expect_err("not on or off");
        assert!(e.to_string().contains("STOREFRONT_WATCH"), "{e}");
        let e = config(&[("STOREFRONT_ENGINE", "spidermonkey")]).expect_err("unknown");
        assert!(e.to_string().contains("STOREFRONT_ENGINE"), "{e}");
    }

    #[test]
    fn engine_is_chosen_by_name() {
        let c = config(&[("STOREFRONT_ENGINE", "quickjs")]).expect("valid");
        assert_eq!(c.engine, Engine::QuickJs);
    }

    #[cfg(feature = "v8")]
    #[test]
    fn v8_is_the_default_with_the_feature() {
        assert_eq!(config(&[]).expect("valid").engine, Engine::V8);
        let c = config(&[("STOREFRONT_ENGINE", "v8")]).expect("valid");
        assert_eq!(c.engine, Engine::V8);
    }

    #[cfg(not(feature = "v8"))]
    #[test]
    fn v8_without_the_feature_says_how_to_get_it() {
        assert_eq!(config(&[]).expect("valid").engine, Engine::QuickJs);
        let e = config(&[("STOREFRONT_ENGINE", "v8")]).expect_err("not compiled in");
        assert!(e.to_string().contains("--features v8"), "{e}");
    }
}
