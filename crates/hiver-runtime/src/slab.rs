//! A slab whose keys carry a generation, so an event for a freed entry never reaches the
//! entry that reuses its slot. Keys pack into the 64-bit user data of epoll and io_uring.

/// An entry's key: index in the low 32 bits, generation in the next 30 (the top two bits
/// are left to the drivers to tag what kind of event a user-data value is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key(u64);

const GEN_MASK: u32 = (1 << 30) - 1;

impl Key {
    pub fn to_u64(self) -> u64 {
        self.0
    }

    /// The key packed in `v` (its top two bits ignored).
    pub fn from_u64(v: u64) -> Key {
        Key(v & ((1 << 62) - 1))
    }

    fn index(self) -> usize {
        (self.0 & u64::from(u32::MAX)) as usize
    }

    fn generation(self) -> u32 {
        (self.0 >> 32) as u32
    }
}

struct Entry<T> {
    generation: u32,
    value: Option<T>,
}

/// Entries by key; freed slots are reused.
pub(crate) struct Slab<T> {
    entries: Vec<Entry<T>>,
    free: Vec<usize>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            entries: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T> Slab<T> {
    pub fn insert(&mut self, value: T) -> Key {
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                self.entries.push(Entry {
                    generation: 0,
                    value: None,
                });
                self.entries.len() - 1
            }
        };
        let e = &mut self.entries[index];
        e.generation = (e.generation + 1) & GEN_MASK;
        e.value = Some(value);
        Key(((e.generation as u64) << 32) | index as u64)
    }

    pub fn get_mut(&mut self, key: Key) -> Option<&mut T> {
        self.entries
            .get_mut(key.index())
            .filter(|e| e.generation == key.generation())
            .and_then(|e| e.value.as_mut())
    }

    pub fn remove(&mut self, key: Key) -> Option<T> {
        let e = self
            .entries
            .get_mut(key.index())
            .filter(|e| e.generation == key.generation())?;
        let v = e.value.take()?;
        self.free.push(key.index());
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reused_slot_does_not_answer_to_the_old_key() {
        let mut s = Slab::default();
        let a = s.insert("a");
        assert_eq!(s.remove(a), Some("a"));
        let b = s.insert("b");
        assert_ne!(a, b);
        assert_eq!(s.get_mut(a), None);
        assert_eq!(s.get_mut(b), Some(&mut "b"));
        assert_eq!(Key::from_u64(b.to_u64() | (3 << 62)), b);
    }
}
