//! Hiver web framework.
