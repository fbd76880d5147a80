//! One render thread: owns one engine context, takes jobs from the shared queue.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::{Job, Loaded, RENDER_TARGET, Rendered, Shared};
use crate::engine::{BundleError, Engine, RenderError, RenderResult};

/// The state of one render thread: its engine context and the generation it was built from.
/// Owned by that thread alone; the queue and `shared` are how it meets the rest of the pool.
pub(super) struct RenderThread {
    /// The pool's shared state: the factory, the current bundle, metrics and the stop flag.
    shared: Arc<Shared>,
    /// `None` after a failure until a fresh context is built.
    engine: Option<Box<dyn Engine>>,
    /// The bundle generation `engine` was built from.
    generation: u64,
}

impl RenderThread {
    /// Builds this thread's first context, reporting the outcome through `ready`.
    pub(super) fn start(
        shared: Arc<Shared>,
        ready: flume::Sender<Result<(), BundleError>>,
    ) -> Option<Self> {
        let loaded = shared.loaded();
        let generation = loaded.generation;
        match shared.factory.create(&loaded.bundle, &shared.limits) {
            Ok(engine) => {
                // The builder waits on `ready`; if it went away the pool is being torn down
                // and the job loop ends as soon as the queue closes.
                let _ = ready.send(Ok(()));
                let engine = Some(engine);
                Some(RenderThread {
                    shared,
                    engine,
                    generation,
                })
            }
            Err(error) => {
                let _ = ready.send(Err(error));
                None
            }
        }
    }

    pub(super) fn run(mut self, jobs: flume::Receiver<Job>) {
        while let Ok(job) = jobs.recv() {
            self.handle(job);
        }
    }

    fn handle(&mut self, job: Job) {
        if job.reply.is_disconnected() {
            return; // the caller stopped waiting; skip the work
        }
        if self.shared.stopping.load(Ordering::Acquire) {
            let _ = job.reply.send(Err(RenderError::shut_down()));
            return;
        }
        self.shared.metrics.started();
        let started = Instant::now();
        let span = tracing::info_span!(
            target: RENDER_TARGET,
            parent: &job.parent,
            "render",
            url = job.url.as_str(),
            engine = self.shared.factory.name(),
            generation = tracing::field::Empty,
        );
        let result = span.in_scope(|| self.render(&job, &span));
        self.shared.metrics.record(&result, started.elapsed());
        let tainted = matches!(&result, Err(e) if e.taints_context());
        let generation = self.generation;
        let result = result.map(|result| Rendered { result, generation });
        // A dropped receiver only means nobody waits for this page any more.
        let _ = job.reply.send(result);
        if tainted {
            self.replace();
        }
    }

    fn render(&mut self, job: &Job, span: &tracing::Span) -> Result<RenderResult, RenderError> {
        self.switch_if_reloaded();
        let mut engine = match self.engine.take() {
            Some(engine) => engine,
            None => self.build()?,
        };
        // Known only now: a reload or a failed render may just have rebuilt the context.
        span.record("generation", self.generation);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            engine.render(&job.url, &job.props_json)
        }));
        self.engine = Some(engine);
        outcome.unwrap_or_else(|_| Err(RenderError::crash("the engine panicked".to_owned())))
    }

    /// Moves to the newest bundle between jobs, so in-flight renders finish on the old one.
    fn switch_if_reloaded(&mut self) {
        let newest = self.shared.generation.load(Ordering::Acquire);
        if newest != self.generation {
            self.engine = None;
        }
    }

    /// Drops the failed context and builds a fresh one right away, so the next job does not
    /// pay for it.
    fn replace(&mut self) {
        self.engine = None;
        self.shared.metrics.context_replaced();
        match self.build() {
            Ok(engine) => self.engine = Some(engine),
            Err(error) => tracing::error!(%error, "render thread could not rebuild its context"),
        }
    }

    fn build(&mut self) -> Result<Box<dyn Engine>, RenderError> {
        let loaded: Arc<Loaded> = self.shared.loaded();
        self.generation = loaded.generation;
        let (factory, limits) = (&self.shared.factory, &self.shared.limits);
        // A panicking backend must not take the thread (and its share of the queue) down.
        match catch_unwind(AssertUnwindSafe(|| factory.create(&loaded.bundle, limits))) {
            Ok(created) => created.map_err(RenderError::bundle),
            Err(_) => Err(RenderError::crash(
                "the engine panicked while loading".to_owned(),
            )),
        }
    }
}
