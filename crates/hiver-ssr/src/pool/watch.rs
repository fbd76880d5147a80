//! Development reload: poll a bundle file's modification time and length, reload when either
//! changes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use super::Shared;
use crate::engine::Bundle;

/// Watches a bundle file for [`RenderPool::watch`](super::RenderPool::watch). Dropping it
/// stops the polling thread.
#[derive(Debug)]
pub struct Watcher {
    /// Held for its `Drop`, which stops the polling thread.
    _watch: FileWatch,
}

impl Watcher {
    pub(super) fn spawn(
        shared: Arc<Shared>,
        path: PathBuf,
        interval: Duration,
    ) -> std::io::Result<Self> {
        let watch = FileWatch::spawn("hiver-bundle-watch", path, interval, move |path| {
            let result = Bundle::from_file(path).and_then(|bundle| shared.reload(bundle));
            match result {
                Ok(generation) => {
                    tracing::info!(path = %path.display(), generation, "bundle changed");
                }
                Err(error) => {
                    tracing::error!(%error, "changed bundle rejected; keeping the old one");
                }
            }
        })?;
        Ok(Watcher { _watch: watch })
    }
}

/// A thread that polls one file's modification time and length every `interval` and calls
/// `changed` when either moves (the length catches two writes within one mtime tick). A
/// missing file is a save in progress (write to a temporary, then rename) and is skipped.
/// Dropping it wakes the thread at once, ends it and joins it. Shared by the pool's and the
/// SSR handler's watchers.
#[derive(Debug)]
pub(crate) struct FileWatch {
    /// Dropped to wake and end the polling thread at once instead of after its sleep.
    stop: Option<flume::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FileWatch {
    pub(crate) fn spawn(
        name: &str,
        path: PathBuf,
        interval: Duration,
        mut changed: impl FnMut(&Path) + Send + 'static,
    ) -> std::io::Result<Self> {
        let (stop, stopped) = flume::bounded::<()>(1);
        // Read before returning, so a change made right after the watch starts is seen.
        let mut seen = modified(&path);
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                // `recv_timeout` is the sleep; it returns early with `Disconnected` on drop.
                while let Err(flume::RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    let now = modified(&path);
                    if now == seen || now.is_none() {
                        continue;
                    }
                    seen = now;
                    changed(&path);
                }
            })?;
        Ok(FileWatch {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for FileWatch {
    fn drop(&mut self) {
        self.stop = None;
        if let Some(thread) = self.thread.take() {
            // The polling thread only reloads and logs; a panic there was already reported
            // by the panic hook and has nothing to hand back.
            let _ = thread.join();
        }
    }
}

fn modified(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}
