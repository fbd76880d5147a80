//! Sorting what QuickJS threw into the engine's [`Failure`] kinds.

use rquickjs::{CaughtError, Ctx, Error, Value};

use crate::engine::error::JsLocation;
use crate::engine::failure::Failure;

use super::Budget;

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
