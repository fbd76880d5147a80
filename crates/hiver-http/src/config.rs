//! Limits and timeouts of the HTTP/1.1 connection loop.

use std::time::Duration;

use http::HeaderValue;

use crate::codec::Limits;

/// Settings of [`serve_connection`](crate::serve_connection): limits and
/// timeouts. Build one with [`Http1Config::builder`]; [`Default`] gives the
/// values below.
///
/// | setting | default | when exceeded |
/// |---|---|---|
/// | `max_header_bytes` | 16 KiB | 431, close |
/// | `max_headers` | 100 | 431, close |
/// | `max_uri_len` | 8 KiB | 414, close |
/// | `max_body_bytes` | 2 MiB | 413, close |
/// | `header_read_timeout` | 10 s | 408 and close (silent close if no byte came) |
/// | `keep_alive_timeout` | 60 s | silent close |
/// | `request_timeout` | 60 s | 503, close |
/// | `server` | `hiver` | (the `Server` header value) |
#[derive(Debug, Clone)]
pub struct Http1Config {
    limits: Limits,
    max_body_bytes: u64,
    header_read_timeout: Duration,
    keep_alive_timeout: Duration,
    request_timeout: Duration,
    server: HeaderValue,
}

impl Http1Config {
    /// A builder starting from the defaults.
    pub fn builder() -> Http1ConfigBuilder {
        Http1ConfigBuilder {
            config: Http1Config::default(),
        }
    }

    /// The head limits handed to the codec.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The largest head in bytes (default 16 KiB).
    pub fn max_header_bytes(&self) -> usize {
        self.limits.max_header_bytes
    }

    /// The most header fields (default 100).
    pub fn max_headers(&self) -> usize {
        self.limits.max_headers
    }

    /// The longest request-target (default 8 KiB).
    pub fn max_uri_len(&self) -> usize {
        self.limits.max_uri_len
    }

    /// The largest request body, after de-chunking (default 2 MiB).
    pub fn max_body_bytes(&self) -> u64 {
        self.max_body_bytes
    }

    /// Time from a request's first byte to its complete head (default 10 s).
    pub fn header_read_timeout(&self) -> Duration {
        self.header_read_timeout
    }

    /// Idle time allowed between requests (default 60 s).
    pub fn keep_alive_timeout(&self) -> Duration {
        self.keep_alive_timeout
    }

    /// Time a handler may take to produce its response (default 60 s).
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// The `Server` header value (default `hiver`).
    pub fn server(&self) -> &HeaderValue {
        &self.server
    }
}

impl Default for Http1Config {
    fn default() -> Self {
        Http1Config {
            limits: Limits::DEFAULT,
            max_body_bytes: 2 * 1024 * 1024,
            header_read_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(60),
            server: HeaderValue::from_static("hiver"),
        }
    }
}

/// Builds an [`Http1Config`]; every setting starts at its default.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use hiver_http::Http1Config;
///
/// let config = Http1Config::builder()
///     .max_body_bytes(64 * 1024)
///     .keep_alive_timeout(Duration::from_secs(5))
///     .build();
/// assert_eq!(config.max_body_bytes(), 64 * 1024);
/// assert_eq!(config.max_headers(), 100);
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Http1ConfigBuilder {
    config: Http1Config,
}

impl Http1ConfigBuilder {
    /// The largest head, request line included (default 16 KiB → 431).
    pub fn max_header_bytes(mut self, n: usize) -> Self {
        self.config.limits.max_header_bytes = n;
        self
    }

    /// The most header fields (default 100 → 431).
    pub fn max_headers(mut self, n: usize) -> Self {
        self.config.limits.max_headers = n;
        self
    }

    /// The longest request-target (default 8 KiB → 414).
    pub fn max_uri_len(mut self, n: usize) -> Self {
        self.config.limits.max_uri_len = n;
        self
    }

    /// The largest request body, after de-chunking (default 2 MiB → 413).
    pub fn max_body_bytes(mut self, n: u64) -> Self {
        self.config.max_body_bytes = n;
        self
    }

    /// Time from a request's first byte to its complete head (default 10 s →
    /// 408 and close; a connection that sent nothing is closed silently).
    pub fn header_read_timeout(mut self, d: Duration) -> Self {
        self.config.header_read_timeout = d;
        self
    }

    /// Idle time allowed between requests (default 60 s → silent close).
    pub fn keep_alive_timeout(mut self, d: Duration) -> Self {
        self.config.keep_alive_timeout = d;
        self
    }

    /// Time a handler may take (default 60 s → 503 and close).
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.config.request_timeout = d;
        self
    }

    /// The `Server` header value (default `hiver`); a handler that sets
    /// `Server` itself overrides it.
    pub fn server(mut self, value: HeaderValue) -> Self {
        self.config.server = value;
        self
    }

    /// The finished configuration.
    pub fn build(self) -> Http1Config {
        self.config
    }
}
