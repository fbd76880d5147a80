//! The V8 backend (via the `v8` crate, feature `v8`): one isolate and one context per render
//! thread, the prelude and bundle compiled once.
//!
//! It drives the shared [`PRELUDE`] exactly as the QuickJS backend does: props cross as a
//! JSON string that `JSON.parse` reads inside V8, promises settle through microtask
//! checkpoints and the prelude's timers, a stream is pulled piece by piece into a
//! [`RenderSink`], and failures sort into the same [`RenderError`] kinds.

mod classify;
mod code_cache;
mod limits;
mod watchdog;

use std::rc::Rc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::console;
use super::failure::Failure;
use super::stream::{Collect, still_wanted, wait_for_timers};
use super::{
    Bundle, BundleError, Delivery, Engine, EngineFactory, Limits, PRELUDE, RenderError,
    RenderResult, RenderSink,
};
use code_cache::Stage;
use limits::{HeapGuard, Running};
use watchdog::Watchdog;

/// The V8 engine factory (Google's V8 through the `v8` crate, pinned to 152.2.0).
///
/// Renders React pages many times faster than [`QuickJs`](super::QuickJs), at the cost of a
/// larger binary (the prebuilt V8 library) and more memory per context. Select it with
/// `RenderPool::builder().engine(V8)`.
///
/// The V8 platform is initialised once per process, the first time an engine is created.
/// Only the ICU data bundled with the crate (about 7 MB, most locales) is compiled in; an
/// application that needs every locale calls `v8::icu::set_common_data_78` with a full
/// `icudtl.dat` before creating the first engine.
///
/// `V8` is also the factory with the default settings, as a value:
/// `RenderPool::builder().engine(V8)`; [`young_generation`](V8::young_generation) tunes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V8 {
    young_generation: usize,
}

/// The V8 engine factory with the default settings.
pub const V8: V8 = V8::new();

impl Default for V8 {
    fn default() -> Self {
        V8
    }
}

impl V8 {
    /// The factory with the default settings (the same as the [`V8`](const@V8) constant).
    pub const fn new() -> Self {
        V8 {
            young_generation: limits::YOUNG_GENERATION,
        }
    }

    /// The most each isolate's young generation may grow to, in bytes (default 24 MiB:
    /// three 8 MiB semi-spaces' worth, half of V8's own default). At least 3 MiB (three
    /// 1 MiB semi-spaces): smaller values are raised to that.
    ///
    /// Every short-lived string and element of a render is born there. The render thread
    /// has V8 collect it between renders once a render has filled 40 % of a semi-space
    /// ([`Engine::idle`](super::Engine::idle)), so the collection finds that render's
    /// objects dead, as long as the next render fits in the 60 % left; a render that
    /// allocates more than that is collected mid-render, copying what is still alive. On
    /// the demo storefront's 88 KB page (pool loop, one core, medians of 3 alternating
    /// rounds), 24 MiB rendered React 1.07× and Preact 1.10× as fast as 48 MiB, and Preact
    /// 1.13× as fast as 12 MiB. Measure with your own bundle before changing it.
    pub const fn young_generation(mut self, bytes: usize) -> Self {
        self.young_generation = if bytes < super::MIN_YOUNG_GENERATION {
            super::MIN_YOUNG_GENERATION
        } else {
            bytes
        };
        self
    }
}

/// The process-wide V8 platform, initialised before the first isolate.
fn platform() -> &'static v8::SharedRef<v8::Platform> {
    static PLATFORM: OnceLock<v8::SharedRef<v8::Platform>> = OnceLock::new();
    PLATFORM.get_or_init(|| {
        // The young-generation collection V8 schedules as a task (run between renders by
        // `idle`) is posted once the young generation is 40 % full instead of 80 %, which
        // leaves 60 % of it for the render under way: 4.8 MiB of the default 24 MiB's
        // 8 MiB semi-space, more than a storefront render allocates.
        v8::V8::set_flags_from_string("--minor-gc-task-trigger=40");
        let platform = v8::new_default_platform(0, false).make_shared();
        v8::V8::initialize_platform(platform.clone());
        v8::V8::initialize();
        platform
    })
}

/// The functions the prelude returned, kept across renders.
struct Api {
    render: v8::Global<v8::Function>,
    finish: v8::Global<v8::Function>,
    next: v8::Global<v8::Function>,
    run_timers: v8::Global<v8::Function>,
    clear_timers: v8::Global<v8::Function>,
}

/// A V8 isolate with the prelude and bundle loaded.
struct V8Engine {
    // Field order is drop order: handles into the isolate go before it.
    api: Api,
    context: v8::Global<v8::Context>,
    /// The compiled bundle, kept to make its code cache after the first render.
    script: v8::Global<v8::UnboundScript>,
    isolate: v8::OwnedIsolate,
    /// Which bundle `script` is, in the process's code caches.
    cache_key: code_cache::Key,
    /// Set once this context has offered its code cache after a render.
    cache_offered: bool,
    watchdog: Watchdog,
    heap: Rc<HeapGuard>,
    time: Duration,
}

/// What tells a termination apart from a JavaScript error.
#[derive(Clone, Copy)]
struct Guards<'a> {
    watchdog: &'a Watchdog,
    heap: &'a HeapGuard,
    deadline: Instant,
}

impl<'a> Guards<'a> {
    /// Arms `watchdog` for `time` and gives the guards of a step that must end within it
    /// (a load, a render, an idle turn).
    fn arm(watchdog: &'a Watchdog, heap: &'a HeapGuard, time: Duration) -> Self {
        watchdog.arm(time);
        Guards {
            watchdog,
            heap,
            deadline: Instant::now() + time,
        }
    }

    /// Disarms the watchdog and, if a budget stopped the script, clears the termination so
    /// the isolate runs JavaScript again.
    fn release(self, isolate: &v8::Isolate) {
        if self.watchdog.disarm() || self.heap.hit() {
            isolate.cancel_terminate_execution();
        }
    }
}

/// The try-catch scope every step runs in (a pinned `v8::TryCatch` over the render's handle
/// scope); `'obj` is the handle scope's lifetime, which the values it makes live for.
type TryCatch<'p, 't, 'obj, 'iso> =
    v8::PinnedRef<'p, v8::TryCatch<'t, 'obj, v8::HandleScope<'iso>>>;

impl EngineFactory for V8 {
    fn create(&self, bundle: &Bundle, limits: &Limits) -> Result<Box<dyn Engine>, BundleError> {
        Ok(Box::new(self.engine(bundle, limits)?))
    }

    fn name(&self) -> &'static str {
        "v8"
    }
}

impl V8 {
    /// What [`EngineFactory::create`] boxes.
    fn engine(&self, bundle: &Bundle, limits: &Limits) -> Result<V8Engine, BundleError> {
        platform();
        let name = bundle.name();
        let mut isolate = limits::isolate(limits, self.young_generation);
        let heap = HeapGuard::new(isolate.thread_safe_handle());
        let watchdog = Watchdog::spawn(isolate.thread_safe_handle())
            .map_err(|e| BundleError::engine(name, e.to_string()))?;
        let running = Running::enter(&heap);
        let guards = Guards::arm(&watchdog, &heap, limits.time);
        let cache_key = code_cache::Key::of(bundle);
        let loaded = load(&mut isolate, bundle, cache_key, guards);
        guards.release(&isolate);
        drop(running);
        let (context, api, script) = loaded?;
        {
            v8::scope!(let scope, &mut isolate);
            let context = v8::Local::new(scope, &context);
            let scope = &mut v8::ContextScope::new(scope, context);
            offer_code_cache(scope, &script, cache_key, Stage::Loaded);
        }
        Ok(V8Engine {
            api,
            context,
            script,
            isolate,
            cache_key,
            cache_offered: false,
            watchdog,
            heap,
            time: limits.time,
        })
    }
}

impl Engine for V8Engine {
    fn render(&mut self, url: &str, props_json: &str) -> Result<RenderResult, RenderError> {
        Collect::join(|sink| self.render_streaming(url, props_json, sink))
    }

    fn render_streaming(
        &mut self,
        url: &str,
        props_json: &str,
        sink: &mut dyn RenderSink,
    ) -> Result<Delivery, RenderError> {
        let _running = Running::enter(&self.heap);
        let guards = Guards::arm(&self.watchdog, &self.heap, self.time);
        let isolate = &mut self.isolate;
        v8::scope!(let scope, isolate);
        let context = v8::Local::new(scope, &self.context);
        let scope = &mut v8::ContextScope::new(scope, context);
        v8::tc_scope!(let tc, scope);
        let page = render_page(tc, &self.api, url, props_json, guards, sink);
        tidy(tc, &self.api);
        guards.release(tc);
        let page = page.map_err(Failure::into_render_error)?;
        if !self.cache_offered {
            self.cache_offered = true;
            offer_code_cache(tc, &self.script, self.cache_key, Stage::Rendered);
        }
        Ok(page)
    }

    /// Runs the foreground tasks V8 posted for this isolate, under the same budgets as a
    /// render. No event loop pumps them otherwise, so they never ran: the young generation
    /// was only collected when full, which is mid-render, with the render's objects still
    /// alive to copy and promote. Run here, the collection V8 schedules once a semi-space is
    /// 40 % full finds the finished render dead. Measured on the storefront, cache off,
    /// over HTTP (`bench/pair.sh`, 4 pairs): React 1.17–1.23× the renders per CPU-second,
    /// Preact level (BENCHMARKS.md, "V8's pending tasks run between renders").
    fn idle(&mut self) -> Result<(), RenderError> {
        let _running = Running::enter(&self.heap);
        let guards = Guards::arm(&self.watchdog, &self.heap, self.time);
        while v8::Platform::pump_message_loop(platform(), &self.isolate, false) {}
        let failure = stopped(guards);
        guards.release(&self.isolate);
        failure.map_or(Ok(()), |failure| Err(failure.into_render_error()))
    }
}

/// Stores `script`'s code cache for later contexts, if none as good is stored yet.
fn offer_code_cache(
    scope: &v8::PinScope<'_, '_>,
    script: &v8::Global<v8::UnboundScript>,
    key: code_cache::Key,
    stage: Stage,
) {
    if !code_cache::wants(key, stage) {
        return;
    }
    let script = v8::Local::new(scope, script);
    // V8 declines only for scripts it cannot cache; the next context then compiles again.
    if let Some(data) = script.create_code_cache() {
        code_cache::store(key, stage, data.to_vec());
    }
}

/// Evaluates the prelude and the bundle (from its code cache when one is stored) in a fresh
/// context, then checks for `globalThis.render`.
fn load(
    isolate: &mut v8::OwnedIsolate,
    bundle: &Bundle,
    cache_key: code_cache::Key,
    guards: Guards<'_>,
) -> Result<Loaded, BundleError> {
    let file = bundle.name();
    v8::scope!(let scope, isolate);
    let context = v8::Context::new(scope, v8::ContextOptions::default());
    let scope = &mut v8::ContextScope::new(scope, context);
    v8::tc_scope!(let tc, scope);
    let fail = |failure: Failure| failure.into_bundle_error(file);
    let api = install_prelude(tc, guards).map_err(fail)?;
    let script = compile_bundle(tc, bundle, cache_key, guards).map_err(fail)?;
    script.run(tc).ok_or_else(|| fail(caught(tc, guards)))?;
    tc.perform_microtask_checkpoint();
    if guards.heap.hit() {
        return Err(BundleError::memory(file));
    }
    if guards.watchdog.fired() {
        return Err(BundleError::timeout(file));
    }
    let global = context.global(tc);
    let render = get(tc, global, "render", guards).map_err(fail)?;
    if !render.is_function() {
        return Err(BundleError::no_render(file));
    }
    let script = script.get_unbound_script(tc);
    Ok((
        v8::Global::new(tc, context),
        api,
        v8::Global::new(tc, script),
    ))
}

/// What [`load`] keeps: the context, the prelude's functions and the compiled bundle.
type Loaded = (v8::Global<v8::Context>, Api, v8::Global<v8::UnboundScript>);

/// Compiles the bundle, consuming the stored code cache if there is one; a cache V8 rejects
/// is compiled around and dropped.
fn compile_bundle<'s>(
    tc: &mut TryCatch<'_, '_, 's, '_>,
    bundle: &Bundle,
    key: code_cache::Key,
    guards: Guards<'_>,
) -> Result<v8::Local<'s, v8::Script>, Failure> {
    let code = string(tc, bundle.source())?;
    let origin = origin(tc, bundle.name())?;
    // Declared before `source`, which borrows it without a lifetime: it is dropped after.
    let cached = code_cache::get(key);
    let (mut source, options) = match &cached {
        Some((_, data)) => (
            v8::script_compiler::Source::new_with_cached_data(
                code,
                Some(&origin),
                v8::CachedData::new(data),
            ),
            v8::script_compiler::CompileOptions::ConsumeCodeCache,
        ),
        None => (
            v8::script_compiler::Source::new(code, Some(&origin)),
            v8::script_compiler::CompileOptions::NoCompileOptions,
        ),
    };
    let no_reason = v8::script_compiler::NoCacheReason::NoReason;
    let script = v8::script_compiler::compile(tc, &mut source, options, no_reason)
        .ok_or_else(|| caught(tc, guards))?;
    if cached.is_some() && source.get_cached_data().is_none_or(|c| c.rejected()) {
        tracing::debug!(
            bundle = bundle.name(),
            "V8 rejected the bundle's code cache"
        );
        code_cache::forget(key);
    }
    Ok(script)
}

fn install_prelude(tc: &mut TryCatch<'_, '_, '_, '_>, guards: Guards<'_>) -> Result<Api, Failure> {
    let prelude = run_script(tc, PRELUDE, "hiver-prelude.js", guards)?;
    let prelude = function(prelude, "the prelude")?;
    let host = v8::Object::new(tc);
    let log = v8::Function::new(tc, host_log).ok_or_else(|| caught(tc, guards))?;
    let key = string(tc, "log")?;
    host.set(tc, key.into(), log.into())
        .ok_or_else(|| caught(tc, guards))?;
    let undefined = v8::undefined(tc).into();
    let api = prelude
        .call(tc, undefined, &[host.into()])
        .ok_or_else(|| caught(tc, guards))?;
    let api = api
        .to_object(tc)
        .ok_or_else(|| Failure::host("TypeError: the prelude returned no object"))?;
    let mut keep = |name: &str| -> Result<v8::Global<v8::Function>, Failure> {
        let value = get(tc, api, name, guards)?;
        Ok(v8::Global::new(tc, function(value, name)?))
    };
    Ok(Api {
        render: keep("render")?,
        finish: keep("finish")?,
        next: keep("next")?,
        run_timers: keep("runTimers")?,
        clear_timers: keep("clearTimers")?,
    })
}

/// Compiles and runs a classic script named `file` (the name errors and stacks show).
fn run_script<'s>(
    tc: &mut TryCatch<'_, '_, 's, '_>,
    source: &str,
    file: &str,
    guards: Guards<'_>,
) -> Result<v8::Local<'s, v8::Value>, Failure> {
    let code = string(tc, source)?;
    let origin = origin(tc, file)?;
    let script = v8::Script::compile(tc, code, Some(&origin));
    let result = script.and_then(|script| script.run(tc));
    result.ok_or_else(|| caught(tc, guards))
}

/// A classic script's origin named `file` (the name errors and stacks show).
fn origin<'s>(
    tc: &mut TryCatch<'_, '_, 's, '_>,
    file: &str,
) -> Result<v8::ScriptOrigin<'s>, Failure> {
    let name = string(tc, file)?;
    Ok(v8::ScriptOrigin::new(
        tc,
        name.into(),
        0,
        0,
        false,
        0,
        None,
        false,
        false,
        false,
        None,
    ))
}

fn render_page(
    tc: &mut TryCatch<'_, '_, '_, '_>,
    api: &Api,
    url: &str,
    props_json: &str,
    guards: Guards<'_>,
    sink: &mut dyn RenderSink,
) -> Result<Delivery, Failure> {
    let render = v8::Local::new(tc, &api.render);
    let args = [string(tc, url)?.into(), string(tc, props_json)?.into()];
    let value = call(tc, render, &args, guards)?;
    let value = settle(tc, api, value, guards, &*sink)?;
    let finish = v8::Local::new(tc, &api.finish);
    let parts = call(tc, finish, &[value], guards)?;
    let parts = parts
        .to_object(tc)
        .ok_or_else(|| Failure::host("TypeError: finish() returned no array"))?;
    let html = index(tc, parts, 0, guards)?.to_rust_string_lossy(tc);
    let head = index(tc, parts, 1, guards)?.to_rust_string_lossy(tc);
    let status = index(tc, parts, 2, guards)?
        .integer_value(tc)
        .unwrap_or(200);
    let status = u16::try_from(status).map_err(|_| Failure::host("status out of range"))?;
    if !index(tc, parts, 3, guards)?.is_true() {
        return Ok(Delivery::Whole(RenderResult { html, head, status }));
    }
    sink.start(head, status).map_err(Failure::Sink)?;
    stream(tc, api, guards, sink)?;
    Ok(Delivery::Streamed)
}

/// Pulls the stream `finish` opened into `sink`, piece by piece, until it ends.
fn stream(
    tc: &mut TryCatch<'_, '_, '_, '_>,
    api: &Api,
    guards: Guards<'_>,
    sink: &mut dyn RenderSink,
) -> Result<(), Failure> {
    let next = v8::Local::new(tc, &api.next);
    loop {
        let pending = call(tc, next, &[], guards)?;
        let piece = settle(tc, api, pending, guards, &*sink)?;
        if !piece.is_string() {
            return Ok(()); // `next` settles to null at the end
        }
        let text = piece.to_rust_string_lossy(tc);
        sink.chunk(text).map_err(Failure::Sink)?;
    }
}

/// Drives microtasks and the prelude's timers until `value` (if a promise) settles, within
/// the deadline and while the sink's consumer is still there.
fn settle<'s>(
    tc: &mut TryCatch<'_, '_, 's, '_>,
    api: &Api,
    value: v8::Local<'s, v8::Value>,
    guards: Guards<'_>,
    sink: &dyn RenderSink,
) -> Result<v8::Local<'s, v8::Value>, Failure> {
    let Ok(promise) = v8::Local::<v8::Promise>::try_from(value) else {
        return Ok(value);
    };
    let run_timers = v8::Local::new(tc, &api.run_timers);
    loop {
        match promise.state() {
            v8::PromiseState::Fulfilled => return Ok(promise.result(tc)),
            v8::PromiseState::Rejected => {
                let reason = promise.result(tc);
                return Err(Failure::from_exception(tc, reason, None));
            }
            v8::PromiseState::Pending => {}
        }
        still_wanted(guards.deadline, sink)?;
        tc.perform_microtask_checkpoint();
        if let Some(failure) = stopped(guards) {
            return Err(failure);
        }
        if promise.state() != v8::PromiseState::Pending {
            continue;
        }
        let timers = call(tc, run_timers, &[], guards)?;
        let timers = timers.number_value(tc).unwrap_or(-1.0);
        wait_for_timers(timers, guards.deadline)?;
    }
}

/// Leaves the context as the next render expects it: no timers, no queued microtasks.
fn tidy(tc: &mut TryCatch<'_, '_, '_, '_>, api: &Api) {
    let clear = v8::Local::new(tc, &api.clear_timers);
    let undefined = v8::undefined(tc).into();
    // A failure here means the context is already failing; the render's own error wins.
    let _ = clear.call(tc, undefined, &[]);
    tc.perform_microtask_checkpoint();
}

fn call<'s>(
    tc: &mut TryCatch<'_, '_, 's, '_>,
    function: v8::Local<'_, v8::Function>,
    args: &[v8::Local<'_, v8::Value>],
    guards: Guards<'_>,
) -> Result<v8::Local<'s, v8::Value>, Failure> {
    let undefined = v8::undefined(tc).into();
    function
        .call(tc, undefined, args)
        .ok_or_else(|| caught(tc, guards))
}

fn get<'s>(
    tc: &mut TryCatch<'_, '_, 's, '_>,
    object: v8::Local<'_, v8::Object>,
    key: &str,
    guards: Guards<'_>,
) -> Result<v8::Local<'s, v8::Value>, Failure> {
    let key = string(tc, key)?;
    object.get(tc, key.into()).ok_or_else(|| caught(tc, guards))
}

fn index<'s>(
    tc: &mut TryCatch<'_, '_, 's, '_>,
    array: v8::Local<'_, v8::Object>,
    at: u32,
    guards: Guards<'_>,
) -> Result<v8::Local<'s, v8::Value>, Failure> {
    array.get_index(tc, at).ok_or_else(|| caught(tc, guards))
}

fn string<'s>(
    scope: &v8::PinScope<'s, '_>,
    text: &str,
) -> Result<v8::Local<'s, v8::String>, Failure> {
    v8::String::new(scope, text).ok_or_else(|| Failure::host("RangeError: Invalid string length"))
}

fn function<'s>(
    value: v8::Local<'s, v8::Value>,
    what: &str,
) -> Result<v8::Local<'s, v8::Function>, Failure> {
    v8::Local::<v8::Function>::try_from(value)
        .map_err(|_| Failure::host(&format!("TypeError: {what} is not a function")))
}

/// The termination that stopped the script, if the budgets stopped it.
fn stopped(guards: Guards<'_>) -> Option<Failure> {
    if guards.heap.hit() {
        Some(Failure::Memory)
    } else if guards.watchdog.fired() {
        Some(Failure::Timeout)
    } else {
        None
    }
}

/// What the try-catch scope caught: a budget's termination or a JavaScript exception.
fn caught(tc: &TryCatch<'_, '_, '_, '_>, guards: Guards<'_>) -> Failure {
    if let Some(failure) = stopped(guards) {
        return failure;
    }
    match tc.exception() {
        Some(exception) if !tc.has_terminated() => {
            Failure::from_exception(tc, exception, tc.message())
        }
        // Terminated by something other than our budgets: treat it as running out of time.
        _ => Failure::Timeout,
    }
}

fn host_log(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _: v8::ReturnValue<'_, v8::Value>,
) {
    let level = args.get(0).int32_value(scope).unwrap_or(4);
    let message = args.get(1).to_rust_string_lossy(scope);
    console::log(level, &message);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// A bundle no other test loads, so its code cache starts empty.
    fn fresh_bundle(name: &str) -> Bundle {
        let source = format!(
            "globalThis.render = (url, props) => `<p>${{url}} ${{props.n}}</p>` + \
             [1, 2, 3].map((n) => `<i>${{n}}</i>`).join('') // {name}"
        );
        Bundle::from_source(format!("{name}.js"), source)
    }

    fn render(engine: &mut Box<dyn Engine>) -> String {
        engine.render("/x", r#"{"n":7}"#).expect("renders").html
    }

    /// `isolate`'s new space: the bytes of live objects in it, and its size.
    fn new_space(isolate: &mut v8::Isolate) -> (usize, usize) {
        (0..isolate.number_of_heap_spaces())
            .filter_map(|i| isolate.get_heap_space_statistics(i))
            .filter(|s| s.space_name().to_bytes() == b"new_space")
            .fold((0, 0), |(used, size), s| {
                (used + s.space_used_size(), size + s.space_size())
            })
    }

    #[test]
    fn idle_collects_a_finished_renders_garbage() {
        // Each render leaves about 1 MiB of dead strings. Once renders have filled 40 % of
        // a semi-space, V8 has scheduled its collection task, and only `idle` runs it: the
        // new space then empties between renders, which it never does without.
        let bundle = Bundle::from_source(
            "idle-garbage.js",
            "globalThis.render = () => { let a = []; \
             for (let i = 0; i < 20000; i++) a.push('row ' + i + ' of the page'); \
             return '<p>' + a.length + '</p>'; }",
        );
        let mut engine = V8.engine(&bundle, &Limits::default()).expect("loads");
        let mut seen = Vec::new();
        for _ in 0..40 {
            let html = engine.render("/", "{}").expect("renders").html;
            assert_eq!(html, "<p>20000</p>");
            let (before, _) = new_space(&mut engine.isolate);
            engine.idle().expect("nothing failed between renders");
            let (after, _) = new_space(&mut engine.isolate);
            seen.push((before, after));
        }
        let collected = seen
            .iter()
            .filter(|(before, after)| after * 4 < *before)
            .count();
        assert!(
            collected >= 5,
            "idle emptied the new space {collected} times in 40 renders: {seen:?}"
        );
    }

    /// The bytes V8's new space holds after a script that keeps a rolling window of young
    /// objects alive (so that scavenges see survivors and V8 grows the space if it may), in
    /// an isolate made as the factory `factory` makes them.
    fn new_space_after_churn(factory: V8) -> usize {
        platform();
        let mut isolate = limits::isolate(&Limits::default(), factory.young_generation);
        {
            v8::scope!(let scope, &mut isolate);
            let context = v8::Context::new(scope, v8::ContextOptions::default());
            let scope = &mut v8::ContextScope::new(scope, context);
            let source = v8::String::new(
                scope,
                "let keep = []; for (let i = 0; i < 3e6; i++) { \
                 keep.push({ i, s: 'x' + i }); if (keep.length > 2e5) keep = []; }",
            )
            .expect("source");
            let script = v8::Script::compile(scope, source, None).expect("compiles");
            script.run(scope).expect("runs");
        }
        new_space(&mut isolate).1
    }

    #[test]
    fn the_young_generation_is_capped_where_the_factory_says() {
        assert_eq!(V8, V8::new());
        assert_eq!(V8.young_generation(0), V8.young_generation(3 << 20));
        assert_eq!(V8, V8.young_generation(24 << 20), "the default is 24 MiB");
        // V8 sizes the new space within the cap as it sees fit (under this load: 2–5.5 MiB
        // with a 3 MiB cap, 5–8 MiB with 12 MiB, 25–32 MiB with 48 MiB, in six runs), so
        // the check leaves room on both sides.
        let small = new_space_after_churn(V8.young_generation(3 << 20));
        let medium = new_space_after_churn(V8.young_generation(12 << 20));
        let large = new_space_after_churn(V8.young_generation(48 << 20));
        assert!(small > 0, "a new space was found");
        assert!(
            small * 3 < large && medium * 2 < large && medium <= 12 << 20,
            "new space after the same churn: 3 MiB cap {small}, 12 MiB cap {medium}, 48 MiB cap {large}"
        );
    }

    #[test]
    fn the_first_load_and_the_first_render_store_caches_that_later_contexts_consume() {
        let _serial = code_cache::test_lock();
        let bundle = fresh_bundle("code-cache-stages");
        let key = code_cache::Key::of(&bundle);
        assert!(code_cache::get(key).is_none());
        let mut first = V8.create(&bundle, &Limits::default()).expect("loads");
        assert_eq!(code_cache::get(key).map(|c| c.0), Some(Stage::Loaded));
        let html = render(&mut first);
        assert_eq!(html, "<p>/x 7</p><i>1</i><i>2</i><i>3</i>");
        let (stage, rendered) = code_cache::get(key).expect("stored");
        assert_eq!(stage, Stage::Rendered);
        drop(first);
        // A context built from the cache renders the same, and V8 accepted the cache (a
        // rejected one is forgotten and a new Loaded one stored).
        let mut second = V8
            .create(&bundle, &Limits::default())
            .expect("loads from the cache");
        assert_eq!(render(&mut second), html);
        let (stage, kept) = code_cache::get(key).expect("still stored");
        assert_eq!(stage, Stage::Rendered);
        assert!(
            Arc::ptr_eq(&kept, &rendered),
            "the cache was consumed, not replaced"
        );
    }

    #[test]
    fn a_rejected_cache_is_compiled_around_and_replaced() {
        let _serial = code_cache::test_lock();
        let bundle = fresh_bundle("code-cache-rejected");
        let key = code_cache::Key::of(&bundle);
        code_cache::store(key, Stage::Rendered, b"not a V8 code cache".to_vec());
        let mut engine = V8
            .create(&bundle, &Limits::default())
            .expect("compiles from source");
        assert_eq!(render(&mut engine), "<p>/x 7</p><i>1</i><i>2</i><i>3</i>");
        let (_, data) = code_cache::get(key).expect("a real cache replaced the bad one");
        assert_ne!(&data[..], b"not a V8 code cache");
    }

    #[test]
    fn a_bundle_that_fails_to_load_stores_no_cache() {
        let _serial = code_cache::test_lock();
        let bundle = Bundle::from_source("code-cache-throws.js", "throw new Error('no')");
        let key = code_cache::Key::of(&bundle);
        let err = V8.create(&bundle, &Limits::default()).err().expect("fails");
        assert!(err.to_string().contains("no"), "{err}");
        assert!(code_cache::get(key).is_none());
    }
}
