//! One render thread: owns one engine context, takes jobs from the shared queue.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::stream::{ChannelSink, Event};
use super::{Job, Loaded, RENDER_TARGET, Rendered, Reply, Shared};
use crate::engine::{BundleError, Delivery, Engine, RenderError};

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
            job.reply.fail(RenderError::shut_down());
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
        let tainted = span.in_scope(|| match &job.reply {
            Reply::Whole(reply) => self.whole(&job, reply, &span, started),
            Reply::Stream(events) => self.stream(&job, events, &span, started),
        });
        if tainted || !self.idle() {
            self.replace();
        }
    }

    /// Lets the engine do what it put off while rendering, now that the page is handed over;
    /// whether the context is still sound.
    fn idle(&mut self) -> bool {
        let Some(engine) = self.engine.as_mut() else {
            return true;
        };
        match catch_unwind(AssertUnwindSafe(|| engine.idle())) {
            Ok(Ok(())) => true,
            Ok(Err(error)) => {
                tracing::error!(%error, "render thread: the context failed between renders");
                false
            }
            Err(_) => {
                tracing::error!("render thread: the engine panicked between renders");
                false
            }
        }
    }

    /// Renders the whole page (a stream joined) and sends it; whether the context failed.
    fn whole(
        &mut self,
        job: &Job,
        reply: &flume::Sender<Result<Rendered, RenderError>>,
        span: &tracing::Span,
        started: Instant,
    ) -> bool {
        let result = self.render(span, |engine, _| engine.render(&job.url, &job.props_json));
        self.shared.metrics.record(&result, started.elapsed());
        let tainted = matches!(&result, Err(e) if e.taints_context());
        let generation = self.generation;
        // A dropped receiver only means nobody waits for this page any more.
        let _ = reply.send(result.map(|result| Rendered { result, generation }));
        tainted
    }

    /// Renders into the bounded channel, piece by piece when the bundle streams; whether the
    /// context failed.
    fn stream(
        &mut self,
        job: &Job,
        events: &flume::Sender<Event>,
        span: &tracing::Span,
        started: Instant,
    ) -> bool {
        let deadline = started + self.shared.limits.time;
        let mut streaming = false;
        let result = self.render(span, |engine, generation| {
            let mut sink = ChannelSink::new(events, deadline, generation);
            let delivered = engine.render_streaming(&job.url, &job.props_json, &mut sink);
            streaming = sink.started;
            delivered
        });
        self.shared.metrics.record(&result, started.elapsed());
        let tainted = matches!(&result, Err(e) if e.taints_context());
        let generation = self.generation;
        let last = match result {
            Ok(Delivery::Whole(result)) => Event::Whole(Ok(Rendered { result, generation })),
            Ok(Delivery::Streamed) => Event::End,
            Err(error) if streaming => Event::Failed(error),
            Err(error) => Event::Whole(Err(error)),
        };
        // A consumer that went away or stalled past the deadline gets nothing more.
        let _ = events.send_deadline(last, deadline);
        tainted
    }

    /// Runs `f` on this thread's context (switched to the newest bundle, rebuilt if it
    /// failed) and its bundle generation, catching a panicking engine.
    fn render<T>(
        &mut self,
        span: &tracing::Span,
        f: impl FnOnce(&mut dyn Engine, u64) -> Result<T, RenderError>,
    ) -> Result<T, RenderError> {
        self.switch_if_reloaded();
        let mut engine = match self.engine.take() {
            Some(engine) => engine,
            None => self.build()?,
        };
        // Known only now: a reload or a failed render may just have rebuilt the context.
        span.record("generation", self.generation);
        let generation = self.generation;
        let outcome = catch_unwind(AssertUnwindSafe(|| f(engine.as_mut(), generation)));
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
