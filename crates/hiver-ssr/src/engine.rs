//! The JavaScript engine trait and its backends.
