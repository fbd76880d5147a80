//! Streamed renders: where the pieces of a stream go ([`RenderSink`]), how a render handed
//! its page over ([`Delivery`]), and how the host waits on JavaScript timers (shared by every
//! backend).

use std::time::{Duration, Instant};

use super::failure::Failure;
use super::{RenderError, RenderResult};

/// Where the pieces of a streamed render go, in order: [`start`](Self::start) once, then
/// [`chunk`](Self::chunk) for each piece of HTML as JavaScript produces it.
///
/// The engine calls it on the render thread. A sink may block (that is the backpressure: the
/// render waits while its consumer is slow); an error it returns stops the render, cancels
/// the bundle's stream, drops its timers, and is what the render returns.
pub trait RenderSink {
    /// The render returned a stream: its head markup and status, before any chunk.
    ///
    /// # Errors
    ///
    /// Why the render must stop (e.g. [`RenderError::is_cancelled`]).
    fn start(&mut self, head: String, status: u16) -> Result<(), RenderError>;

    /// The next piece of HTML (never empty).
    ///
    /// # Errors
    ///
    /// Why the render must stop (e.g. [`RenderError::is_cancelled`], or
    /// [`RenderError::is_timeout`] for a consumer that took no chunk within the time limit).
    fn chunk(&mut self, html: String) -> Result<(), RenderError>;

    /// Whether the consumer went away. Checked while the render waits on JavaScript
    /// (promises, timers), so a render nobody reads any more stops before its next chunk.
    fn is_cancelled(&self) -> bool;
}

/// How a render handed its page over to [`Engine::render_streaming`](super::Engine::render_streaming).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// `render` returned a whole page (a string, `{ html, head, status }` or a promise of
    /// one); the sink was not called.
    Whole(RenderResult),
    /// `render` returned a stream; the sink got its head, status and every chunk, and the
    /// stream ended without error.
    Streamed,
}

/// A sink that joins a stream into one page: what [`Engine::render`](super::Engine::render)
/// does with a bundle that streams.
#[derive(Debug)]
pub(super) struct Collect {
    result: RenderResult,
}

impl Default for Collect {
    fn default() -> Self {
        let (html, head) = (String::new(), String::new());
        Collect {
            result: RenderResult {
                html,
                head,
                status: 200,
            },
        }
    }
}

impl Collect {
    /// What every backend's [`Engine::render`](super::Engine::render) is: `render_streaming`
    /// (given as `render`) into a collector, the page returned whole as it came or, for a
    /// stream, joined.
    pub(super) fn join(
        render: impl FnOnce(&mut dyn RenderSink) -> Result<Delivery, RenderError>,
    ) -> Result<RenderResult, RenderError> {
        let mut collect = Collect::default();
        match render(&mut collect)? {
            Delivery::Whole(result) => Ok(result),
            Delivery::Streamed => Ok(collect.result),
        }
    }
}

impl RenderSink for Collect {
    fn start(&mut self, head: String, status: u16) -> Result<(), RenderError> {
        self.result.head = head;
        self.result.status = status;
        Ok(())
    }

    fn chunk(&mut self, html: String) -> Result<(), RenderError> {
        self.result.html.push_str(&html);
        Ok(())
    }

    fn is_cancelled(&self) -> bool {
        false
    }
}

/// The longest the host sleeps at once while waiting for a timer, so a cancelled render
/// notices within this long.
const SLEEP_SLICE: Duration = Duration::from_millis(10);

/// What the host does once the microtask queue is empty and a promise is still pending,
/// given what the prelude's `runTimers()` returned (0: a timer ran; n > 0: milliseconds until
/// the next is due; negative: no timer left).
///
/// Sleeps (at most [`SLEEP_SLICE`], never past `deadline`) while the next timer is not due;
/// fails with [`Failure::Timeout`] when nothing can ever settle the promise.
pub(super) fn wait_for_timers(timers: f64, deadline: Instant) -> Result<(), Failure> {
    if timers < 0.0 || timers.is_nan() {
        // Nothing is queued and the engine has no I/O: the promise can never settle.
        return Err(Failure::Timeout);
    }
    if timers > 0.0 {
        let left = deadline.saturating_duration_since(Instant::now());
        let due = Duration::from_secs_f64(timers.min(3_600_000.0) / 1000.0);
        std::thread::sleep(due.min(SLEEP_SLICE).min(left));
    }
    Ok(())
}

/// Checks the budget and the consumer between two steps of the host's wait loop.
pub(super) fn still_wanted(deadline: Instant, sink: &dyn RenderSink) -> Result<(), Failure> {
    if sink.is_cancelled() {
        return Err(Failure::Sink(RenderError::cancelled()));
    }
    if Instant::now() >= deadline {
        return Err(Failure::Timeout);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_timer_left_means_the_promise_can_never_settle() {
        let deadline = Instant::now() + Duration::from_secs(1);
        assert!(matches!(
            wait_for_timers(-1.0, deadline),
            Err(Failure::Timeout)
        ));
    }

    #[test]
    fn a_timer_not_yet_due_sleeps_one_slice_at_most() {
        let deadline = Instant::now() + Duration::from_secs(5);
        let started = Instant::now();
        assert!(wait_for_timers(1000.0, deadline).is_ok());
        let slept = started.elapsed();
        assert!(
            slept >= SLEEP_SLICE && slept < Duration::from_millis(500),
            "{slept:?}"
        );
    }

    #[test]
    fn sleep_never_passes_the_deadline() {
        let started = Instant::now();
        let deadline = started + Duration::from_millis(2);
        assert!(wait_for_timers(1000.0, deadline).is_ok());
        assert!(started.elapsed() < SLEEP_SLICE, "{:?}", started.elapsed());
    }

    #[test]
    fn collect_joins_chunks_with_head_and_status() {
        let page = Collect::join(|sink| {
            sink.start("<title>t</title>".into(), 201)?;
            sink.chunk("<p>a".into())?;
            sink.chunk("b</p>".into())?;
            Ok(Delivery::Streamed)
        })
        .unwrap();
        assert_eq!(page.html, "<p>ab</p>");
        assert_eq!((page.head.as_str(), page.status), ("<title>t</title>", 201));
    }

    #[test]
    fn collect_returns_a_whole_page_as_it_came() {
        let whole = RenderResult {
            html: "<p>w</p>".into(),
            head: String::new(),
            status: 404,
        };
        let page = Collect::join(|_| Ok(Delivery::Whole(whole.clone()))).unwrap();
        assert_eq!(page, whole);
    }
}
