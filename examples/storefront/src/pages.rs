//! The server-rendered pages: which routes render, with which props, cached for how long.

use std::time::Duration;

use hiver_ssr::serve::{PagePolicy, RequestParts, Ssr, SsrBuilder, SsrError};
use serde_json::{Map, Value, json};

use crate::config::{Config, Engine};

/// The listing's query parameters (web/README.md): the only ones that change the page, so
/// the only ones in its cache key. Tracking tags and cache busters share one page.
pub const LISTING_QUERY: [&str; 5] = ["category", "min_price", "max_price", "sort", "page"];

/// Fresh for a minute, then served stale for 30 s while one render refreshes it.
const TTL: Duration = Duration::from_secs(60);
const SWR: Duration = Duration::from_secs(30);

/// The props contract of the web app: `{ path, query, cart: { count } }`, with `query`
/// holding only the declared parameters. The cart starts empty on the server (the browser
/// restores its own count from `localStorage` after hydration), so every visitor shares
/// the cached page.
fn props(req: &RequestParts<'_>) -> Value {
    let query: Map<String, Value> = LISTING_QUERY
        .iter()
        .filter_map(|name| Some(((*name).to_owned(), Value::from(req.query(name)?))))
        .collect();
    json!({ "path": req.path(), "query": query, "cart": { "count": 0 } })
}

/// Loads the chosen framework's bundle, manifest and assets and declares the page routes.
///
/// # Errors
///
/// The bundle, the manifest or an asset file is missing or broken (the error names it).
pub fn ssr(config: &Config) -> Result<Ssr, SsrError> {
    let build = config.build_dir();
    let entry = format!("src/{}/client.jsx", config.framework.name());
    // `STOREFRONT_CACHE=off`: every route renders every time (benchmarks of the renderer).
    let store = |policy: PagePolicy| policy.no_store(!config.cache);
    engine(config.engine)
        .bundle(config.server_bundle())
        .manifest(build.join(".vite/manifest.json"), entry)
        .page(
            "/",
            store(
                PagePolicy::new()
                    .query(LISTING_QUERY)
                    .ttl(TTL)
                    .swr(SWR)
                    .tag("listing")
                    .props(props),
            ),
        )
        .page(
            "/product/{id}",
            store(
                PagePolicy::new()
                    .ttl(TTL)
                    .swr(SWR)
                    .tag("product")
                    .tag("product:{id}")
                    .props(props),
            ),
        )
        // Every other path gets the app's own 404 page. Never stored: a scanner walking
        // random paths must not fill the cache.
        .page("/{*rest}", PagePolicy::new().no_store(true).props(props))
        .build()
}

/// An SSR builder rendering on `engine`, with its default settings.
fn engine(engine: Engine) -> SsrBuilder {
    match engine {
        Engine::QuickJs => Ssr::builder().engine(hiver_ssr::engine::QuickJs),
        #[cfg(feature = "v8")]
        Engine::V8 => Ssr::builder().engine(hiver_ssr::engine::V8),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_query_matches_the_web_readme() {
        let readme = include_str!("../web/README.md");
        for name in LISTING_QUERY {
            assert!(
                readme.contains(&format!("`{name}`")),
                "{name} not in web/README.md"
            );
        }
    }
}
