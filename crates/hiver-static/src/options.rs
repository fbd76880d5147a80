//! The options a [`ServeDir`](crate::ServeDir) and a [`ServeFile`](crate::ServeFile)
//! share, and the builder methods that set them.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use hiver::encoding::Encoding;
use hiver::http::HeaderValue;

use crate::cache::{IMMUTABLE, REVALIDATE, is_hashed_name};

/// Decides from a file name whether it gets the immutable `Cache-Control`.
pub(crate) type ImmutableIf = Arc<dyn Fn(&str) -> bool + Send + Sync>;

#[derive(Clone)]
pub(crate) struct Options {
    /// Sibling codings looked for, in the server's order of preference for ties.
    pub(crate) precompressed: Vec<Encoding>,
    /// `Cache-Control` of files that `immutable_if` rejects.
    pub(crate) cache_control: HeaderValue,
    pub(crate) immutable_if: ImmutableIf,
    /// How long a worker may reuse a path's resolution and its open file (`None`: look
    /// every time).
    pub(crate) open_cache: Option<std::time::Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            precompressed: vec![Encoding::Brotli, Encoding::Zstd, Encoding::Gzip],
            cache_control: HeaderValue::from_static(REVALIDATE),
            immutable_if: Arc::new(is_hashed_name),
            open_cache: None,
        }
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("precompressed", &self.precompressed)
            .field("cache_control", &self.cache_control)
            .field("open_cache", &self.open_cache)
            .finish_non_exhaustive()
    }
}

impl Options {
    /// The `Cache-Control` for the file at `path` (its name, not the sibling's).
    pub(crate) fn cache_control_for(&self, path: &Path) -> HeaderValue {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if (self.immutable_if)(name) {
            HeaderValue::from_static(IMMUTABLE)
        } else {
            self.cache_control.clone()
        }
    }
}

/// The builder methods both builders have, over their `options` field.
macro_rules! option_methods {
    () => {
        /// The precompressed siblings looked for next to each file (`name.br`,
        /// `name.zst`, `name.gz`), in order of preference when the client weighs them
        /// the same. The default is Brotli, Zstandard, gzip; an empty list serves every
        /// file as it is (and sends no `Vary: Accept-Encoding`).
        pub fn precompressed(mut self, codings: &[hiver::encoding::Encoding]) -> Self {
            self.options.precompressed = codings
                .iter()
                .copied()
                .filter(|c| *c != hiver::encoding::Encoding::Identity)
                .collect();
            self
        }

        /// `Cache-Control` of the files whose name is not hashed (default `no-cache`:
        /// revalidate before each use, which the `ETag` makes a cheap 304).
        pub fn cache_control(mut self, value: hiver::http::HeaderValue) -> Self {
            self.options.cache_control = value;
            self
        }

        /// Which file names get `Cache-Control: public, max-age=31536000, immutable`
        /// (default: [`is_hashed_name`](crate::is_hashed_name)). The predicate sees the
        /// file's name without its directory; `|_| false` turns the rule off.
        pub fn immutable_if<F>(mut self, predicate: F) -> Self
        where
            F: Fn(&str) -> bool + Send + Sync + 'static,
        {
            self.options.immutable_if = std::sync::Arc::new(predicate);
            self
        }

        /// Lets each worker reuse what it learnt of a path for up to `keep`: where it
        /// resolves, whether it exists, and the open file (as nginx's
        /// `open_file_cache`). Off by default: every request resolves, `stat`s and opens
        /// its file. With it, a file changed, replaced or removed on disk may be served as
        /// it was for up to `keep`; a removed file stays servable that long because it is
        /// held open. Each worker remembers at most 4,096 paths.
        pub fn open_file_cache(mut self, keep: std::time::Duration) -> Self {
            self.options.open_cache = Some(keep);
            self
        }
    };
}

pub(crate) use option_methods;
