//! Configuring an [`Ssr`]: everything is loaded and checked in `build`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use http::header::HeaderValue;

use super::error::SsrError;
use super::finish::Finisher;
use super::policy::{PagePolicy, check_tag, pattern_params};
use super::{Counters, Inner, PageRoute, Ssr, assets};
use crate::cache::{BypassRules, Compression, PageCache};
use crate::document::{DocumentTemplate, Manifest};
use crate::{RenderPool, RenderPoolBuilder};

/// Configures an [`Ssr`]. Nothing starts until [`build`](Self::build), which loads and
/// checks everything (bundle, manifest, asset files, routes) and fails with an
/// [`SsrError`] naming the file and line rather than starting half-working.
#[derive(Debug)]
pub struct SsrBuilder {
    bundle: Option<PathBuf>,
    pool: Option<Arc<RenderPool>>,
    pool_options: RenderPoolBuilder,
    manifest: Option<(PathBuf, String)>,
    dist_dir: Option<PathBuf>,
    asset_base: String,
    serve_assets: bool,
    template: crate::document::DocumentTemplateBuilder,
    cache: Option<PageCache>,
    l2_max_bytes: Option<u64>,
    l1_max_entries: Option<usize>,
    bypass: Option<BypassRules>,
    compression: Compression,
    finish_threads: usize,
    pages: Vec<(String, PagePolicy)>,
}

impl Default for SsrBuilder {
    fn default() -> Self {
        SsrBuilder {
            bundle: None,
            pool: None,
            pool_options: RenderPool::builder(),
            manifest: None,
            dist_dir: None,
            asset_base: "/".to_owned(),
            serve_assets: true,
            template: DocumentTemplate::builder(),
            cache: None,
            l2_max_bytes: None,
            l1_max_entries: None,
            bypass: None,
            compression: Compression::default(),
            finish_threads: 1,
            pages: Vec::new(),
        }
    }
}

impl SsrBuilder {
    /// The server bundle (a classic script defining `globalThis.render`): loaded into a
    /// render pool at build, re-read by [`Ssr::reload`](super::Ssr::reload).
    pub fn bundle(mut self, path: impl Into<PathBuf>) -> Self {
        self.bundle = Some(path.into());
        self
    }

    /// Renders with an existing pool instead of starting one (the pool options below are
    /// then ignored). With [`bundle`](Self::bundle) also set, `reload` re-reads that file.
    pub fn pool(mut self, pool: Arc<RenderPool>) -> Self {
        self.pool = Some(pool);
        self
    }

    /// The JS engine backend of the render pool (default [`QuickJs`](crate::engine::QuickJs);
    /// [`V8`](crate::engine) with the `v8` feature).
    pub fn engine(mut self, factory: impl crate::engine::EngineFactory + 'static) -> Self {
        self.pool_options = self.pool_options.engine(factory);
        self
    }

    /// Render threads (default: the available cores).
    pub fn threads(mut self, threads: usize) -> Self {
        self.pool_options = self.pool_options.threads(threads);
        self
    }

    /// Renders that may wait for a thread before requests get the shell with 503
    /// (default 512).
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.pool_options = self.pool_options.queue_capacity(capacity);
        self
    }

    /// Pins render thread `i` to the `i`-th allowed CPU (default `false`: the HTTP workers
    /// already own one core each; see [`RenderPoolBuilder::pin_threads`]).
    pub fn pin_threads(mut self, pin: bool) -> Self {
        self.pool_options = self.pool_options.pin_threads(pin);
        self
    }

    /// Wall-clock budget of one render (default 2 s).
    pub fn time_limit(mut self, limit: Duration) -> Self {
        self.pool_options = self.pool_options.time_limit(limit);
        self
    }

    /// Heap limit of each JS context in bytes (default 64 MiB).
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.pool_options = self.pool_options.memory_limit(bytes);
        self
    }

    /// Native stack the interpreter may use, in bytes (default 1 MiB).
    pub fn stack_limit(mut self, bytes: usize) -> Self {
        self.pool_options = self.pool_options.stack_limit(bytes);
        self
    }

    /// The client build's Vite manifest (`dist/.vite/manifest.json`) and the entry to load
    /// on every page (`src/main.tsx`). Without it pages carry no asset tags.
    pub fn manifest(mut self, path: impl Into<PathBuf>, entry: impl Into<String>) -> Self {
        self.manifest = Some((path.into(), entry.into()));
        self
    }

    /// The client build directory the manifest's files are relative to. Default: the
    /// directory holding `.vite/`, i.e. the manifest's grandparent when its parent is
    /// `.vite`, else its parent.
    pub fn dist_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dist_dir = Some(dir.into());
        self
    }

    /// The URL prefix of the client assets in the pages (default `/`). A path prefix is
    /// also where the assets are served; a full URL (a CDN) is only used in the tags.
    pub fn asset_base(mut self, base: impl Into<String>) -> Self {
        self.asset_base = base.into();
        self
    }

    /// Whether the router serves the manifest's files (default true, for path bases).
    /// They are served from disk by `hiver_static::ServeFile`: `ETag`, 304, ranges,
    /// `Cache-Control: public, max-age=31536000, immutable`, and the precompressed
    /// siblings the build wrote next to them (`app-1a2b.js.br`, `.zst`, `.gz`), chosen
    /// by `Accept-Encoding`. Nothing is compressed at request time: without siblings the
    /// files go out as they are.
    pub fn serve_assets(mut self, serve: bool) -> Self {
        self.serve_assets = serve;
        self
    }

    /// The `lang` of `<html>` (default `en`).
    pub fn lang(mut self, lang: impl Into<String>) -> Self {
        self.template = self.template.lang(lang);
        self
    }

    /// The `id` of the root element the app mounts on (default `app`).
    pub fn root_id(mut self, id: impl Into<String>) -> Self {
        self.template = self.template.root_id(id);
        self
    }

    /// Static markup for every `<head>` (favicon, fonts). Trusted: inserted as is.
    pub fn head_html(mut self, html: impl Into<String>) -> Self {
        self.template = self.template.head_html(html);
        self
    }

    /// Uses an existing page cache (its own size and bypass rules apply).
    pub fn cache(mut self, cache: PageCache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Bytes the shared L2 may hold (default 256 MiB).
    pub fn l2_max_bytes(mut self, bytes: u64) -> Self {
        self.l2_max_bytes = Some(bytes);
        self
    }

    /// Pages in each worker's L1 (default 1024).
    pub fn l1_max_entries(mut self, entries: usize) -> Self {
        self.l1_max_entries = Some(entries);
        self
    }

    /// Which requests bypass the cache (default: `Authorization` or a `session` cookie).
    pub fn bypass(mut self, rules: BypassRules) -> Self {
        self.bypass = Some(rules);
        self
    }

    /// How pages are pre-compressed (default brotli 5 and gzip 4 above 256 bytes).
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Threads that assemble and compress pages after a render (default 1). A page with
    /// nothing to compress is assembled on the HTTP worker that awaited the render (one
    /// copy, cheaper than the hop); 0 does every page there.
    pub fn finish_threads(mut self, threads: usize) -> Self {
        self.finish_threads = threads;
        self
    }

    /// Serves `pattern` (a hiver route pattern: `/product/{id}`) by rendering it.
    pub fn page(mut self, pattern: impl Into<String>, policy: PagePolicy) -> Self {
        self.pages.push((pattern.into(), policy));
        self
    }

    /// Loads the bundle (or takes the pool), the manifest and every asset file, checks the
    /// routes, and starts the finisher threads.
    ///
    /// # Errors
    ///
    /// [`SsrError::is_bundle`] (with file and line), [`SsrError::is_manifest`],
    /// [`SsrError::is_asset`] or [`SsrError::is_config`].
    pub fn build(self) -> Result<Ssr, SsrError> {
        let routes = self.routes()?;
        let (template, assets) = self.document()?;
        let cache = self.page_cache();
        let pool = match (self.pool, &self.bundle) {
            (Some(pool), _) => pool,
            (None, Some(path)) => Arc::new(self.pool_options.build_file(path)?),
            (None, None) => return Err(SsrError::config("no server bundle and no render pool")),
        };
        let finisher = Finisher::start(self.finish_threads)
            .map_err(|e| SsrError::config(format!("cannot start finisher threads: {e}")))?;
        let inner = Inner {
            pool,
            cache,
            template: Arc::new(template),
            compression: self.compression,
            finisher,
            routes,
            assets,
            bundle_path: self.bundle,
            counters: Counters::default(),
        };
        Ok(Ssr {
            inner: Arc::new(inner),
        })
    }

    fn routes(&self) -> Result<Vec<Arc<PageRoute>>, SsrError> {
        let mut routes = Vec::with_capacity(self.pages.len());
        for (pattern, policy) in &self.pages {
            if !pattern.starts_with('/') {
                return Err(SsrError::config(format!(
                    "page {pattern:?} must start with '/'"
                )));
            }
            let params = pattern_params(pattern);
            for tag in &policy.tags {
                check_tag(tag, &params).map_err(|e| SsrError::config(format!("{pattern}: {e}")))?;
            }
            let cache_control = HeaderValue::from_str(&policy.cache_control())
                .map_err(|e| SsrError::config(format!("{pattern}: cache-control: {e}")))?;
            routes.push(Arc::new(PageRoute {
                pattern: Arc::from(pattern.as_str()),
                cache: policy.cache_policy(),
                policy: policy.clone(),
                cache_control,
            }));
        }
        Ok(routes)
    }

    fn document(&self) -> Result<(DocumentTemplate, Vec<assets::Asset>), SsrError> {
        let Some((path, entry)) = &self.manifest else {
            return Ok((self.template.clone().build(), Vec::new()));
        };
        let manifest = Manifest::from_path(path)?;
        let tags = manifest.asset_tags(entry, &self.asset_base)?;
        let template = self.template.clone().assets(tags).build();
        if !self.serve_assets || !self.asset_base.starts_with('/') {
            return Ok((template, Vec::new()));
        }
        let json = std::fs::read_to_string(path).map_err(|e| SsrError::asset(path, e))?;
        let dist = self.dist_dir.clone().unwrap_or_else(|| default_dist(path));
        let assets = assets::load(&json, &dist, &self.asset_base)?;
        Ok((template, assets))
    }

    fn page_cache(&self) -> PageCache {
        if let Some(cache) = &self.cache {
            return cache.clone();
        }
        let mut builder = PageCache::builder();
        if let Some(bytes) = self.l2_max_bytes {
            builder = builder.l2_max_bytes(bytes);
        }
        if let Some(entries) = self.l1_max_entries {
            builder = builder.l1_max_entries(entries);
        }
        if let Some(rules) = &self.bypass {
            builder = builder.bypass(rules.clone());
        }
        builder.build()
    }
}

/// `dist/.vite/manifest.json` → `dist`; `dist/manifest.json` → `dist`.
fn default_dist(manifest: &Path) -> PathBuf {
    let parent = manifest.parent().unwrap_or(Path::new("."));
    match parent.file_name() {
        Some(name) if name == ".vite" => parent.parent().unwrap_or(Path::new(".")).to_owned(),
        _ => parent.to_owned(),
    }
}
