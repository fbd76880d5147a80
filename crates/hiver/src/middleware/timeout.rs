//! A time limit on handlers, on Hiver's own timers.

use std::time::Duration;

use http::StatusCode;

use crate::middleware::Layer;
use crate::routing::Route;
use crate::{Body, Response};

/// Answers with `408 Request Timeout` (or the status of [`status`](Self::status)) when
/// the routes it wraps take longer than `limit` to produce a response; the handler's
/// future is dropped at that moment, which cancels it.
///
/// The clock stops once the response exists: a streamed body is not timed (the
/// connection's write timeout covers a client that stops reading). This is the layer to
/// use instead of tower-http's `TimeoutLayer`, which needs tokio's timer.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// use hiver::middleware::Timeout;
/// use hiver::routing::get;
/// use hiver::Router;
///
/// let app: Router = Router::new()
///     .route("/report", get(|| async { "done" }))
///     .layer(Timeout::new(Duration::from_secs(5)));
/// # let _ = app;
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Timeout {
    limit: Duration,
    status: StatusCode,
}

impl Timeout {
    /// A limit of `limit` per request, answered with 408 when it passes.
    pub fn new(limit: Duration) -> Self {
        Timeout {
            limit,
            status: StatusCode::REQUEST_TIMEOUT,
        }
    }

    /// The status of the answer when the limit passes (503 Service Unavailable is the
    /// other common choice: it tells the client to retry later rather than that its
    /// request was slow).
    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }
}

impl Layer for Timeout {
    fn layer(&self, inner: Route) -> Route {
        let Timeout { limit, status } = *self;
        Route::new(move |req| {
            let fut = inner.call(req);
            async move {
                match hiver_runtime::time::timeout(limit, fut).await {
                    Ok(res) => res,
                    Err(_) => {
                        let mut res = Response::new(Body::full("request timed out"));
                        *res.status_mut() = status;
                        res
                    }
                }
            }
        })
    }
}
