//! Thread-per-core runtime for Hiver.
