//! What a props or variant function may read from a request.

use http::{HeaderMap, Method, Uri};
use serde_json::{Map, Value};

/// The parts of a request a page's props and variant are computed from: method, path, the
/// route parameters, the *declared* query parameters and the headers.
///
/// Undeclared query parameters are not offered: they are not part of the cache key, so a
/// page must not depend on them.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    pub(crate) method: &'a Method,
    pub(crate) uri: &'a Uri,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) params: &'a [(String, String)],
    pub(crate) query: &'a [(String, String)],
}

impl<'a> RequestParts<'a> {
    /// The request method.
    pub fn method(&self) -> &'a Method {
        self.method
    }

    /// The request path, as sent (not percent-decoded).
    pub fn path(&self) -> &'a str {
        self.uri.path()
    }

    /// The route parameter `name`, percent-decoded.
    pub fn param(&self, name: &str) -> Option<&'a str> {
        lookup(self.params, name)
    }

    /// Every route parameter, in route order.
    pub fn params(&self) -> &'a [(String, String)] {
        self.params
    }

    /// The last value of the declared query parameter `name`, decoded.
    pub fn query(&self, name: &str) -> Option<&'a str> {
        self.query
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every declared query parameter present, in request order, decoded.
    pub fn query_pairs(&self) -> &'a [(String, String)] {
        self.query
    }

    /// The request headers.
    pub fn headers(&self) -> &'a HeaderMap {
        self.headers
    }

    /// The header `name` as text, when present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// `{ "path": ..., "query": { declared parameters }, "params": { route parameters } }`.
    pub(crate) fn default_props(&self) -> Value {
        serde_json::json!({
            "path": self.path(),
            "query": object(self.query),
            "params": object(self.params),
        })
    }
}

fn lookup<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Pairs as a JSON object; a repeated name keeps its last value.
fn object(pairs: &[(String, String)]) -> Value {
    let map: Map<String, Value> = pairs
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    Value::Object(map)
}

/// The declared parameters of a raw query string, decoded, in request order.
///
/// # Errors
///
/// The query is not valid `application/x-www-form-urlencoded` UTF-8.
pub(crate) fn declared_query(
    raw: Option<&str>,
    declared: &[String],
) -> Result<Vec<(String, String)>, serde_urlencoded::de::Error> {
    let Some(raw) = raw.filter(|_| !declared.is_empty()) else {
        return Ok(Vec::new());
    };
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw)?;
    Ok(pairs
        .into_iter()
        .filter(|(k, _)| declared.iter().any(|d| d == k))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_declared_parameters_survive() {
        let declared = ["q".to_owned()];
        let pairs = declared_query(Some("utm=1&q=a%20b&q=c+d"), &declared).unwrap();
        assert_eq!(
            pairs,
            [("q".into(), "a b".into()), ("q".into(), "c d".into())]
        );
        assert!(declared_query(Some("q=1"), &[]).unwrap().is_empty());
        assert!(declared_query(None, &declared).unwrap().is_empty());
    }

    #[test]
    fn default_props_shape() {
        let (method, uri, headers) = (Method::GET, "/p/7?q=x".parse().unwrap(), HeaderMap::new());
        let params = [("id".to_owned(), "7".to_owned())];
        let query = [("q".to_owned(), "x".to_owned())];
        let req = RequestParts {
            method: &method,
            uri: &uri,
            headers: &headers,
            params: &params,
            query: &query,
        };
        assert_eq!(
            req.default_props(),
            serde_json::json!({"path": "/p/7", "query": {"q": "x"}, "params": {"id": "7"}})
        );
        assert_eq!((req.param("id"), req.query("q")), (Some("7"), Some("x")));
    }
}
