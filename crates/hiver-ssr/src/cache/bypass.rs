//! Which requests must not be answered from (or stored in) the shared cache: personalised
//! ones, recognised by their credentials.

use http::HeaderMap;
use http::header::{AUTHORIZATION, COOKIE};

/// Decides which requests bypass the cache. By default a request carrying `Authorization` or
/// a cookie named `session` bypasses it, so personalised pages are never shared.
///
/// # Examples
///
/// ```
/// use hiver_ssr::cache::BypassRules;
/// use http::{HeaderMap, header::COOKIE};
///
/// let rules = BypassRules::builder().cookie("sid").build();
/// let mut headers = HeaderMap::new();
/// headers.insert(COOKIE, "theme=dark; sid=42".parse().unwrap());
/// assert!(rules.should_bypass(&headers));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BypassRules {
    authorization: bool,
    cookies: Vec<String>,
}

impl Default for BypassRules {
    fn default() -> Self {
        Self {
            authorization: true,
            cookies: vec!["session".to_owned()],
        }
    }
}

impl BypassRules {
    /// Starts from the defaults (`Authorization` and the `session` cookie bypass).
    pub fn builder() -> BypassRulesBuilder {
        BypassRulesBuilder(Self::default())
    }

    /// Whether a request with these headers must bypass the cache.
    pub fn should_bypass(&self, headers: &HeaderMap) -> bool {
        if self.authorization && headers.contains_key(AUTHORIZATION) {
            return true;
        }
        if self.cookies.is_empty() {
            return false;
        }
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.split_once('=').map(|(name, _)| name.trim()))
            .any(|name| self.cookies.iter().any(|c| c == name))
    }
}

/// Builds [`BypassRules`].
#[derive(Debug, Clone)]
pub struct BypassRulesBuilder(BypassRules);

impl BypassRulesBuilder {
    /// Whether `Authorization` bypasses the cache (default true).
    pub fn authorization(mut self, on: bool) -> Self {
        self.0.authorization = on;
        self
    }

    /// Adds a cookie name whose presence bypasses the cache.
    pub fn cookie(mut self, name: impl Into<String>) -> Self {
        self.0.cookies.push(name.into());
        self
    }

    /// Removes every cookie name, including the default `session`.
    pub fn no_cookies(mut self) -> Self {
        self.0.cookies.clear();
        self
    }

    /// The rules.
    pub fn build(self) -> BypassRules {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(http::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k.clone(), v.parse().unwrap());
        }
        h
    }

    #[test]
    fn defaults() {
        let r = BypassRules::default();
        assert!(!r.should_bypass(&HeaderMap::new()));
        assert!(r.should_bypass(&headers(&[(AUTHORIZATION, "Bearer x")])));
        assert!(r.should_bypass(&headers(&[(COOKIE, "a=1; session=abc")])));
        assert!(r.should_bypass(&headers(&[(COOKIE, "a=1"), (COOKIE, "session=x")])));
        assert!(!r.should_bypass(&headers(&[(COOKIE, "a=1; xsession=abc; b=session")])));
    }

    #[test]
    fn configurable() {
        let r = BypassRules::builder()
            .authorization(false)
            .no_cookies()
            .cookie("sid")
            .build();
        assert!(!r.should_bypass(&headers(&[(AUTHORIZATION, "Bearer x")])));
        assert!(!r.should_bypass(&headers(&[(COOKIE, "session=abc")])));
        assert!(r.should_bypass(&headers(&[(COOKIE, "sid=1")])));
    }
}
