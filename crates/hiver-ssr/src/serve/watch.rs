//! Development mode: reload the bundle when its file changes.

use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use super::Ssr;

/// Polls the bundle's modification time and length and reloads the [`Ssr`] when either
/// changes. Dropping it stops the polling thread at once and joins it.
#[derive(Debug)]
pub struct SsrWatcher {
    /// Dropped to wake and end the polling thread at once instead of after its sleep.
    stop: Option<flume::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl SsrWatcher {
    pub(crate) fn spawn(ssr: Ssr, path: PathBuf, interval: Duration) -> std::io::Result<Self> {
        let (stop, stopped) = flume::bounded::<()>(1);
        // Read before returning, so a change made right after `watch` returns is seen.
        let seen = modified(&path);
        let thread = std::thread::Builder::new()
            .name("hiver-ssr-watch".to_owned())
            .spawn(move || poll(&ssr, &path, seen, interval, &stopped))?;
        Ok(SsrWatcher {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// Modification time and length: the length catches two writes within one mtime tick.
fn modified(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

fn poll(
    ssr: &Ssr,
    path: &Path,
    mut seen: Option<(SystemTime, u64)>,
    interval: Duration,
    stopped: &flume::Receiver<()>,
) {
    // `recv_timeout` is the sleep; it returns early with `Disconnected` when the watcher drops.
    while let Err(flume::RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
        let now = modified(path);
        // A missing file is a save in progress (write to a temporary, then rename).
        if now == seen || now.is_none() {
            continue;
        }
        seen = now;
        match ssr.reload() {
            Ok(generation) => {
                tracing::info!(generation, path = %path.display(), "bundle changed; reloaded");
            }
            Err(e) => {
                tracing::error!(error = %e, "bundle changed but does not load; keeping the old one");
            }
        }
    }
}

impl Drop for SsrWatcher {
    fn drop(&mut self) {
        self.stop = None;
        if let Some(thread) = self.thread.take() {
            // A panicking reload has already been reported by the panic hook.
            let _ = thread.join();
        }
    }
}
