//! [`ServeFile`]: one file, whatever the request path.

use std::future::{Ready, ready};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hiver::handler::Handler;
use hiver::http::{HeaderMap, Method};
use hiver::{Request, Response};

use crate::error::Error;
use crate::options::{Options, option_methods};
use crate::respond;

/// Serves one file (with its precompressed siblings) to every GET and HEAD it is routed;
/// 405 with `Allow: GET, HEAD` to anything else. Cheap to clone (one `Arc`).
///
/// # Examples
///
/// ```no_run
/// use hiver::Router;
/// use hiver::routing::get;
/// use hiver_static::ServeFile;
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let app = Router::new().route("/favicon.ico", get(ServeFile::new("public/favicon.ico")?));
///     hiver::serve("127.0.0.1:3000", app)?;
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ServeFile {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    options: Options,
}

/// Builds a [`ServeFile`] with options; from [`ServeFile::builder`].
#[derive(Debug)]
#[must_use]
pub struct ServeFileBuilder {
    path: PathBuf,
    options: Options,
}

impl ServeFile {
    /// Serves the file at `path` with the default options.
    ///
    /// # Errors
    ///
    /// When `path` does not exist or is not a regular file; the error names it.
    pub fn new(path: impl AsRef<Path>) -> Result<Self, Error> {
        ServeFile::builder(path).build()
    }

    /// A builder for a `ServeFile` of `path`, to set options (the same as
    /// [`ServeDirBuilder`](crate::ServeDirBuilder)'s but the index file).
    pub fn builder(path: impl AsRef<Path>) -> ServeFileBuilder {
        ServeFileBuilder {
            path: path.as_ref().to_owned(),
            options: Options::default(),
        }
    }

    /// The file's path, as given.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Answers a request with the request's method and headers.
    pub fn serve(&self, method: &Method, headers: &HeaderMap) -> Response {
        if let Some(res) = respond::method_not_allowed(method) {
            return res;
        }
        respond::file(&self.inner.options, None, &self.inner.path, method, headers)
    }
}

impl ServeFileBuilder {
    option_methods!();

    /// Checks the file.
    ///
    /// # Errors
    ///
    /// When the path does not exist or is not a regular file; the error names it.
    pub fn build(self) -> Result<ServeFile, Error> {
        let meta = std::fs::metadata(&self.path).map_err(|e| Error::io(&self.path, e))?;
        if !meta.is_file() {
            return Err(Error::not_a_file(&self.path));
        }
        Ok(ServeFile {
            inner: Arc::new(Inner {
                path: self.path,
                options: self.options,
            }),
        })
    }
}

/// A `ServeFile` answers requests on its own (its extractor list is itself, a marker).
impl<S> Handler<ServeFile, S> for ServeFile {
    type Future = Ready<Response>;

    fn call(self, req: Request, _state: S) -> Self::Future {
        ready(self.serve(req.method(), req.headers()))
    }
}
