//! Sorting what V8 threw into the engine's [`Failure`] kinds, as the QuickJS backend sorts
//! its own.

use crate::engine::error::JsLocation;
use crate::engine::failure::Failure;

impl Failure {
    /// Reads a thrown (or rejected-with) value. `message` is V8's note on where it was
    /// thrown; it names the file and line when the stack has no frame (syntax errors).
    pub(super) fn from_exception(
        scope: &v8::PinScope<'_, '_>,
        exception: v8::Local<'_, v8::Value>,
        message: Option<v8::Local<'_, v8::Message>>,
    ) -> Self {
        let Some(error) = exception.to_object(scope).filter(|_| exception.is_object()) else {
            let text = format!("uncaught exception: {}", describe(scope, exception));
            return Failure::Js(text, locate(scope, String::new(), message));
        };
        let name = property(scope, error, "name").unwrap_or_else(|| "Error".to_owned());
        let text = property(scope, error, "message").unwrap_or_default();
        let stack = property(scope, error, "stack").unwrap_or_default();
        let location = locate(scope, stack, message);
        match (name.as_str(), text.as_str()) {
            ("RangeError", "Maximum call stack size exceeded") => Failure::StackOverflow(location),
            _ => Failure::Js(format!("{name}: {text}"), location),
        }
    }

    /// A JavaScript error raised by the host (e.g. a string too long for V8).
    pub(super) fn host(message: &str) -> Self {
        Failure::Js(message.to_owned(), JsLocation::default())
    }
}

/// The innermost stack frame, else the place V8's message names.
fn locate(
    scope: &v8::PinScope<'_, '_>,
    stack: String,
    message: Option<v8::Local<'_, v8::Message>>,
) -> JsLocation {
    let mut location = JsLocation::from_stack(&stack);
    if location.file.is_some() {
        return location;
    }
    if let Some(message) = message {
        location.file = message
            .get_script_resource_name(scope)
            .filter(|name| name.is_string())
            .map(|name| name.to_rust_string_lossy(scope));
        location.line = message
            .get_line_number(scope)
            .and_then(|line| u32::try_from(line).ok());
    }
    location
}

fn property(
    scope: &v8::PinScope<'_, '_>,
    object: v8::Local<'_, v8::Object>,
    key: &str,
) -> Option<String> {
    let key = v8::String::new(scope, key)?;
    let value = object.get(scope, key.into())?;
    if value.is_null_or_undefined() {
        return None;
    }
    Some(value.to_rust_string_lossy(scope))
}

/// A thrown value that is not an object (e.g. `throw "oops"`), as JSON when possible.
fn describe(scope: &v8::PinScope<'_, '_>, value: v8::Local<'_, v8::Value>) -> String {
    if value.is_string() {
        return value.to_rust_string_lossy(scope);
    }
    match v8::json::stringify(scope, value) {
        Some(text) => text.to_rust_string_lossy(scope),
        None => "a value that cannot be shown".to_owned(),
    }
}
