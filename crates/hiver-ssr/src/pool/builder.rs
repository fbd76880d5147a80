//! Configuring and starting a render pool.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::metrics::Metrics;
use super::pinning::Placement;
use super::{Loaded, RenderPool, Shared};
use crate::engine::{Bundle, BundleError, EngineFactory, Limits, QuickJs};

/// Configures and starts a [`RenderPool`].
pub struct RenderPoolBuilder {
    threads: usize,
    queue_capacity: usize,
    pin_threads: bool,
    limits: Limits,
    factory: Box<dyn EngineFactory>,
}

impl std::fmt::Debug for RenderPoolBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderPoolBuilder")
            .field("threads", &self.threads)
            .field("queue_capacity", &self.queue_capacity)
            .field("pin_threads", &self.pin_threads)
            .field("limits", &self.limits)
            .field("engine", &self.factory.name())
            .finish()
    }
}

impl Default for RenderPoolBuilder {
    fn default() -> Self {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        RenderPoolBuilder {
            threads,
            queue_capacity: 512,
            pin_threads: false,
            limits: Limits::default(),
            factory: Box::new(QuickJs),
        }
    }
}

impl RenderPoolBuilder {
    /// Render threads (one engine context each). Default: the available cores. At least 1.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Renders that may wait in the queue before [`RenderPool::submit`] refuses more.
    /// Default 512. At least 1.
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = capacity.max(1);
        self
    }

    /// Pins render thread `i` to the `i`-th CPU this thread may run on (round-robin over the
    /// allowed set, so `taskset` and cpusets are respected). Default `false`.
    ///
    /// Off by default: render threads sharing the HTTP workers' cores, placed by the OS, is
    /// the normal setup. Turn it on when
    /// renders get dedicated cores (e.g. the process is started on more cores than it runs
    /// HTTP workers). A thread that cannot be pinned logs a warning and runs unpinned.
    pub fn pin_threads(mut self, pin: bool) -> Self {
        self.pin_threads = pin;
        self
    }

    /// Wall-clock budget of one render (and of loading the bundle). Default 2 s.
    pub fn time_limit(mut self, limit: Duration) -> Self {
        self.limits.time = limit;
        self
    }

    /// Heap limit of each context, in bytes. Default 64 MiB; 0 means no limit.
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.limits.memory = bytes;
        self
    }

    /// Interpreter stack limit of each context, in bytes. Default 1 MiB.
    pub fn stack_limit(mut self, bytes: usize) -> Self {
        self.limits.stack = bytes;
        self
    }

    /// The engine backend. Default [`QuickJs`].
    pub fn engine(mut self, factory: impl EngineFactory + 'static) -> Self {
        self.factory = Box::new(factory);
        self
    }

    /// Reads the bundle at `path` and starts the pool.
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build), plus [`BundleError::is_io`] when the file cannot be read.
    pub fn build_file(self, path: impl AsRef<Path>) -> Result<RenderPool, BundleError> {
        self.build(Bundle::from_file(path)?)
    }

    /// Loads `bundle` into a first context on the calling thread, then starts the threads and
    /// waits until each has its own context. Nothing runs unless all of that worked.
    ///
    /// # Errors
    ///
    /// A [`BundleError`] naming file, line and JS message when the bundle does not load.
    pub fn build(self, bundle: Bundle) -> Result<RenderPool, BundleError> {
        drop(self.factory.create(&bundle, &self.limits)?);
        let name = bundle.name().to_owned();
        let shared = Arc::new(Shared {
            factory: self.factory,
            limits: self.limits,
            current: Mutex::new(Arc::new(Loaded {
                bundle,
                generation: 1,
            })),
            generation: AtomicU64::new(1),
            reload_lock: Mutex::new(()),
            stopping: AtomicBool::new(false),
            metrics: Metrics::default(),
        });
        let (jobs, queue) = flume::bounded(self.queue_capacity);
        let mut pool = RenderPool {
            jobs: Some(jobs),
            threads: Vec::with_capacity(self.threads),
            shared,
        };
        let placement = if self.pin_threads {
            Placement::allowed()
        } else {
            None
        };
        let (ready_tx, ready) = flume::unbounded();
        for index in 0..self.threads {
            let cpu = placement.as_ref().map(|p| p.cpu_for(index));
            let handle = pool.spawn(index, cpu, queue.clone(), ready_tx.clone());
            pool.threads
                .push(handle.map_err(|e| BundleError::engine(&name, e.to_string()))?);
        }
        drop(ready_tx);
        for _ in 0..self.threads {
            let started = ready.recv().unwrap_or_else(|_| {
                Err(BundleError::engine(
                    &name,
                    "a render thread died while starting".into(),
                ))
            });
            started?;
        }
        Ok(pool)
    }
}
