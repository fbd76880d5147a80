//! HTTP/1.1 connection handling on top of [`crate::codec`].
//!
//! `conn` sequences one connection; it owns a `transport` (socket, read
//! buffer, timer; no HTTP) and an `outbox` (queued responses and their
//! framing), and reads request bodies through `body`. Nothing imports
//! `conn`, and the leaves import nothing of each other but what `body`
//! needs of both.

mod body;
mod conn;
mod outbox;
mod transport;

pub(crate) use conn::Conn;
pub(crate) use transport::Transport;

#[cfg(test)]
mod tests;
