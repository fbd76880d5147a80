//! The purge log: every purge gets a monotonic epoch, and entries are checked against the
//! purges newer than the epoch they were filled at. A purge returns after appending its
//! record, without waiting for any worker: each worker's next lookup sees the new epoch and
//! refuses the purged entries.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};

use super::entry::Entry;
use super::key::CacheKey;

/// What one purge removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Purge {
    /// Every entry for this normalised path (all methods, queries, props and variants).
    Path(String),
    /// Every entry whose path is this one or below it (segment-wise).
    Prefix(String),
    /// Every entry whose page carries this tag.
    Tag(String),
    /// Everything.
    All,
}

impl Purge {
    pub(crate) fn matches(&self, key: &CacheKey, tags: &[String]) -> bool {
        match self {
            Self::Path(p) => key.path() == p,
            Self::Prefix(p) => under(key.path(), p),
            Self::Tag(t) => tags.iter().any(|tag| tag == t),
            Self::All => true,
        }
    }
}

fn under(path: &str, prefix: &str) -> bool {
    prefix == "/"
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Shared by every worker; written only by purges (rare), read lock-free on the hot path.
pub(crate) struct PurgeLog {
    /// The epoch of the newest record; bumped after the record is appended.
    epoch: AtomicU64,
    /// The newest purges, oldest first, with consecutive epochs. Bounded: an entry older than
    /// the oldest kept record cannot be proven clean and counts as purged.
    records: RwLock<VecDeque<(u64, Purge)>>,
    limit: usize,
}

impl PurgeLog {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            epoch: AtomicU64::new(0),
            records: RwLock::new(VecDeque::new()),
            limit: limit.max(1),
        }
    }

    /// The current epoch; an entry whose render starts now records it as its fill epoch.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Appends a purge; every lookup that starts after this returns honours it.
    pub(crate) fn record(&self, purge: Purge) -> u64 {
        let mut records = self.records.write().unwrap_or_else(PoisonError::into_inner);
        let epoch = self.epoch.load(Ordering::Relaxed) + 1;
        records.push_back((epoch, purge));
        if records.len() > self.limit {
            records.pop_front();
        }
        self.epoch.store(epoch, Ordering::Release);
        epoch
    }

    /// Whether `entry` survives every purge recorded so far. O(1) unless purges arrived since
    /// the entry was last checked.
    pub(crate) fn survives(&self, entry: &Entry) -> bool {
        let checked = entry.checked_epoch();
        if checked >= self.epoch() {
            return true;
        }
        let records = self.records.read().unwrap_or_else(PoisonError::into_inner);
        let Some(&(oldest, _)) = records.front() else {
            return true;
        };
        if checked + 1 < oldest {
            return false;
        }
        let hit = records
            .iter()
            .rev()
            .take_while(|(epoch, _)| *epoch > checked)
            .any(|(_, purge)| purge.matches(&entry.key, entry.page.tags()));
        if !hit {
            if let Some(&(newest, _)) = records.back() {
                entry.mark_checked(newest);
            }
        }
        !hit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::{CacheKey, CachePolicy, Page};
    use http::Method;
    use std::time::Instant;

    fn entry(path: &str, tag: &str, epoch: u64) -> Entry {
        let key = CacheKey::builder(&Method::GET, path).build().unwrap();
        let page = Page::builder("x").tag(tag).build();
        Entry::new(key, page, Instant::now(), CachePolicy::default(), epoch)
    }

    #[test]
    fn prefix_is_segment_wise() {
        assert!(under("/blog", "/blog"));
        assert!(under("/blog/a/b", "/blog"));
        assert!(!under("/blogs", "/blog"));
        assert!(under("/anything", "/"));
    }

    #[test]
    fn only_newer_purges_count() {
        let log = PurgeLog::new(16);
        log.record(Purge::Path("/a".into()));
        let old = entry("/a", "t", 0);
        let new = entry("/a", "t", log.epoch());
        assert!(!log.survives(&old));
        assert!(log.survives(&new));
        log.record(Purge::Tag("other".into()));
        assert!(log.survives(&new));
        assert_eq!(new.checked_epoch(), 2);
        log.record(Purge::Tag("t".into()));
        assert!(!log.survives(&new));
    }

    #[test]
    fn truncated_log_counts_as_purged() {
        let log = PurgeLog::new(2);
        let e = entry("/a", "t", 0);
        for _ in 0..3 {
            log.record(Purge::Path("/zzz".into()));
        }
        assert!(!log.survives(&e));
        let fresh = entry("/a", "t", 1);
        assert!(log.survives(&fresh));
    }
}
