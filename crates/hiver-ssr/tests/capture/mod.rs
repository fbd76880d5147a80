//! One global `tracing` subscriber per test binary, and what the tests read from it: the
//! text logged on the test's own thread ([`logged_by`]), and every span and event from any
//! thread ([`spans`], [`events`]) — renders run on the pool's threads, handlers on the test
//! client's runtime.
//!
//! One global subscriber rather than `with_default` per test: tracing caches callsite
//! interest globally, and a callsite first hit by a parallel test with no subscriber can stay
//! disabled while a scoped subscriber registers, losing lines at random. Tests run in
//! parallel, so each finds its own records by a value only it uses (a URL, a request id).
#![allow(dead_code)] // each binary uses a different part

use std::cell::RefCell;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, Once, PoisonError};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// A span as it was opened, with the fields recorded on it since.
#[derive(Debug, Clone)]
pub struct SpanRecord {
    /// Unique in the process (the subscriber's own ids are reused once a span closes).
    pub seq: u64,
    pub name: &'static str,
    pub target: String,
    /// The parent's `seq`, as the registry resolved it (explicit or contextual).
    pub parent: Option<u64>,
    pub fields: Vec<(String, String)>,
}

impl SpanRecord {
    /// The value of field `name`: strings as they are, other values in `Debug` form.
    pub fn field(&self, name: &str) -> Option<&str> {
        field(&self.fields, name)
    }
}

/// An event with its fields and the spans it happened in.
#[derive(Debug, Clone)]
pub struct EventRecord {
    pub level: Level,
    pub target: String,
    pub fields: Vec<(String, String)>,
    /// `seq` of the enclosing spans, innermost first.
    pub scope: Vec<u64>,
}

impl EventRecord {
    /// The value of field `name` (`message` for the format string).
    pub fn field(&self, name: &str) -> Option<&str> {
        field(&self.fields, name)
    }
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

static SPANS: Mutex<Vec<SpanRecord>> = Mutex::new(Vec::new());
static EVENTS: Mutex<Vec<EventRecord>> = Mutex::new(Vec::new());

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Every span opened since [`install`], from every thread.
pub fn spans() -> Vec<SpanRecord> {
    lock(&SPANS).clone()
}

/// Every event logged since [`install`], from every thread.
pub fn events() -> Vec<EventRecord> {
    lock(&EVENTS).clone()
}

/// Installs the global subscriber (once per binary; later calls do nothing).
pub fn install() {
    static GLOBAL: Once = Once::new();
    GLOBAL.call_once(|| {
        let text = tracing_subscriber::fmt::layer()
            .with_writer(|| ThreadBuffer)
            .with_ansi(false);
        let subscriber = tracing_subscriber::registry().with(text).with(Recorder);
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
    });
}

thread_local! {
    /// What the global subscriber wrote while a test ran on this thread.
    static CAPTURED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Writes into this thread's [`CAPTURED`] buffer.
struct ThreadBuffer;

impl std::io::Write for ThreadBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURED.with(|c| c.borrow_mut().extend_from_slice(bytes));
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `f` and returns what was logged on this thread meanwhile, as text.
pub fn logged_by(f: impl FnOnce()) -> String {
    install();
    CAPTURED.with(|c| c.borrow_mut().clear());
    f();
    let bytes = CAPTURED.with(|c| std::mem::take(&mut *c.borrow_mut()));
    String::from_utf8(bytes).expect("UTF-8")
}

/// The `seq` a span was given, kept in the registry's extensions.
struct Seq(u64);

/// Records spans and events into [`SPANS`] and [`EVENTS`].
struct Recorder;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Recorder {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let Some(span) = ctx.span(id) else { return };
        let seq = NEXT.fetch_add(1, Ordering::Relaxed);
        let parent = span
            .parent()
            .and_then(|p| p.extensions().get::<Seq>().map(|s| s.0));
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        span.extensions_mut().insert(Seq(seq));
        lock(&SPANS).push(SpanRecord {
            seq,
            name: attrs.metadata().name(),
            target: attrs.metadata().target().to_owned(),
            parent,
            fields: fields.0,
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(seq) = ctx
            .span(id)
            .and_then(|s| s.extensions().get::<Seq>().map(|s| s.0))
        else {
            return;
        };
        let mut fields = Fields::default();
        values.record(&mut fields);
        let mut spans = lock(&SPANS);
        if let Some(span) = spans.iter_mut().rev().find(|s| s.seq == seq) {
            span.fields.extend(fields.0);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let scope = ctx
            .event_scope(event)
            .map(|scope| {
                scope
                    .filter_map(|s| s.extensions().get::<Seq>().map(|s| s.0))
                    .collect()
            })
            .unwrap_or_default();
        lock(&EVENTS).push(EventRecord {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            fields: fields.0,
            scope,
        });
    }
}

#[derive(Default)]
struct Fields(Vec<(String, String)>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
}
