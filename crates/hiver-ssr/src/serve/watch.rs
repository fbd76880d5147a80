//! Development mode: reload the bundle when its file changes.

use std::path::PathBuf;
use std::time::Duration;

use super::Ssr;
use crate::pool::FileWatch;

/// Polls the bundle's modification time and length and reloads the [`Ssr`] when either
/// changes. Dropping it stops the polling thread at once and joins it.
#[derive(Debug)]
pub struct SsrWatcher {
    /// Held for its `Drop`, which stops the polling thread.
    _watch: FileWatch,
}

impl SsrWatcher {
    pub(crate) fn spawn(ssr: Ssr, path: PathBuf, interval: Duration) -> std::io::Result<Self> {
        let watch = FileWatch::spawn("hiver-ssr-watch", path, interval, move |path| {
            match ssr.reload() {
                Ok(generation) => {
                    tracing::info!(generation, path = %path.display(), "bundle changed; reloaded");
                }
                Err(e) => {
                    tracing::error!(error = %e, "bundle changed but does not load; keeping the old one");
                }
            }
        })?;
        Ok(SsrWatcher { _watch: watch })
    }
}
