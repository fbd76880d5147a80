//! The site: the bundle, the client build and the props, loaded into an [`Ssr`] that renders
//! every path.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hiver_ssr::document::Manifest;
use hiver_ssr::{PagePolicy, Ssr, SsrBuilder};
use serde_json::Value;

use crate::config::{Engine, SsrConfig};
use crate::error::CliError;

/// Why `--engine v8` cannot be honoured by this build.
#[cfg(not(feature = "v8"))]
const NO_V8: &str = "engine v8: this hiver was built without V8; rebuild it with \
    `cargo install --path crates/hiver-cli --features v8` (where downloads are blocked, \
    point RUSTY_V8_ARCHIVE at a local librusty_v8 archive first)";

/// A loaded site.
pub struct Site {
    /// Pages at `/` and `/{*path}`, and the manifest's files.
    pub ssr: Ssr,
    /// The props of every page, when a props file was given.
    pub props: Option<Arc<Value>>,
}

impl Site {
    /// Loads the props file, picks the manifest entry, loads the bundle into a render pool
    /// and reads the client files.
    ///
    /// # Errors
    ///
    /// Bad input, naming the file: a missing or invalid props file, bundle or manifest (or a
    /// file it names), a manifest with several entries and none chosen, or V8 asked of a
    /// build without it.
    pub fn load(config: &SsrConfig) -> Result<Site, CliError> {
        let props = config.props.as_deref().map(read_props).transpose()?;
        let props = props.map(Arc::new);
        let mut builder =
            builder(config.engine, config.v8_young_generation)?.bundle(&config.bundle);
        if let Some(manifest) = &config.manifest {
            let entry = match &config.entry {
                Some(entry) => entry.clone(),
                None => only_entry(manifest)?,
            };
            builder = builder.manifest(manifest, entry);
        }
        if let Some(threads) = config.render_threads {
            builder = builder.threads(threads);
        }
        if let Some(limit) = config.render_timeout {
            builder = builder.time_limit(limit);
        }
        if let Some(bytes) = config.cache_size {
            builder = builder.l2_max_bytes(bytes);
        }
        let policy = page_policy(config.cache_ttl, props.clone());
        let ssr = builder
            .page("/", policy.clone())
            .page("/{*path}", policy)
            .build()
            .map_err(|e| CliError::input(first_line(&e.to_string())))?;
        Ok(Site { ssr, props })
    }

    /// The props `/` renders with: the props file, else what `hiver_ssr` gives a page
    /// without a props function (`{ path, query, params }`, no query parameter declared).
    pub fn root_props(&self) -> Value {
        match &self.props {
            Some(props) => (**props).clone(),
            None => serde_json::json!({ "path": "/", "query": {}, "params": {} }),
        }
    }
}

/// A builder on `engine`; `young_generation` is V8's (the configuration allows it with V8
/// only).
#[cfg_attr(not(feature = "v8"), allow(unused_variables))]
fn builder(engine: Engine, young_generation: Option<u64>) -> Result<SsrBuilder, CliError> {
    match engine {
        Engine::QuickJs => Ok(Ssr::builder().engine(hiver_ssr::engine::QuickJs)),
        #[cfg(feature = "v8")]
        Engine::V8 => {
            let mut v8 = hiver_ssr::engine::V8;
            if let Some(bytes) = young_generation {
                v8 = v8.young_generation(usize::try_from(bytes).unwrap_or(usize::MAX));
            }
            Ok(Ssr::builder().engine(v8))
        }
        #[cfg(not(feature = "v8"))]
        Engine::V8 => Err(CliError::input(NO_V8)),
    }
}

fn page_policy(ttl: Option<Duration>, props: Option<Arc<Value>>) -> PagePolicy {
    let mut policy = PagePolicy::new();
    if let Some(ttl) = ttl {
        policy = policy.ttl(ttl);
    }
    if let Some(props) = props {
        policy = policy.props(move |_| (*props).clone());
    }
    policy
}

/// Reads the props file: any JSON value.
fn read_props(path: &Path) -> Result<Value, CliError> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::input(format!("{shown}: cannot read the props: {e}")))?;
    serde_json::from_str(&text).map_err(|e| {
        let (line, column) = (e.line(), e.column());
        // serde_json ends its message with " at line L column C"; the position leads here.
        let message = e.to_string();
        let message = message.split(" at line ").next().unwrap_or_default();
        CliError::input(format!(
            "{shown}:{line}:{column}: invalid JSON props: {message}"
        ))
    })
}

/// The manifest's only entry chunk.
fn only_entry(manifest: &Path) -> Result<String, CliError> {
    let parsed = Manifest::from_path(manifest)
        .map_err(|e| CliError::input(format!("vite manifest: {e}")))?;
    let shown = manifest.display();
    match parsed.entries().as_slice() {
        [entry] => Ok((*entry).to_owned()),
        [] => Err(CliError::input(format!(
            "{shown}: the manifest has no entry chunk (isEntry); name the entry with --entry"
        ))),
        entries => Err(CliError::input(format!(
            "{shown}: the manifest has {} entry chunks ({}); choose one with --entry, \
             HIVER_ENTRY or ssr.entry",
            entries.len(),
            entries.join(", ")
        ))),
    }
}

/// The first line of a message (a JS error may carry its stack on the lines after).
pub fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or_default().to_owned()
}
