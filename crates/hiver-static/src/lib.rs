//! Static files for Hiver: a directory ([`ServeDir`]) or one file ([`ServeFile`]) as a
//! handler, for a route such as `"/assets/{*path}"` or a router's fallback.
//!
//! What a response gets:
//!
//! - `Content-Type` from the extension (`charset=utf-8` on text), `ETag` (strong, from
//!   the length and modification time) and `Last-Modified`; `If-None-Match` (weak
//!   comparison, and it wins over `If-Modified-Since`, RFC 9110 §13.2.2) and
//!   `If-Modified-Since` answer 304; `If-Match` and `If-Unmodified-Since` answer 412.
//! - `Accept-Ranges: bytes`; one `Range` gets a 206 with `Content-Range`, one that misses
//!   the file a 416 with `Content-Range: bytes */LEN`; several ranges, or an `If-Range`
//!   naming another version, get the whole file (200).
//! - Precompressed siblings (`app.js.br`, `app.js.zst`, `app.js.gz`) chosen by
//!   `Accept-Encoding` with [`hiver::encoding`], sent with `Content-Encoding` and
//!   `Vary: Accept-Encoding`. Nothing is compressed at request time.
//! - `Cache-Control: public, max-age=31536000, immutable` for names carrying a content
//!   hash ([`is_hashed_name`], replaceable), a configurable default (`no-cache`) for the
//!   others.
//! - A directory's path answers its `index.html`; without the trailing slash, a 307 to
//!   the slash form first.
//! - GET and HEAD only: anything else gets 405 with `Allow: GET, HEAD`.
//!
//! The body is a [`hiver::FileRegion`]: a file of up to 8 KiB is read and leaves in one
//! send with its head. A larger one goes out with `sendfile(2)` on epoll, and on io_uring
//! when all its pages are in the page cache; on io_uring a file that has to come from the
//! disk is read through the ring instead (128 KiB at most per read), so it never blocks
//! the worker.
//! No file is ever read whole into memory, whatever its size.
//!
//! **Nothing outside the root is served.** `.` and `..` segments, encoded or not, encoded
//! `/` and `\`, any backslash or NUL, empty segments (an absolute path) and paths that
//! are not UTF-8 are answered 404 before the file system is asked; then the path is
//! canonicalized (symbolic links resolved) and must still be under the canonical root,
//! so a link to a file inside the root is served and one leading out of it is not.
//! A missing file or one that may not be read is a 404 (a 403 would tell that it
//! exists); any other I/O error is logged and answered 500.
//!
//! Resolving, `stat`-ing and opening a file are small blocking system calls made on the
//! worker that handles the request (microseconds on a local disk, the page cache
//! helping); only the body transfer goes through the I/O driver. Serve from local disks,
//! not network mounts.
//!
//! # Examples
//!
//! ```
//! use hiver::Router;
//! use hiver::routing::get;
//! use hiver::test::TestClient;
//! use hiver_static::ServeDir;
//!
//! let dir = std::env::temp_dir().join(format!("hiver-static-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(dir.join("app-B3d1xYz9.js"), "console.log(1)").unwrap();
//!
//! let app = Router::new().route("/assets/{*path}", get(ServeDir::new(&dir).unwrap()));
//! let client = TestClient::new(app);
//! let res = client.get("/assets/app-B3d1xYz9.js").send();
//! assert_eq!(res.status(), 200);
//! assert_eq!(res.text(), "console.log(1)");
//! assert_eq!(res.header("cache-control"), Some("public, max-age=31536000, immutable"));
//! assert_eq!(client.get("/assets/..%2fsecret").send().status(), 404);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```
//!
//! # Feature flags
//!
//! None: everything above is always compiled.
//!
//! | feature | default | what it enables |
//! |---|---|---|
//! | (none) | | |

mod cache;
mod conditional;
mod dir;
mod error;
mod file;
mod lookup;
mod mime;
mod options;
mod path;
mod range;
mod respond;

pub use cache::{IMMUTABLE, REVALIDATE, is_hashed_name};
pub use dir::{ServeDir, ServeDirBuilder};
pub use error::Error;
pub use file::{ServeFile, ServeFileBuilder};
