//! Development mode: reload the bundle when its file changes.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use super::Ssr;

/// Polls the bundle's modification time and reloads the [`Ssr`] when it changes. Dropping
/// it stops the polling thread (within one interval) and joins it.
#[derive(Debug)]
pub struct SsrWatcher {
    /// Set by `Drop`; read by the polling thread each interval.
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SsrWatcher {
    pub(crate) fn spawn(ssr: Ssr, path: PathBuf, interval: Duration) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        // Read before returning, so a change made right after `watch` returns is seen.
        let mut seen = modified(&path);
        let thread = std::thread::Builder::new()
            .name("hiver-ssr-watch".to_owned())
            .spawn(move || {
                while !flag.load(Ordering::Acquire) {
                    std::thread::sleep(interval);
                    let now = modified(&path);
                    if now == seen {
                        continue;
                    }
                    seen = now;
                    match ssr.reload() {
                        Ok(generation) => tracing::info!(generation, path = %path.display(), "bundle changed; reloaded"),
                        Err(e) => tracing::error!(error = %e, "bundle changed but does not load; keeping the old one"),
                    }
                }
            })?;
        Ok(SsrWatcher {
            stop,
            thread: Some(thread),
        })
    }
}

fn modified(path: &std::path::Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl Drop for SsrWatcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            // A panicking reload has already been reported by the panic hook.
            let _ = thread.join();
        }
    }
}
