//! The cache key: which requests may share one cached page.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use http::Method;
use xxhash_rust::xxh3::{xxh3_64_with_seed, xxh3_128};

use super::normalize;

/// Identifies one cached page: method, normalised path, the query parameters the route
/// declares, a 128-bit hash of the render inputs (props) and a caller-chosen variant
/// (locale, device class…). Cheap to clone; hashing it costs one precomputed `u64`.
///
/// # Examples
///
/// ```
/// use hiver_ssr::cache::CacheKey;
/// use http::Method;
///
/// let a = CacheKey::builder(&Method::GET, "//blog/hello/")
///     .query(Some("page=2&utm_source=x"), &["page"])
///     .props_json(&serde_json::json!({"id": 7}))
///     .variant("en")
///     .build()?;
/// let b = CacheKey::builder(&Method::GET, "/blog/hello")
///     .query(Some("page=2"), &["page"])
///     .props_json(&serde_json::json!({"id": 7}))
///     .variant("en")
///     .build()?;
/// assert_eq!(a, b);
/// # Ok::<(), hiver_ssr::cache::KeyError>(())
/// ```
#[derive(Clone)]
pub struct CacheKey(Arc<KeyInner>);

#[derive(PartialEq, Eq)]
struct KeyInner {
    /// Precomputed from every other field, so map lookups never rehash strings.
    hash: u64,
    method: Method,
    path: String,
    query: String,
    props: u128,
    variant: String,
}

impl CacheKey {
    /// Starts a key for `method` and the raw request path (without the query).
    /// `HEAD` is keyed as `GET`: both are answered from the same page.
    pub fn builder(method: &Method, path: &str) -> CacheKeyBuilder {
        let method = if method == Method::HEAD {
            Method::GET
        } else {
            method.clone()
        };
        CacheKeyBuilder {
            method,
            path: path.to_owned(),
            query: None,
            declared: Vec::new(),
            props: 0,
            variant: String::new(),
        }
    }

    /// The request method (`HEAD` appears as `GET`).
    pub fn method(&self) -> &Method {
        &self.0.method
    }

    /// The normalised path; purges by path and prefix match against it.
    pub fn path(&self) -> &str {
        &self.0.path
    }

    /// The declared query parameters in canonical form (`a=1&b=2`, sorted by name).
    pub fn query(&self) -> &str {
        &self.0.query
    }

    /// The 128-bit hash of the props.
    pub fn props_hash(&self) -> u128 {
        self.0.props
    }

    /// The variant string given by the caller (empty when none).
    pub fn variant(&self) -> &str {
        &self.0.variant
    }

    /// Bytes this key holds, for the cache weigher.
    pub(crate) fn weight(&self) -> usize {
        std::mem::size_of::<KeyInner>()
            + self.0.path.len()
            + self.0.query.len()
            + self.0.variant.len()
    }
}

impl PartialEq for CacheKey {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Eq for CacheKey {}

impl Hash for CacheKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0.hash);
    }
}

impl fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0.method, self.0.path)?;
        if !self.0.query.is_empty() {
            write!(f, "?{}", self.0.query)?;
        }
        write!(
            f,
            " props={:032x} variant={:?}",
            self.0.props, self.0.variant
        )
    }
}

/// Builds a [`CacheKey`]; see [`CacheKey::builder`].
#[derive(Debug, Clone)]
pub struct CacheKeyBuilder {
    method: Method,
    path: String,
    query: Option<String>,
    declared: Vec<String>,
    props: u128,
    variant: String,
}

impl CacheKeyBuilder {
    /// The raw query string (after `?`) and the parameter names the route declares; every
    /// other parameter (tracking tags, cache busters) is ignored so it cannot split the cache.
    pub fn query(mut self, raw: Option<&str>, declared: &[&str]) -> Self {
        self.query = raw.map(str::to_owned);
        self.declared = declared.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// Hashes the props as canonical JSON (object keys sorted, no whitespace), so equal
    /// props hash equally whatever their key order.
    pub fn props_json(self, props: &serde_json::Value) -> Self {
        let mut bytes = Vec::with_capacity(128);
        canonical_json(props, &mut bytes);
        self.props_bytes(&bytes)
    }

    /// Hashes props the caller has already serialised canonically.
    pub fn props_bytes(mut self, bytes: &[u8]) -> Self {
        self.props = xxh3_128(bytes);
        self
    }

    /// The variant: whatever else selects a different page (locale, device class).
    pub fn variant(mut self, variant: &str) -> Self {
        variant.clone_into(&mut self.variant);
        self
    }

    /// Normalises the path and query and builds the key.
    ///
    /// # Errors
    ///
    /// The path does not start with `/`, or a percent-escape is malformed or decodes to
    /// invalid UTF-8 in the query.
    pub fn build(self) -> Result<CacheKey, KeyError> {
        let path = normalize::path(&self.path)?;
        let declared: Vec<&str> = self.declared.iter().map(String::as_str).collect();
        let query = match &self.query {
            Some(raw) => normalize::query(raw, &declared)?,
            None => String::new(),
        };
        let hash = key_hash(&self.method, &path, &query, self.props, &self.variant);
        Ok(CacheKey(Arc::new(KeyInner {
            hash,
            method: self.method,
            path,
            query,
            props: self.props,
            variant: self.variant,
        })))
    }
}

fn key_hash(method: &Method, path: &str, query: &str, props: u128, variant: &str) -> u64 {
    let mut buf = Vec::with_capacity(64 + path.len() + query.len() + variant.len());
    // Length prefixes keep field boundaries unambiguous.
    for part in [method.as_str(), path, query, variant] {
        buf.extend_from_slice(&(part.len() as u64).to_le_bytes());
        buf.extend_from_slice(part.as_bytes());
    }
    buf.extend_from_slice(&props.to_le_bytes());
    xxh3_64_with_seed(&buf, seed())
}

/// A per-process random seed: without it, crafted paths could collide on purpose and turn
/// map lookups linear.
fn seed() -> u64 {
    use std::hash::BuildHasher;
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *SEED.get_or_init(|| std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64))
}

/// Writes `value` as JSON with object keys sorted, independent of serde_json's map order.
fn canonical_json(value: &serde_json::Value, out: &mut Vec<u8>) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(&Value::String(k.clone()), out);
                out.push(b':');
                canonical_json(v, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical_json(v, out);
            }
            out.push(b']');
        }
        scalar => write_json(scalar, out),
    }
}

fn write_json(scalar: &serde_json::Value, out: &mut Vec<u8>) {
    // Serialising a `Value` into a Vec cannot fail: no I/O, and every Value is valid JSON.
    serde_json::to_writer(out, scalar).expect("serialising a serde_json::Value to memory");
}

/// Why a [`CacheKey`] (or a purge path) could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyError {
    kind: KeyErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyErrorKind {
    PathNotAbsolute,
    BadEscape,
}

impl KeyError {
    pub(crate) const PATH_NOT_ABSOLUTE: Self = Self {
        kind: KeyErrorKind::PathNotAbsolute,
    };
    pub(crate) const BAD_ESCAPE: Self = Self {
        kind: KeyErrorKind::BadEscape,
    };

    /// The path did not start with `/`.
    pub fn is_path_not_absolute(&self) -> bool {
        self.kind == KeyErrorKind::PathNotAbsolute
    }

    /// A `%` escape was malformed, or a query escape decoded to invalid UTF-8.
    pub fn is_bad_escape(&self) -> bool {
        self.kind == KeyErrorKind::BadEscape
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            KeyErrorKind::PathNotAbsolute => "request path does not start with '/'",
            KeyErrorKind::BadEscape => "malformed percent-escape in request path or query",
        })
    }
}

impl std::error::Error for KeyError {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(path: &str, query: &str, props: serde_json::Value) -> CacheKey {
        CacheKey::builder(&Method::GET, path)
            .query(Some(query), &["page"])
            .props_json(&props)
            .build()
            .unwrap()
    }

    #[test]
    fn props_distinguish_and_key_order_does_not() {
        assert_ne!(
            key("/a", "", json!({"id": 1})),
            key("/a", "", json!({"id": 2}))
        );
        assert_eq!(
            key("/a", "", json!({"x": 1, "y": [1, {"b": 2, "a": 1}]})),
            key("/a", "", json!({"y": [1, {"a": 1, "b": 2}], "x": 1}))
        );
    }

    #[test]
    fn declared_query_distinguishes_undeclared_does_not() {
        assert_eq!(
            key("/a", "page=1&utm=x", json!(null)),
            key("/a", "page=1", json!(null))
        );
        assert_ne!(
            key("/a", "page=1", json!(null)),
            key("/a", "page=2", json!(null))
        );
    }

    #[test]
    fn head_is_get_and_methods_differ() {
        let head = CacheKey::builder(&Method::HEAD, "/").build().unwrap();
        let get = CacheKey::builder(&Method::GET, "/").build().unwrap();
        let post = CacheKey::builder(&Method::POST, "/").build().unwrap();
        assert_eq!(head, get);
        assert_ne!(get, post);
    }

    #[test]
    fn variant_distinguishes() {
        let en = CacheKey::builder(&Method::GET, "/")
            .variant("en")
            .build()
            .unwrap();
        let de = CacheKey::builder(&Method::GET, "/")
            .variant("de")
            .build()
            .unwrap();
        assert_ne!(en, de);
        assert_eq!(en.variant(), "en");
    }

    #[test]
    fn bad_path_is_error() {
        let err = CacheKey::builder(&Method::GET, "x").build().unwrap_err();
        assert!(err.is_path_not_absolute());
    }
}
