//! Per-route cache policy: how long a page is fresh and how long it may be served stale.

use std::time::Duration;

/// How one route's pages are cached.
///
/// After `ttl` a page is stale. Within the following `swr` (stale-while-revalidate) window it
/// is still served at once while one background render refreshes it; within the following
/// `stale_if_error` window it is served only when a fresh render fails. `no_store` routes are
/// never cached (every request renders).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use hiver_ssr::cache::CachePolicy;
///
/// let policy = CachePolicy::builder()
///     .ttl(Duration::from_secs(60))
///     .swr(Duration::from_secs(30))
///     .stale_if_error(Duration::from_secs(600))
///     .build();
/// assert_eq!(policy.ttl(), Duration::from_secs(60));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    ttl: Duration,
    swr: Duration,
    stale_if_error: Duration,
    no_store: bool,
}

impl Default for CachePolicy {
    /// 60 s fresh, no stale windows.
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(60),
            swr: Duration::ZERO,
            stale_if_error: Duration::ZERO,
            no_store: false,
        }
    }
}

impl CachePolicy {
    /// Starts from the default policy (60 s fresh, no stale windows).
    pub fn builder() -> CachePolicyBuilder {
        CachePolicyBuilder(Self::default())
    }

    /// A policy that never stores: every request renders.
    pub fn no_store() -> Self {
        Self {
            no_store: true,
            ..Self::default()
        }
    }

    /// How long a page is fresh.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The stale-while-revalidate window after `ttl`.
    pub fn swr(&self) -> Duration {
        self.swr
    }

    /// The stale-if-error window after `ttl`.
    pub fn stale_if_error(&self) -> Duration {
        self.stale_if_error
    }

    /// Whether pages of this route are never stored.
    pub fn is_no_store(&self) -> bool {
        self.no_store
    }

    /// How long after insertion the entry can still be used at all.
    pub(crate) fn retention(&self) -> Duration {
        self.ttl.saturating_add(self.swr.max(self.stale_if_error))
    }

    /// Where a page of age `age` stands under this policy.
    pub(crate) fn freshness(&self, age: Duration) -> Freshness {
        if age < self.ttl {
            Freshness::Fresh
        } else if age < self.ttl.saturating_add(self.swr) {
            Freshness::Revalidate
        } else if age < self.ttl.saturating_add(self.stale_if_error) {
            Freshness::ErrorOnly
        } else {
            Freshness::Dead
        }
    }
}

/// Where a cached page stands, given its age and policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshness {
    /// Serve it.
    Fresh,
    /// Serve it and refresh in the background.
    Revalidate,
    /// Render; serve it only if the render fails.
    ErrorOnly,
    /// Useless.
    Dead,
}

/// Builds a [`CachePolicy`].
#[derive(Debug, Clone, Copy)]
pub struct CachePolicyBuilder(CachePolicy);

impl CachePolicyBuilder {
    /// How long a page is fresh (default 60 s).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.0.ttl = ttl;
        self
    }

    /// The stale-while-revalidate window after `ttl` (default none).
    pub fn swr(mut self, swr: Duration) -> Self {
        self.0.swr = swr;
        self
    }

    /// The stale-if-error window after `ttl` (default none).
    pub fn stale_if_error(mut self, window: Duration) -> Self {
        self.0.stale_if_error = window;
        self
    }

    /// Never store pages of this route (default false).
    pub fn no_store(mut self, no_store: bool) -> Self {
        self.0.no_store = no_store;
        self
    }

    /// The policy.
    pub fn build(self) -> CachePolicy {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_follow_ttl() {
        let s = Duration::from_secs;
        let p = CachePolicy::builder()
            .ttl(s(10))
            .swr(s(5))
            .stale_if_error(s(20))
            .build();
        assert_eq!(p.freshness(s(0)), Freshness::Fresh);
        assert_eq!(p.freshness(s(10)), Freshness::Revalidate);
        assert_eq!(p.freshness(s(14)), Freshness::Revalidate);
        assert_eq!(p.freshness(s(15)), Freshness::ErrorOnly);
        assert_eq!(p.freshness(s(30)), Freshness::Dead);
        assert_eq!(p.retention(), s(30));
    }
}
