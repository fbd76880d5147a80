//! Sorting what QuickJS threw into the failures the pool acts on.

use rquickjs::{CaughtError, Ctx, Error, Value};

use crate::engine::error::JsLocation;
use crate::engine::{BundleError, RenderError};

use super::Budget;

/// Why JavaScript stopped, before it becomes a [`RenderError`] or a [`BundleError`].
#[derive(Debug)]
pub(super) enum Failure {
    Timeout,
    Memory,
    StackOverflow(JsLocation),
    /// `Name: message` and where it was raised.
    Js(String, JsLocation),
}

impl Failure {
    pub(super) fn classify<'js>(ctx: &Ctx<'js>, caught: CaughtError<'js>, budget: &Budget) -> Self {
        // The interrupt surfaces as an uncatchable InternalError; our flag is the reliable
        // sign that it was ours.
        if budget.fired() {
            return Failure::Timeout;
        }
        match caught {
            CaughtError::Error(Error::Allocation) => Failure::Memory,
            CaughtError::Error(other) => Failure::Js(other.to_string(), JsLocation::default()),
            CaughtError::Exception(ex) => {
                let name: String = ex.get("name").unwrap_or_else(|_| "Error".to_owned());
                let message = ex.message().unwrap_or_default();
                let location = JsLocation::from_stack(&ex.stack().unwrap_or_default());
                Self::from_parts(&name, &message, location)
            }
            CaughtError::Value(value) => {
                let text = format!("uncaught exception: {}", describe(ctx, value));
                Failure::Js(text, JsLocation::default())
            }
        }
    }

    fn from_parts(name: &str, message: &str, location: JsLocation) -> Self {
        match (name, message) {
            ("InternalError", "out of memory") => Failure::Memory,
            (_, "Maximum call stack size exceeded" | "stack overflow") => {
                Failure::StackOverflow(location)
            }
            _ => Failure::Js(format!("{name}: {message}"), location),
        }
    }

    pub(super) fn into_render_error(self) -> RenderError {
        match self {
            Failure::Timeout => RenderError::timeout("render ran past its time limit"),
            Failure::Memory => RenderError::memory(),
            Failure::StackOverflow(location) => RenderError::stack_overflow(location),
            Failure::Js(message, location) => RenderError::js(message, location),
        }
    }

    pub(super) fn into_bundle_error(self, file: &str) -> BundleError {
        match self {
            Failure::Timeout => BundleError::timeout(file),
            Failure::Memory => BundleError::memory(file),
            Failure::StackOverflow(location) => {
                let message = "RangeError: Maximum call stack size exceeded".to_owned();
                BundleError::js(file, &location, message)
            }
            Failure::Js(message, location) => BundleError::js(file, &location, message),
        }
    }
}

/// A thrown value that is not an `Error` (e.g. `throw "oops"`), as JSON when possible.
fn describe<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> String {
    if let Some(s) = value.as_string() {
        return s.to_string().unwrap_or_default();
    }
    match ctx.json_stringify(value) {
        Ok(Some(s)) => s.to_string().unwrap_or_default(),
        _ => "a value that cannot be shown".to_owned(),
    }
}
