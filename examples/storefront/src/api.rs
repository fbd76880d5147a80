//! The JSON endpoints beside the pages: a health check and the demo's purge endpoint.

use hiver::extract::{Query, State};
use hiver::http::StatusCode;
use hiver::response::{IntoResponse, Json};
use hiver::routing::{get, post};
use hiver::{Response, Router};
use hiver_ssr::Ssr;
use serde::Deserialize;
use serde_json::json;

/// `GET /api/health` and `POST /admin/purge`.
///
/// The purge endpoint is guarded by nothing: this demo listens on 127.0.0.1 only. A real
/// deployment puts it behind authentication or on an internal listener.
pub fn router(ssr: Ssr) -> Router {
    Router::new()
        .route("/api/health", get(health))
        .route("/admin/purge", post(purge))
        .with_state(ssr)
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// What to purge: exactly one of the three.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Purge {
    /// A tag from the page policies: `listing`, `product`, `product:7`.
    tag: Option<String>,
    /// One path, every query and variant of it: `/product/7`.
    path: Option<String>,
    /// Every path at or below it, segment-wise: `/product`.
    prefix: Option<String>,
}

/// `POST /admin/purge?tag=…` (or `path=…`, or `prefix=…`) → `{"purged": n}`: the number of
/// shared cache entries removed; every worker stops serving them before the answer.
async fn purge(State(ssr): State<Ssr>, Query(q): Query<Purge>) -> Response {
    let removed = match (q.tag, q.path, q.prefix) {
        (Some(tag), None, None) => Ok(ssr.purge_tag(&tag)),
        (None, Some(path), None) => ssr.purge_path(&path).map_err(|e| e.to_string()),
        (None, None, Some(prefix)) => ssr.purge_prefix(&prefix).map_err(|e| e.to_string()),
        _ => Err("give exactly one of tag, path or prefix".to_owned()),
    };
    match removed {
        Ok(n) => Json(json!({ "purged": n })).into_response(),
        Err(reason) => (StatusCode::BAD_REQUEST, Json(json!({ "error": reason }))).into_response(),
    }
}
