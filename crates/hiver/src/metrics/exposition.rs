//! Serving the registry to Prometheus.

use std::future::{Ready, ready};

use http::StatusCode;
use http::header::{CONTENT_TYPE as CONTENT_TYPE_HEADER, HeaderValue};

use super::Metrics;
use crate::Response;
use crate::response::IntoResponse;

/// The content type of [`Metrics::encode`]'s output: OpenMetrics 1.0 text, which is what
/// prometheus-client writes and what Prometheus asks for first.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A handler that answers with the registry as OpenMetrics text; route it wherever you
/// like (`/metrics` is customary).
///
/// The route is an ordinary one: put it behind authentication, or on a separate
/// [`Server`](crate::Server) bound to an internal address, if the numbers are private.
/// If a custom metric fails to encode, the answer is a `500` saying so.
///
/// # Examples
///
/// ```
/// use hiver::metrics::{self, Metrics};
/// use hiver::routing::get;
/// use hiver::test::TestClient;
/// use hiver::Router;
///
/// let metrics = Metrics::new();
/// let app = Router::new().route("/metrics", get(metrics::handler(&metrics)));
/// let res = TestClient::new(app).get("/metrics").send();
/// assert_eq!(res.header("content-type"), Some(metrics::CONTENT_TYPE));
/// assert!(res.text().ends_with("# EOF\n"));
/// ```
pub fn handler(metrics: &Metrics) -> impl Fn() -> Ready<Response> + Clone + Send + Sync + 'static {
    let metrics = metrics.clone();
    move || ready(render(&metrics))
}

fn render(metrics: &Metrics) -> Response {
    match metrics.encode() {
        Ok(text) => {
            let mut res = Response::new(text.into());
            let value = HeaderValue::from_static(CONTENT_TYPE);
            res.headers_mut().insert(CONTENT_TYPE_HEADER, value);
            res
        }
        Err(_) => {
            tracing::error!("a registered metric failed to encode itself");
            let reason = "500 Internal Server Error: a registered metric failed to encode";
            (StatusCode::INTERNAL_SERVER_ERROR, reason).into_response()
        }
    }
}
