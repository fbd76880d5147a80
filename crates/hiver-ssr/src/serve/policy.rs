//! Per-route SSR settings: what the page is keyed and tagged by, how long it is cached,
//! which props it renders with.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use serde_json::Value;

use super::request::RequestParts;
use crate::cache::CachePolicy;

/// Computes a page's props from the request.
pub(crate) type PropsFn = Arc<dyn Fn(&RequestParts<'_>) -> Value + Send + Sync>;
/// Computes a page's cache variant (locale, device class) from the request.
pub(crate) type VariantFn = Arc<dyn Fn(&RequestParts<'_>) -> String + Send + Sync>;

/// How one page route is rendered and cached; given to
/// [`SsrBuilder::page`](super::SsrBuilder::page).
///
/// The cache key is the method, the normalised path, the [declared](Self::query) query
/// parameters, a hash of the props and the [variant](Self::variant). Props are hashed into
/// the key, so two requests whose props differ never share a page; query parameters that
/// are not declared (tracking tags, cache busters) neither reach the render nor split the
/// cache. The negotiated content coding is not part of the key: a cached page holds every
/// coding.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use hiver_ssr::serve::PagePolicy;
///
/// let policy = PagePolicy::new()
///     .query(["color", "page"])
///     .ttl(Duration::from_secs(60))
///     .swr(Duration::from_secs(30))
///     .tag("products")
///     .tag("product:{id}") // filled from the route's {id}
///     .props(|req| serde_json::json!({ "id": req.param("id"), "page": req.query("page") }));
/// # let _ = policy;
/// ```
#[derive(Clone)]
pub struct PagePolicy {
    pub(crate) query: Vec<String>,
    pub(crate) ttl: Duration,
    pub(crate) swr: Duration,
    pub(crate) stale_if_error: Duration,
    pub(crate) no_store: bool,
    pub(crate) tags: Vec<String>,
    pub(crate) error_status: StatusCode,
    pub(crate) props: Option<PropsFn>,
    pub(crate) variant: Option<VariantFn>,
}

impl Default for PagePolicy {
    fn default() -> Self {
        PagePolicy::new()
    }
}

impl fmt::Debug for PagePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PagePolicy")
            .field("query", &self.query)
            .field("ttl", &self.ttl)
            .field("swr", &self.swr)
            .field("stale_if_error", &self.stale_if_error)
            .field("no_store", &self.no_store)
            .field("tags", &self.tags)
            .field("error_status", &self.error_status)
            .field("props", &self.props.is_some())
            .field("variant", &self.variant.is_some())
            .finish()
    }
}

impl PagePolicy {
    /// No declared query parameters, 60 s fresh, no stale windows, no tags, failed renders
    /// answered with status 500, the default props (see [`props`](Self::props)).
    pub fn new() -> Self {
        let cache = CachePolicy::default();
        PagePolicy {
            query: Vec::new(),
            ttl: cache.ttl(),
            swr: cache.swr(),
            stale_if_error: cache.stale_if_error(),
            no_store: false,
            tags: Vec::new(),
            error_status: StatusCode::INTERNAL_SERVER_ERROR,
            props: None,
            variant: None,
        }
    }

    /// Declares the query parameters the page depends on (added to any declared before).
    pub fn query<I, T>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.query.extend(names.into_iter().map(Into::into));
        self
    }

    /// How long a rendered page is fresh (default 60 s). Also sent as `max-age`.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// The stale-while-revalidate window after the TTL (default none): a stale page is
    /// served at once while one background render refreshes it.
    pub fn swr(mut self, window: Duration) -> Self {
        self.swr = window;
        self
    }

    /// The stale-if-error window after the TTL (default none): the stale page stands in when
    /// the fresh render fails.
    pub fn stale_if_error(mut self, window: Duration) -> Self {
        self.stale_if_error = window;
        self
    }

    /// Never cache this page: every request renders (default false).
    pub fn no_store(mut self, no_store: bool) -> Self {
        self.no_store = no_store;
        self
    }

    /// Adds a tag purges can name. `{name}` is replaced with the route parameter `name`
    /// (`"product:{id}"` on `/product/{id}`); naming a parameter the route lacks is a build
    /// error.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// The status of the client-side shell served when the render fails (default 500). A
    /// full render queue is always answered with 503.
    pub fn error_status(mut self, status: StatusCode) -> Self {
        self.error_status = status;
        self
    }

    /// The props the page renders with (and hydrates from). The default is
    /// `{ "path": ..., "query": { declared parameters }, "params": { route parameters } }`.
    /// Whatever the function reads from the request must end up in its result: the props
    /// are what the cache key hashes.
    pub fn props(
        mut self,
        props: impl Fn(&RequestParts<'_>) -> Value + Send + Sync + 'static,
    ) -> Self {
        self.props = Some(Arc::new(props));
        self
    }

    /// A variant string that selects a different cached page (a locale from
    /// `Accept-Language`, a device class). Default: none.
    pub fn variant(
        mut self,
        variant: impl Fn(&RequestParts<'_>) -> String + Send + Sync + 'static,
    ) -> Self {
        self.variant = Some(Arc::new(variant));
        self
    }

    pub(crate) fn cache_policy(&self) -> CachePolicy {
        CachePolicy::builder()
            .ttl(self.ttl)
            .swr(self.swr)
            .stale_if_error(self.stale_if_error)
            .no_store(self.no_store)
            .build()
    }

    /// `Cache-Control` for a cached page of this route.
    pub(crate) fn cache_control(&self) -> String {
        let mut value = format!("public, max-age={}", self.ttl.as_secs());
        if !self.swr.is_zero() {
            value.push_str(&format!(", stale-while-revalidate={}", self.swr.as_secs()));
        }
        if !self.stale_if_error.is_zero() {
            let window = self.stale_if_error.as_secs();
            value.push_str(&format!(", stale-if-error={window}"));
        }
        value
    }

    pub(crate) fn props_for(&self, req: &RequestParts<'_>) -> Value {
        match &self.props {
            Some(props) => props(req),
            None => req.default_props(),
        }
    }

    pub(crate) fn variant_for(&self, req: &RequestParts<'_>) -> String {
        self.variant.as_ref().map(|v| v(req)).unwrap_or_default()
    }
}

/// The parameter names of a route pattern: `{id}` and `{*rest}`.
pub(crate) fn pattern_params(pattern: &str) -> Vec<&str> {
    pattern
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| name.trim_start_matches('*'))
        .collect()
}

/// Checks that every `{name}` in `tag` is one of `params`.
pub(crate) fn check_tag(tag: &str, params: &[&str]) -> Result<(), String> {
    let mut rest = tag;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            return Err(format!("tag {tag:?} has an unclosed '{{'"));
        };
        let name = &rest[open + 1..open + close];
        if !params.contains(&name) {
            return Err(format!("tag {tag:?} names no route parameter {name:?}"));
        }
        rest = &rest[open + close + 1..];
    }
    Ok(())
}

/// `tag` with each `{name}` replaced by that route parameter's value.
pub(crate) fn fill_tag(tag: &str, params: &[(String, String)]) -> String {
    let mut out = String::with_capacity(tag.len() + 16);
    let mut rest = tag;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push_str(&rest[..open]);
        let name = &rest[open + 1..open + close];
        if let Some((_, value)) = params.iter().find(|(k, _)| k == name) {
            out.push_str(value);
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_checked_and_filled() {
        let params = pattern_params("/shop/{cat}/{id}/{*rest}");
        assert_eq!(params, ["cat", "id", "rest"]);
        assert!(check_tag("product:{id}", &params).is_ok());
        assert!(check_tag("p:{nope}", &params).is_err());
        assert!(check_tag("p:{id", &params).is_err());
        let values = [("id".to_owned(), "7".to_owned())];
        assert_eq!(fill_tag("product:{id}!", &values), "product:7!");
        assert_eq!(fill_tag("static", &values), "static");
    }

    #[test]
    fn cache_control_follows_the_windows() {
        let p = PagePolicy::new().ttl(Duration::from_secs(5));
        assert_eq!(p.cache_control(), "public, max-age=5");
        let p = p
            .swr(Duration::from_secs(2))
            .stale_if_error(Duration::from_secs(9));
        assert_eq!(
            p.cache_control(),
            "public, max-age=5, stale-while-revalidate=2, stale-if-error=9"
        );
    }
}
