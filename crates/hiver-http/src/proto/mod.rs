//! Protocol state machines, private to the crate.

pub(crate) mod h1;
