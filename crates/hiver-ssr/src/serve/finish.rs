//! Turning a render into a cached [`Page`] (document assembly, pre-compression) off the
//! HTTP workers.
//!
//! The render pool answers with the bare render; building the page copies it into the
//! document and brotli/gzip-compresses it, about 1–2 ms for a 60 KB page. Done on an HTTP
//! worker that would stall every connection of that worker, so it runs on a few
//! "finisher" threads and the worker only awaits a channel, as it awaits the render. A page
//! with nothing to compress is only that copy, and is built on the worker.

use std::fmt;
use std::sync::Arc;
use std::thread::JoinHandle;

use serde_json::Value;

use crate::Rendered;
use crate::cache::{Compression, Page};
use crate::document::{DocumentTemplate, HydrationState};

use super::page_failure::PageFailure;

type Job = Box<dyn FnOnce() + Send>;

/// Runs page builds on its own threads (or inline when built with zero threads).
pub(crate) struct Finisher {
    /// `None` in inline mode. Dropping it ends the threads once they drain the queue.
    jobs: Option<flume::Sender<Job>>,
    /// Kept for `Debug` only: the threads end by themselves when `jobs` closes, and are not
    /// joined, because the last handle may be dropped on a finisher thread itself.
    threads: Vec<JoinHandle<()>>,
}

impl fmt::Debug for Finisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Finisher")
            .field("threads", &self.threads.len())
            .finish()
    }
}

impl Finisher {
    pub(crate) fn start(threads: usize) -> std::io::Result<Self> {
        if threads == 0 {
            return Ok(Finisher {
                jobs: None,
                threads: Vec::new(),
            });
        }
        let (jobs, queue) = flume::unbounded::<Job>();
        let threads = (0..threads)
            .map(|i| {
                let queue = queue.clone();
                std::thread::Builder::new()
                    .name(format!("hiver-ssr-finish-{i}"))
                    .spawn(move || queue.iter().for_each(|job| job()))
            })
            .collect::<std::io::Result<_>>()?;
        Ok(Finisher {
            jobs: Some(jobs),
            threads,
        })
    }

    /// Builds the page for `rendered` on a finisher thread, or right here when there are
    /// none or the page has nothing to compress: then the build is one copy of the render
    /// into the document, cheaper than the two thread wake-ups of the round trip.
    pub(crate) async fn finish(
        &self,
        spec: PageSpec,
        rendered: Rendered,
    ) -> Result<Page, PageFailure> {
        let jobs = self.jobs.as_ref().filter(|_| spec.compression.compresses());
        let Some(jobs) = jobs else {
            return spec.build(rendered);
        };
        let (reply, answer) = flume::bounded(1);
        let job: Job = Box::new(move || {
            // The request may have gone away; nobody is left to tell.
            let _ = reply.send(spec.build(rendered));
        });
        if jobs.send(job).is_err() {
            return Err(PageFailure::Finisher);
        }
        answer
            .recv_async()
            .await
            .unwrap_or(Err(PageFailure::Finisher))
    }
}

/// Everything needed to build one page besides the render itself. `Send`, and holds no
/// handle on the `Ssr`, so a finisher thread never drops the last one.
#[derive(Clone)]
pub(crate) struct PageSpec {
    pub(crate) template: Arc<DocumentTemplate>,
    pub(crate) props: Arc<Value>,
    pub(crate) tags: Arc<[String]>,
    pub(crate) compression: Compression,
}

impl PageSpec {
    pub(crate) fn build(&self, rendered: Rendered) -> Result<Page, PageFailure> {
        let state = HydrationState::new(&*self.props).map_err(PageFailure::Document)?;
        let (status, html) = self
            .template
            .render_page(&rendered.result, &state)
            .map_err(PageFailure::Document)?;
        let mut page = Page::builder(html)
            .status(status)
            .bundle_generation(rendered.generation)
            .compression(self.compression);
        for tag in self.tags.iter() {
            page = page.tag(tag.clone());
        }
        Ok(page.build())
    }
}
