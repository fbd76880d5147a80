//! The bundle's `console` output, as every backend forwards it to `tracing`.

/// The target of the bundle's `console` events.
const JS_TARGET: &str = "hiver_ssr::js";

/// Logs one `console` call at the level the prelude's `host.log` passed (0 trace, 1 debug,
/// 2 info, 3 warn, anything else error).
pub(super) fn log(level: i32, message: &str) {
    match level {
        0 => tracing::trace!(target: JS_TARGET, "{message}"),
        1 => tracing::debug!(target: JS_TARGET, "{message}"),
        2 => tracing::info!(target: JS_TARGET, "{message}"),
        3 => tracing::warn!(target: JS_TARGET, "{message}"),
        _ => tracing::error!(target: JS_TARGET, "{message}"),
    }
}
