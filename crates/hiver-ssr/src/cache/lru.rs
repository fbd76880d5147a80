//! The L1 map: a count-bounded LRU owned by one worker (no locks, no atomics).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::key::CacheKey;

const NIL: usize = usize::MAX;

/// [`CacheKey`] hashes to one precomputed, seeded `u64`; rehashing it would be wasted work.
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

struct Node<V> {
    /// `None` while the slot is on the free list.
    item: Option<(CacheKey, V)>,
    prev: usize,
    next: usize,
}

/// Least-recently-used map over a slab of nodes linked most-recent first.
pub(crate) struct Lru<V> {
    map: HashMap<CacheKey, usize, BuildHasherDefault<KeyHasher>>,
    nodes: Vec<Node<V>>,
    free: Vec<usize>,
    head: usize,
    tail: usize,
    capacity: usize,
}

impl<V> Lru<V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            map: HashMap::default(),
            nodes: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            capacity,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// The value for `key`, marked most recently used.
    pub(crate) fn get(&mut self, key: &CacheKey) -> Option<&V> {
        let at = *self.map.get(key)?;
        self.unlink(at);
        self.push_front(at);
        self.nodes[at].item.as_ref().map(|(_, v)| v)
    }

    /// Inserts or replaces; returns true when the least recently used entry was evicted.
    pub(crate) fn insert(&mut self, key: CacheKey, value: V) -> bool {
        if self.capacity == 0 {
            return false;
        }
        if let Some(&at) = self.map.get(&key) {
            self.nodes[at].item = Some((key, value));
            self.unlink(at);
            self.push_front(at);
            return false;
        }
        let evicted = self.map.len() >= self.capacity;
        if evicted {
            self.remove_at(self.tail);
        }
        let node = Node {
            item: Some((key.clone(), value)),
            prev: NIL,
            next: NIL,
        };
        let at = match self.free.pop() {
            Some(at) => {
                self.nodes[at] = node;
                at
            }
            None => {
                self.nodes.push(node);
                self.nodes.len() - 1
            }
        };
        self.map.insert(key, at);
        self.push_front(at);
        evicted
    }

    pub(crate) fn remove(&mut self, key: &CacheKey) {
        if let Some(&at) = self.map.get(key) {
            self.remove_at(at);
        }
    }

    fn remove_at(&mut self, at: usize) {
        self.unlink(at);
        if let Some((key, _)) = self.nodes[at].item.take() {
            self.map.remove(&key);
        }
        self.free.push(at);
    }

    fn unlink(&mut self, at: usize) {
        let (prev, next) = (self.nodes[at].prev, self.nodes[at].next);
        match prev {
            NIL => self.head = next,
            p => self.nodes[p].next = next,
        }
        match next {
            NIL => self.tail = prev,
            n => self.nodes[n].prev = prev,
        }
        self.nodes[at].prev = NIL;
        self.nodes[at].next = NIL;
    }

    fn push_front(&mut self, at: usize) {
        self.nodes[at].next = self.head;
        match self.head {
            NIL => self.tail = at,
            h => self.nodes[h].prev = at,
        }
        self.head = at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    fn k(path: &str) -> CacheKey {
        CacheKey::builder(&Method::GET, path).build().unwrap()
    }

    #[test]
    fn evicts_least_recently_used() {
        let mut lru = Lru::new(2);
        assert!(!lru.insert(k("/a"), 1));
        assert!(!lru.insert(k("/b"), 2));
        assert_eq!(lru.get(&k("/a")), Some(&1));
        assert!(lru.insert(k("/c"), 3));
        assert_eq!(lru.get(&k("/b")), None);
        assert_eq!(lru.get(&k("/a")), Some(&1));
        assert_eq!(lru.get(&k("/c")), Some(&3));
        assert_eq!(lru.len(), 2);
    }

    #[test]
    fn replace_remove_and_reuse_slots() {
        let mut lru = Lru::new(3);
        lru.insert(k("/a"), 1);
        lru.insert(k("/a"), 10);
        assert_eq!(lru.len(), 1);
        assert_eq!(lru.get(&k("/a")), Some(&10));
        lru.remove(&k("/a"));
        lru.remove(&k("/missing"));
        assert_eq!(lru.len(), 0);
        for (i, p) in ["/x", "/y", "/z", "/w"].iter().enumerate() {
            lru.insert(k(p), i);
        }
        assert_eq!(lru.len(), 3);
        assert_eq!(lru.get(&k("/x")), None);
        assert!(lru.nodes.len() <= 3);
    }

    #[test]
    fn zero_capacity_holds_nothing() {
        let mut lru = Lru::new(0);
        lru.insert(k("/a"), 1);
        assert_eq!(lru.get(&k("/a")), None);
    }
}
