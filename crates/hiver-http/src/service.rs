//! The contract between the connection loop and whatever answers requests.

use std::future::Future;
use std::rc::Rc;

use crate::Body;

/// A request as handlers see it. Its body is always complete (see [`Body`]).
pub type Request = http::Request<Body>;

/// A response as handlers produce it.
pub type Response = http::Response<Body>;

/// Answers requests on one worker.
///
/// One service value is built per worker and never leaves that worker's thread,
/// so neither the service nor its futures need to be `Send`. Errors are responses:
/// a service always answers.
pub trait Service: 'static {
    /// Answers one request.
    fn call(&self, req: Request) -> impl Future<Output = Response>;
}

impl<S: Service> Service for Rc<S> {
    fn call(&self, req: Request) -> impl Future<Output = Response> {
        (**self).call(req)
    }
}
