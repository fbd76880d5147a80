//! V8 code caches of recently loaded bundles, shared by every isolate of the process.
//!
//! A fresh isolate otherwise parses and compiles the whole bundle, then compiles each function
//! again the first time a render calls it. With V8's code cache it deserialises that work
//! instead. Measured on the storefront's React bundle (`bench/v8-raw`, BENCHMARKS.md, "SSR
//! engines"): load 17 → 8 ms and first render 39 → 26 ms with a cache made after one render;
//! a cache made right after loading cuts the load to 6 ms but leaves the first render at 40.
//!
//! So a bundle's cache comes in two stages. The first context that loads a bundle (the pool's
//! validating context, at build and on reload) stores a [`Stage::Loaded`] cache, which the
//! render threads starting next consume. The first context that renders the bundle replaces it
//! with a [`Stage::Rendered`] one, which every later context consumes: the contexts that
//! replace one that blew a budget. V8 checks each cache against the source and its own
//! version and flags; a rejected cache is compiled around and [`forget`]ten.

use std::sync::{Arc, Mutex, PoisonError};

use xxhash_rust::xxh3::xxh3_128;

use crate::engine::Bundle;

/// How many bundles' caches are kept: the current one and a few that in-flight reloads or
/// other pools may still load.
const KEPT: usize = 4;

/// How much of a bundle's compiled code a cache holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Stage {
    /// Made right after the bundle ran: the functions V8 compiled eagerly.
    Loaded,
    /// Made after a render: also the functions the render compiled lazily.
    Rendered,
}

/// Identifies a bundle's code: its name (the script origin) and source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Key(u128);

impl Key {
    pub(super) fn of(bundle: &Bundle) -> Key {
        let mut bytes = Vec::with_capacity(bundle.name().len() + 1 + bundle.source().len());
        bytes.extend_from_slice(bundle.name().as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(bundle.source().as_bytes());
        Key(xxh3_128(&bytes))
    }
}

struct Entry {
    key: Key,
    stage: Stage,
    data: Arc<[u8]>,
}

/// Newest last. A lock is taken a few times per context created, never per render.
static CACHES: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

fn caches() -> std::sync::MutexGuard<'static, Vec<Entry>> {
    CACHES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The cache stored for `key`, if any.
pub(super) fn get(key: Key) -> Option<(Stage, Arc<[u8]>)> {
    let caches = caches();
    let entry = caches.iter().find(|e| e.key == key)?;
    Some((entry.stage, Arc::clone(&entry.data)))
}

/// Whether a cache of `stage` for `key` would add anything: none is stored, or a lesser one.
pub(super) fn wants(key: Key, stage: Stage) -> bool {
    caches()
        .iter()
        .find(|e| e.key == key)
        .is_none_or(|e| e.stage < stage)
}

/// Stores `data` for `key` unless a cache of the same or a later stage is already there
/// (another thread may have made one meanwhile). Keeps the newest [`KEPT`] bundles.
pub(super) fn store(key: Key, stage: Stage, data: Vec<u8>) {
    let mut caches = caches();
    if let Some(at) = caches.iter().position(|e| e.key == key) {
        if caches[at].stage >= stage {
            return;
        }
        caches.remove(at);
    }
    if caches.len() == KEPT {
        caches.remove(0);
    }
    let data = data.into();
    caches.push(Entry { key, stage, data });
}

/// Drops the cache for `key` (V8 rejected it).
pub(super) fn forget(key: Key) {
    caches().retain(|e| e.key != key);
}

/// Serialises the tests that use the process-wide store (one evicts what others stored).
#[cfg(test)]
pub(super) static TEST_LOCK: Mutex<()> = Mutex::new(());

#[cfg(test)]
pub(super) fn test_lock() -> std::sync::MutexGuard<'static, ()> {
    TEST_LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> Key {
        Key::of(&Bundle::from_source(format!("cache-test-{n}.js"), "1"))
    }

    #[test]
    fn a_later_stage_replaces_an_earlier_one_never_the_reverse() {
        let _serial = test_lock();
        let k = key(0);
        assert!(wants(k, Stage::Loaded));
        store(k, Stage::Loaded, vec![1]);
        assert!(!wants(k, Stage::Loaded));
        assert!(wants(k, Stage::Rendered));
        store(k, Stage::Rendered, vec![2]);
        store(k, Stage::Loaded, vec![3]);
        let (stage, data) = get(k).expect("stored");
        assert_eq!((stage, &data[..]), (Stage::Rendered, &[2][..]));
        assert!(!wants(k, Stage::Rendered));
        forget(k);
        assert!(get(k).is_none());
    }

    #[test]
    fn only_the_newest_bundles_are_kept() {
        let _serial = test_lock();
        for n in 10..10 + KEPT as u8 + 2 {
            store(key(n), Stage::Loaded, vec![n]);
        }
        let newest = 10 + KEPT as u8 + 1;
        for n in newest + 1 - KEPT as u8..=newest {
            assert_eq!(&get(key(n)).expect("kept").1[..], &[n][..]);
        }
        assert!(
            get(key(10)).is_none(),
            "the oldest bundles' caches were evicted"
        );
        assert!(get(key(11)).is_none());
        assert_eq!(caches().len(), KEPT);
    }

    #[test]
    fn name_and_source_both_make_the_key() {
        let a = Key::of(&Bundle::from_source("a.js", "1"));
        assert_eq!(a, Key::of(&Bundle::from_source("a.js", "1")));
        assert_ne!(a, Key::of(&Bundle::from_source("b.js", "1")));
        assert_ne!(a, Key::of(&Bundle::from_source("a.js", "2")));
    }
}
