//! HTTP/1.1 connection handling on top of [`crate::codec`].

mod conn;
mod io;
mod request;
mod response;

pub(crate) use conn::Conn;

#[cfg(test)]
mod tests;
