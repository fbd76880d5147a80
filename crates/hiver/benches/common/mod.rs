//! Shared by the in-process benches: a Hiver runtime as criterion's executor, and request
//! builders.

use criterion::async_executor::AsyncExecutor;
use hiver::http::Method;
use hiver::{Body, Request};

/// The Hiver runtime that criterion's async benches run on: one `block_on` per sample, so
/// the runtime's entry cost is not counted per request.
pub struct Executor(hiver_runtime::Runtime);

impl Executor {
    /// A single-thread Hiver runtime, like a worker's.
    pub fn new() -> Self {
        // Invariant: a bench cannot run without its runtime; failing loudly is right.
        Executor(hiver_runtime::Runtime::new().expect("Hiver runtime"))
    }
}

impl AsyncExecutor for &Executor {
    fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        self.0.block_on(future)
    }
}

/// A bodiless request, as a worker would hand it to the router.
pub fn request(method: Method, path: &str) -> Request {
    let mut req = Request::new(Body::default());
    *req.method_mut() = method;
    // Invariant: every bench path is a valid origin-form URI.
    *req.uri_mut() = path.parse().expect("valid bench path");
    req
}
