//! [`ServeDir`]: every file under a root directory.

use std::future::{Ready, ready};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hiver::extract::MatchedPath;
use hiver::handler::Handler;
use hiver::http::header::{HeaderValue, LOCATION};
use hiver::http::{HeaderMap, Method, StatusCode};
use hiver::{Request, Response};

use crate::error::Error;
use crate::lookup::{self, Resolved};
use crate::options::{Options, option_methods};
use crate::{path, respond};

/// Serves the files under a root directory; see the [crate docs](crate).
///
/// A `ServeDir` is a [`Handler`]: route it with [`get`](hiver::routing::get) under a
/// catch-all (`"/assets/{*path}"`, the file is what the catch-all matched) or make it a
/// router's [`fallback`](hiver::Router::fallback) (the file is the whole request path).
/// It answers GET and HEAD, and 405 with `Allow: GET, HEAD` to anything else. Cheap to
/// clone (one `Arc`).
///
/// # Examples
///
/// ```no_run
/// use hiver::Router;
/// use hiver::routing::get;
/// use hiver_static::ServeDir;
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let assets = ServeDir::new("web/dist/assets")?;
///     let app = Router::new()
///         .route("/assets/{*path}", get(assets))
///         .fallback(ServeDir::new("public")?);
///     hiver::serve("127.0.0.1:3000", app)?;
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ServeDir {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The root, canonical: every file served must canonicalize to a path under it.
    root: PathBuf,
    /// The file answering a directory's path, if any.
    index: Option<String>,
    options: Options,
}

/// Builds a [`ServeDir`] with options; from [`ServeDir::builder`].
#[derive(Debug)]
#[must_use]
pub struct ServeDirBuilder {
    root: PathBuf,
    index: Option<String>,
    options: Options,
}

impl ServeDir {
    /// Serves the directory `root` with the default options.
    ///
    /// # Errors
    ///
    /// When `root` does not exist, is not a directory or cannot be resolved; the error
    /// names it.
    pub fn new(root: impl AsRef<Path>) -> Result<Self, Error> {
        ServeDir::builder(root).build()
    }

    /// A builder for a `ServeDir` of `root`, to set options.
    ///
    /// # Examples
    ///
    /// ```
    /// use hiver::encoding::Encoding;
    /// use hiver::http::HeaderValue;
    /// use hiver_static::ServeDir;
    ///
    /// let dir = std::env::temp_dir();
    /// let serve = ServeDir::builder(&dir)
    ///     .index_file(None)
    ///     .precompressed(&[Encoding::Brotli, Encoding::Gzip])
    ///     .cache_control(HeaderValue::from_static("public, max-age=60"))
    ///     .immutable_if(|name| name.contains(".v1."))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(serve.root(), dir.canonicalize().unwrap());
    /// ```
    pub fn builder(root: impl AsRef<Path>) -> ServeDirBuilder {
        ServeDirBuilder {
            root: root.as_ref().to_owned(),
            index: Some("index.html".to_owned()),
            options: Options::default(),
        }
    }

    /// The root directory, canonical.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// Answers `req`: the file its path names under the root (see the type's docs for
    /// which part of the path). Useful inside a handler of your own.
    pub fn serve(&self, req: &Request) -> Response {
        let pattern = req
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str);
        let tail = path::tail(req.uri().path(), pattern);
        self.serve_path(req.method(), tail, req.headers())
    }

    /// Answers a request for `path`, a percent-encoded path relative to the root
    /// (`"js/app.js"`, `"docs/"`), with the request's method and headers.
    pub fn serve_path(&self, method: &Method, path: &str, headers: &HeaderMap) -> Response {
        if let Some(res) = respond::method_not_allowed(method) {
            return res;
        }
        let Some(relative) = path::relative(path) else {
            return respond::not_found();
        };
        let root = &self.inner.root;
        let candidate = root.join(&relative);
        let keep = self.inner.options.open_cache;
        let meta = match inside(root, &candidate, keep) {
            Ok(meta) => meta,
            Err(e) => return respond::io_error(&candidate, &e),
        };
        if meta.is_dir {
            return self.directory(method, path, &candidate, headers);
        }
        if !meta.is_file {
            return respond::not_found();
        }
        respond::file(&self.inner.options, Some(root), &candidate, method, headers)
    }

    fn directory(&self, method: &Method, path: &str, dir: &Path, headers: &HeaderMap) -> Response {
        if !path.is_empty() && !path.ends_with('/') {
            return slash_redirect(path);
        }
        let Some(index) = &self.inner.index else {
            return respond::not_found();
        };
        let root = &self.inner.root;
        let index = dir.join(index);
        match inside(root, &index, self.inner.options.open_cache) {
            Ok(meta) if meta.is_file => {
                respond::file(&self.inner.options, Some(root), &index, method, headers)
            }
            Ok(_) => respond::not_found(),
            Err(e) => respond::io_error(&index, &e),
        }
    }
}

/// Where `path` resolves (symbolic links followed) when that is under `root`; one outside
/// is as good as missing.
fn inside(root: &Path, path: &Path, keep: Option<Duration>) -> io::Result<Resolved> {
    let resolved = lookup::resolve(path, keep)?;
    if !resolved.canonical.starts_with(root) {
        return Err(io::ErrorKind::NotFound.into());
    }
    Ok(resolved)
}

/// `307` to the directory's path with a slash, as a relative reference (`./name/`), so
/// it stays on this origin and under whatever prefix the route has.
fn slash_redirect(path: &str) -> Response {
    let last = path.rsplit('/').next().unwrap_or(path);
    let mut res = respond::status(StatusCode::TEMPORARY_REDIRECT, "307 Temporary Redirect");
    match HeaderValue::try_from(format!("./{last}/")) {
        Ok(location) => {
            res.headers_mut().insert(LOCATION, location);
            res
        }
        Err(_) => respond::not_found(),
    }
}

impl ServeDirBuilder {
    /// The file that answers a directory's path (default `index.html`); `None` answers
    /// directories with 404.
    pub fn index_file(mut self, name: Option<&str>) -> Self {
        self.index = name.map(str::to_owned);
        self
    }

    option_methods!();

    /// Resolves the root.
    ///
    /// # Errors
    ///
    /// When the root does not exist, is not a directory or cannot be resolved; the
    /// error names it.
    pub fn build(self) -> Result<ServeDir, Error> {
        let root = std::fs::canonicalize(&self.root).map_err(|e| Error::io(&self.root, e))?;
        if !root.is_dir() {
            return Err(Error::not_a_directory(&self.root));
        }
        Ok(ServeDir {
            inner: Arc::new(Inner {
                root,
                index: self.index,
                options: self.options,
            }),
        })
    }
}

/// A `ServeDir` answers requests on its own (its extractor list is itself, a marker).
impl<S> Handler<ServeDir, S> for ServeDir {
    type Future = Ready<Response>;

    fn call(self, req: Request, _state: S) -> Self::Future {
        ready(self.serve(&req))
    }
}
