//! File-system lookups (resolving a path, opening a file), optionally remembered by each
//! worker thread for a while, as nginx's `open_file_cache` does: see
//! `open_file_cache` on the builders.
//!
//! What is remembered, per path: where it resolves to (symbolic links followed) and
//! whether that is a file or a directory, or that it does not exist; and an open file
//! with its length and modification time. A file changed, replaced or removed on disk is
//! seen once its entry is older than the time given. Each worker keeps its own entries
//! (no lock); a table that reaches [`MAX_ENTRIES`] is emptied.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// The most paths one worker remembers, per table.
const MAX_ENTRIES: usize = 4096;

/// Where a path resolves to.
#[derive(Clone, Debug)]
pub(crate) struct Resolved {
    /// The path with every symbolic link followed.
    pub(crate) canonical: PathBuf,
    pub(crate) is_dir: bool,
    pub(crate) is_file: bool,
}

/// An open regular file.
#[derive(Clone, Debug)]
pub(crate) struct Opened {
    pub(crate) file: Arc<File>,
    pub(crate) len: u64,
    pub(crate) modified: Option<SystemTime>,
}

struct Entry<T> {
    at: Instant,
    value: Result<T, io::ErrorKind>,
}

thread_local! {
    static RESOLVED: RefCell<HashMap<PathBuf, Entry<Resolved>>> = RefCell::new(HashMap::new());
    static OPENED: RefCell<HashMap<PathBuf, Entry<Opened>>> = RefCell::new(HashMap::new());
}

/// Resolves `path`; with `keep`, a result at most that old may be reused.
pub(crate) fn resolve(path: &Path, keep: Option<Duration>) -> io::Result<Resolved> {
    remembered(&RESOLVED, path, keep, || {
        let canonical = std::fs::canonicalize(path)?;
        let meta = std::fs::metadata(&canonical)?;
        Ok(Resolved {
            canonical,
            is_dir: meta.is_dir(),
            is_file: meta.is_file(),
        })
    })
}

/// Opens the regular file at `path` (anything else is not found); with `keep`, an open
/// file at most that old may be reused.
pub(crate) fn open(path: &Path, keep: Option<Duration>) -> io::Result<Opened> {
    remembered(&OPENED, path, keep, || {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(io::ErrorKind::NotFound.into());
        }
        Ok(Opened {
            len: meta.len(),
            modified: meta.modified().ok(),
            file: Arc::new(file),
        })
    })
}

type Table<T> = std::thread::LocalKey<RefCell<HashMap<PathBuf, Entry<T>>>>;

fn remembered<T: Clone>(
    table: &'static Table<T>,
    path: &Path,
    keep: Option<Duration>,
    look: impl FnOnce() -> io::Result<T>,
) -> io::Result<T> {
    let Some(keep) = keep else {
        return look();
    };
    let fresh = table.with_borrow(|t| {
        t.get(path)
            .filter(|e| e.at.elapsed() < keep)
            .map(|e| e.value.clone())
    });
    if let Some(value) = fresh {
        return value.map_err(io::Error::from);
    }
    let value = look();
    let stored = match &value {
        Ok(v) => Ok(v.clone()),
        Err(e) => Err(e.kind()),
    };
    table.with_borrow_mut(|t| {
        if t.len() >= MAX_ENTRIES {
            t.clear();
        }
        t.insert(
            path.to_path_buf(),
            Entry {
                at: Instant::now(),
                value: stored,
            },
        );
    });
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("hiver-lookup-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn without_keep_every_lookup_asks_the_file_system() {
        let dir = scratch("nokeep");
        let file = dir.join("a.txt");
        std::fs::write(&file, "one").unwrap();
        assert_eq!(open(&file, None).unwrap().len, 3);
        std::fs::remove_file(&file).unwrap();
        assert!(open(&file, None).is_err());
        assert!(resolve(&file, None).is_err());
    }

    #[test]
    fn kept_entries_are_reused_until_they_are_too_old() {
        let dir = scratch("keep");
        let file = dir.join("a.txt");
        std::fs::write(&file, "one").unwrap();
        let keep = Some(Duration::from_millis(200));
        assert!(resolve(&file, keep).unwrap().is_file);
        assert_eq!(open(&file, keep).unwrap().len, 3);
        std::fs::remove_file(&file).unwrap();
        // Remembered: the open file is still there to send.
        assert!(resolve(&file, keep).unwrap().is_file);
        assert_eq!(open(&file, keep).unwrap().len, 3);
        std::thread::sleep(Duration::from_millis(250));
        assert!(resolve(&file, keep).is_err());
        assert!(open(&file, keep).is_err());
        // A missing file is remembered as missing, too.
        std::fs::write(&file, "two!").unwrap();
        assert!(open(&file, keep).is_err());
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(open(&file, keep).unwrap().len, 4);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
