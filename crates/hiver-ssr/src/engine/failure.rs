//! Why JavaScript stopped, as every backend reports it before it becomes a [`RenderError`]
//! or a [`BundleError`]. Each backend supplies only its classification (what its engine
//! threw → a [`Failure`]); the kinds and the messages they turn into are decided here, once,
//! so both engines fail the same way.

use super::error::JsLocation;
use super::{BundleError, RenderError};

/// Why JavaScript stopped.
#[derive(Debug)]
pub(super) enum Failure {
    Timeout,
    Memory,
    StackOverflow(JsLocation),
    /// `Name: message` and where it was raised.
    Js(String, JsLocation),
    /// The [`RenderSink`](super::RenderSink) of a streamed render stopped it (its consumer
    /// went away or stalled): its error is the render's.
    Sink(RenderError),
}

impl Failure {
    pub(super) fn into_render_error(self) -> RenderError {
        match self {
            Failure::Timeout => RenderError::timeout("render ran past its time limit"),
            Failure::Memory => RenderError::memory(),
            Failure::StackOverflow(location) => RenderError::stack_overflow(location),
            Failure::Js(message, location) => RenderError::js(message, location),
            Failure::Sink(error) => error,
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
            // Loading a bundle streams nothing; kept total rather than unreachable.
            Failure::Sink(error) => BundleError::engine(file, error.to_string()),
        }
    }
}
