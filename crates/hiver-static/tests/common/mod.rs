//! A fixture directory on disk and the app serving it.

#![allow(dead_code)] // each test binary uses part of it

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use hiver::Router;
use hiver::routing::{any, get};
use hiver_static::{ServeDir, ServeFile};

/// The size of `big.bin`: over 1 MiB, so it is sent in several reads (io_uring) or
/// `sendfile` calls (epoll).
pub const BIG: usize = 1536 * 1024 + 7;

/// A temporary directory holding `root/` (the served tree) and `secret.txt` beside it;
/// removed on drop.
pub struct Fixture {
    pub dir: PathBuf,
    pub root: PathBuf,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn big_bytes() -> Vec<u8> {
    (0..BIG).map(|i| (i * 31 % 251) as u8).collect()
}

fn write(path: &Path, contents: impl AsRef<[u8]>) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, contents).unwrap();
}

impl Fixture {
    pub fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("hiver-static-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let root = dir.join("root");
        write(&dir.join("secret.txt"), "top secret");
        write(&root.join("index.html"), "<h1>home</h1>");
        write(&root.join("style.css"), "body{}");
        write(&root.join("plain.txt"), "0123456789abcdefghij");
        write(&root.join("data.json"), "{}");
        write(&root.join("app-B3d1xYz9.js"), "identity js");
        write(&root.join("app-B3d1xYz9.js.br"), "brotli js");
        write(&root.join("app-B3d1xYz9.js.gz"), "gzip js");
        write(&root.join("only-gz.js"), "identity");
        write(&root.join("only-gz.js.gz"), "gzip");
        write(&root.join("docs/index.html"), "<h1>docs</h1>");
        write(&root.join("docs/page.html"), "<p>page</p>");
        std::fs::create_dir_all(root.join("empty")).unwrap();
        write(&root.join("big.bin"), big_bytes());
        std::os::unix::fs::symlink("plain.txt", root.join("inside-link")).unwrap();
        std::os::unix::fs::symlink("../secret.txt", root.join("outside-link")).unwrap();
        std::os::unix::fs::symlink("..", root.join("parent-link")).unwrap();
        Fixture { dir, root }
    }

    /// `/assets/{*path}` (GET), `/any/{*path}` (every method), `/one` (a single file)
    /// and the directory again as the fallback.
    pub fn app(&self) -> Router {
        let dir = ServeDir::new(&self.root).unwrap();
        Router::new()
            .route("/assets/{*path}", get(dir.clone()))
            .route("/any/{*path}", any(dir.clone()))
            .route(
                "/one",
                get(ServeFile::new(self.root.join("plain.txt")).unwrap()),
            )
            .fallback(dir)
    }
}

/// Generates `<name>_uring` and `<name>_epoll` from `fn <name>(driver: Driver)`.
#[macro_export]
macro_rules! both_drivers {
    ($($name:ident),* $(,)?) => {
        mod uring {
            $(#[test] fn $name() { super::$name(hiver::Driver::IoUring) })*
        }
        mod epoll {
            $(#[test] fn $name() { super::$name(hiver::Driver::Epoll) })*
        }
    };
}
