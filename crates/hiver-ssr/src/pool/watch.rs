//! Development reload: poll a bundle file's modification time, reload when it changes.

use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use super::Shared;
use crate::engine::Bundle;

/// Watches a bundle file for [`RenderPool::watch`](super::RenderPool::watch). Dropping it
/// stops the polling thread.
#[derive(Debug)]
pub struct Watcher {
    /// Dropped to wake and end the polling thread at once instead of after its sleep.
    stop: Option<flume::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Watcher {
    pub(super) fn spawn(
        shared: Arc<Shared>,
        path: PathBuf,
        interval: Duration,
    ) -> std::io::Result<Self> {
        let (stop, stopped) = flume::bounded::<()>(1);
        // Read before returning, so a write right after `watch` returns counts as a change.
        let seen = modified(&path);
        let thread = std::thread::Builder::new()
            .name("hiver-bundle-watch".to_owned())
            .spawn(move || poll(&shared, &path, seen, interval, &stopped))?;
        Ok(Watcher {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop = None;
        if let Some(thread) = self.thread.take() {
            // The polling thread only logs; a panic there has nothing to hand back.
            let _ = thread.join();
        }
    }
}

/// Modification time and length: the length catches two writes within one mtime tick.
fn modified(path: &PathBuf) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

fn poll(
    shared: &Shared,
    path: &PathBuf,
    mut seen: Option<(SystemTime, u64)>,
    interval: Duration,
    stopped: &flume::Receiver<()>,
) {
    // `recv_timeout` is the sleep; it returns early with `Disconnected` when the Watcher drops.
    while let Err(flume::RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
        let now = modified(path);
        if now == seen || now.is_none() {
            continue;
        }
        seen = now;
        let result = Bundle::from_file(path).and_then(|bundle| shared.reload(bundle));
        match result {
            Ok(generation) => tracing::info!(path = %path.display(), generation, "bundle changed"),
            Err(error) => tracing::error!(%error, "changed bundle rejected; keeping the old one"),
        }
    }
}
