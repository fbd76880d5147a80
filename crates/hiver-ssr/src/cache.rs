//! The page cache: a lock-free L1 per worker over a shared, byte-bounded L2.
