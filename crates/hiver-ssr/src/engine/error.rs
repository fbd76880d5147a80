//! The two errors of the render path: [`BundleError`] (a bundle cannot be loaded) and
//! [`RenderError`] (one render failed).

use std::fmt;

/// Where a JavaScript error was raised, read from the first frame of its stack.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct JsLocation {
    pub(crate) file: Option<String>,
    pub(crate) line: Option<u32>,
    pub(crate) stack: String,
}

impl JsLocation {
    /// Reads `file:line` from a V8/QuickJS style stack (`    at f (file.js:3:12)` or
    /// `    at file.js:3:9`).
    pub(crate) fn from_stack(stack: &str) -> Self {
        let mut location = JsLocation {
            stack: stack.to_owned(),
            ..JsLocation::default()
        };
        let Some(frame) = stack.lines().map(str::trim).find(|l| l.starts_with("at ")) else {
            return location;
        };
        let place = match (frame.rfind('('), frame.ends_with(')')) {
            (Some(open), true) => &frame[open + 1..frame.len() - 1],
            _ => &frame[3..],
        };
        // `place` is `file:line:column`; the file name itself may contain colons.
        let mut parts = place.rsplitn(3, ':');
        let (_column, line, file) = (parts.next(), parts.next(), parts.next());
        if let (Some(file), Some(line)) = (file, line.and_then(|l| l.parse().ok())) {
            location.file = Some(file.to_owned());
            location.line = Some(line);
        }
        location
    }
}

#[derive(Debug)]
enum BundleErrorKind {
    Io(std::io::Error),
    Js,
    NoRender,
    Timeout,
    Memory,
    Engine,
}

/// A bundle could not be loaded: the file is missing, it does not parse, it threw while
/// loading, it ran past the time or memory budget, or it defines no `render` function.
///
/// Displays as `file:line: message`, e.g. `bundle.js:3: SyntaxError: unexpected token`.
#[derive(Debug)]
pub struct BundleError {
    kind: BundleErrorKind,
    file: String,
    line: Option<u32>,
    message: String,
}

impl BundleError {
    pub(crate) fn io(file: &str, error: std::io::Error) -> Self {
        let message = error.to_string();
        Self::new(BundleErrorKind::Io(error), file, None, message)
    }

    pub(crate) fn js(file: &str, location: &JsLocation, message: String) -> Self {
        let file = location.file.as_deref().unwrap_or(file);
        Self::new(BundleErrorKind::Js, file, location.line, message)
    }

    pub(crate) fn no_render(file: &str) -> Self {
        let message = "the bundle did not define globalThis.render as a function".to_owned();
        Self::new(BundleErrorKind::NoRender, file, None, message)
    }

    pub(crate) fn timeout(file: &str) -> Self {
        let message = "loading the bundle ran past the time limit".to_owned();
        Self::new(BundleErrorKind::Timeout, file, None, message)
    }

    pub(crate) fn memory(file: &str) -> Self {
        let message = "loading the bundle ran past the memory limit".to_owned();
        Self::new(BundleErrorKind::Memory, file, None, message)
    }

    pub(crate) fn engine(file: &str, message: String) -> Self {
        Self::new(BundleErrorKind::Engine, file, None, message)
    }

    fn new(kind: BundleErrorKind, file: &str, line: Option<u32>, message: String) -> Self {
        let file = file.to_owned();
        BundleError {
            kind,
            file,
            line,
            message,
        }
    }

    /// The bundle file could not be read (missing, unreadable, not UTF-8).
    pub fn is_io(&self) -> bool {
        matches!(self.kind, BundleErrorKind::Io(_))
    }

    /// The bundle threw while loading, including a syntax error.
    pub fn is_js(&self) -> bool {
        matches!(self.kind, BundleErrorKind::Js)
    }

    /// The bundle loaded but left no `globalThis.render` function.
    pub fn is_missing_render(&self) -> bool {
        matches!(self.kind, BundleErrorKind::NoRender)
    }

    /// Loading ran past the time limit.
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, BundleErrorKind::Timeout)
    }

    /// Loading ran past the memory limit.
    pub fn is_memory(&self) -> bool {
        matches!(self.kind, BundleErrorKind::Memory)
    }

    /// The engine itself failed (could not allocate a runtime or context).
    pub fn is_engine(&self) -> bool {
        matches!(self.kind, BundleErrorKind::Engine)
    }

    /// The file the error points at: where the JS error was raised, else the bundle's name.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The 1-based line of the JS error, when the engine reported one.
    pub fn line(&self) -> Option<u32> {
        self.line
    }

    /// The message, for a JS error prefixed with its name (`SyntaxError: ...`).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for BundleError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            BundleErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RenderErrorKind {
    Timeout,
    Js,
    Memory,
    StackOverflow,
    QueueFull,
    ShutDown,
    Bundle,
    Crash,
    Cancelled,
}

/// One render failed. Never cache a page for it; serve the client-side shell instead.
///
/// Ask what happened with the `is_*` predicates. After a timeout, a memory or stack limit hit,
/// or a crash, the render pool has already replaced the engine context that failed.
#[derive(Debug)]
pub struct RenderError {
    inner: Box<RenderErrorInner>,
}

#[derive(Debug)]
struct RenderErrorInner {
    kind: RenderErrorKind,
    message: String,
    location: Option<JsLocation>,
    source: Option<BundleError>,
}

impl RenderError {
    fn new(kind: RenderErrorKind, message: String) -> Self {
        let inner = RenderErrorInner {
            kind,
            message,
            location: None,
            source: None,
        };
        RenderError {
            inner: Box::new(inner),
        }
    }

    pub(crate) fn timeout(message: &str) -> Self {
        Self::new(RenderErrorKind::Timeout, message.to_owned())
    }

    pub(crate) fn js(message: String, location: JsLocation) -> Self {
        let mut error = Self::new(RenderErrorKind::Js, message);
        error.inner.location = Some(location);
        error
    }

    pub(crate) fn memory() -> Self {
        Self::new(RenderErrorKind::Memory, "out of memory".to_owned())
    }

    pub(crate) fn stack_overflow(location: JsLocation) -> Self {
        let message = "maximum call stack size exceeded".to_owned();
        let mut error = Self::new(RenderErrorKind::StackOverflow, message);
        error.inner.location = Some(location);
        error
    }

    pub(crate) fn queue_full() -> Self {
        Self::new(
            RenderErrorKind::QueueFull,
            "render queue is full".to_owned(),
        )
    }

    pub(crate) fn shut_down() -> Self {
        Self::new(
            RenderErrorKind::ShutDown,
            "render pool shut down".to_owned(),
        )
    }

    pub(crate) fn bundle(source: BundleError) -> Self {
        let message = format!("no engine context: {source}");
        let mut error = Self::new(RenderErrorKind::Bundle, message);
        error.inner.source = Some(source);
        error
    }

    pub(crate) fn cancelled() -> Self {
        Self::new(
            RenderErrorKind::Cancelled,
            "the consumer of the streamed render went away".to_owned(),
        )
    }

    pub(crate) fn crash(message: String) -> Self {
        Self::new(RenderErrorKind::Crash, message)
    }

    /// Whether the context that produced this error must be thrown away: its heap may be
    /// half-updated (interrupted mid-render) or exhausted.
    pub(crate) fn taints_context(&self) -> bool {
        use RenderErrorKind::*;
        matches!(
            self.inner.kind,
            Timeout | Memory | StackOverflow | Crash | Bundle
        )
    }

    /// The render ran past its time budget (or awaited a promise nothing could settle).
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == RenderErrorKind::Timeout
    }

    /// The bundle's JavaScript threw, rejected, or returned something that is not a page.
    /// See [`message`](Self::message), [`js_stack`](Self::js_stack), [`file`](Self::file)
    /// and [`line`](Self::line).
    pub fn is_js(&self) -> bool {
        self.inner.kind == RenderErrorKind::Js
    }

    /// The render ran past the context's memory limit.
    pub fn is_memory(&self) -> bool {
        self.inner.kind == RenderErrorKind::Memory
    }

    /// The render ran past the context's stack limit (runaway recursion).
    pub fn is_stack_overflow(&self) -> bool {
        self.inner.kind == RenderErrorKind::StackOverflow
    }

    /// The render queue was full; the render was not queued. Answer at once (503 or shell).
    pub fn is_queue_full(&self) -> bool {
        self.inner.kind == RenderErrorKind::QueueFull
    }

    /// The render pool was shut down before the render ran.
    pub fn is_shut_down(&self) -> bool {
        self.inner.kind == RenderErrorKind::ShutDown
    }

    /// The render thread had no context because the bundle failed to load again (e.g. out
    /// of memory while re-creating a context); the thread retries on its next job.
    pub fn is_bundle(&self) -> bool {
        self.inner.kind == RenderErrorKind::Bundle
    }

    /// The consumer of a streamed render went away (e.g. the HTTP client disconnected): the
    /// render was stopped, its stream cancelled and its timers dropped. The context is kept.
    pub fn is_cancelled(&self) -> bool {
        self.inner.kind == RenderErrorKind::Cancelled
    }

    /// The engine panicked; the context was replaced.
    pub fn is_crash(&self) -> bool {
        self.inner.kind == RenderErrorKind::Crash
    }

    /// A human-readable message; for a JS error, `Name: message` as JavaScript put it.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The JavaScript stack trace of a JS error or stack overflow.
    pub fn js_stack(&self) -> Option<&str> {
        self.inner.location.as_ref().map(|l| l.stack.as_str())
    }

    /// The file of the innermost stack frame of a JS error.
    pub fn file(&self) -> Option<&str> {
        self.inner.location.as_ref()?.file.as_deref()
    }

    /// The 1-based line of the innermost stack frame of a JS error.
    pub fn line(&self) -> Option<u32> {
        self.inner.location.as_ref()?.line
    }
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.file(), self.line()) {
            (Some(file), Some(line)) => write!(f, "{file}:{line}: {}", self.inner.message),
            _ => f.write_str(&self.inner.message),
        }
    }
}

impl std::error::Error for RenderError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_from_named_frame() {
        let l = JsLocation::from_stack("    at f (b2.js:3:12)\n    at <eval> (b2.js:4:1)\n");
        assert_eq!(l.file.as_deref(), Some("b2.js"));
        assert_eq!(l.line, Some(3));
    }

    #[test]
    fn location_from_bare_frame_with_colons_in_path() {
        let l = JsLocation::from_stack("    at C:/x/bundle.js:3:9\n");
        assert_eq!(l.file.as_deref(), Some("C:/x/bundle.js"));
        assert_eq!(l.line, Some(3));
    }

    #[test]
    fn location_missing() {
        let l = JsLocation::from_stack("");
        assert_eq!((l.file, l.line), (None, None));
    }

    #[test]
    fn bundle_error_display_names_file_and_line() {
        let loc = JsLocation::from_stack("    at bundle.js:3:9\n");
        let e = BundleError::js("other.js", &loc, "SyntaxError: unexpected token".into());
        assert_eq!(e.to_string(), "bundle.js:3: SyntaxError: unexpected token");
        assert!(e.is_js() && !e.is_io());
    }
}
