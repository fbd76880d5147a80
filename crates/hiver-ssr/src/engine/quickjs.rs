//! The QuickJS backend (via `rquickjs`): one runtime and one context per render thread.

mod classify;

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use rquickjs::context::EvalOptions;
use rquickjs::promise::PromiseState;
use rquickjs::{
    Array, CatchResultExt, CaughtError, Context, Ctx, FromJs, Function, Object, Persistent,
    Runtime, Value,
};

use super::console;
use super::failure::Failure;
use super::stream::{Collect, still_wanted, wait_for_timers};
use super::{
    Bundle, BundleError, Delivery, Engine, EngineFactory, Limits, PRELUDE, RenderError,
    RenderResult, RenderSink,
};

/// The QuickJS engine factory (QuickJS-ng, compiled from C source by `rquickjs`).
///
/// Each context costs about 1 MB plus what the bundle allocates.
#[derive(Debug, Clone, Copy, Default)]
pub struct QuickJs;

/// The deadline the interrupt handler checks; shared between the engine and the handler that
/// QuickJS calls every few thousand bytecodes.
#[derive(Debug, Default)]
struct Budget {
    deadline: Cell<Option<Instant>>,
    /// Set by the interrupt handler when it stopped the script, so a timeout is told apart
    /// from an ordinary `InternalError`.
    fired: Cell<bool>,
}

impl Budget {
    fn start(&self, time: Duration) -> Instant {
        let deadline = Instant::now() + time;
        self.fired.set(false);
        self.deadline.set(Some(deadline));
        deadline
    }

    fn stop(&self) {
        self.deadline.set(None);
    }

    fn expired(&self) -> bool {
        self.deadline.get().is_some_and(|d| Instant::now() >= d)
    }

    fn fired(&self) -> bool {
        self.fired.get()
    }

    fn interrupt(&self) -> bool {
        let stop = self.expired();
        if stop {
            self.fired.set(true);
        }
        stop
    }
}

/// A QuickJS context with the prelude and bundle loaded.
struct QuickJsEngine {
    // Field order is drop order: the saved prelude API and the context go before the runtime.
    /// The object the prelude returned: `{ render, finish, runTimers, clearTimers }`.
    api: Persistent<Object<'static>>,
    context: Context,
    _runtime: Runtime,
    budget: Rc<Budget>,
    time: Duration,
}

impl EngineFactory for QuickJs {
    fn create(&self, bundle: &Bundle, limits: &Limits) -> Result<Box<dyn Engine>, BundleError> {
        let name = bundle.name();
        let engine_error = |e: rquickjs::Error| BundleError::engine(name, e.to_string());
        let runtime = Runtime::new().map_err(engine_error)?;
        runtime.set_memory_limit(limits.memory);
        runtime.set_max_stack_size(limits.stack);
        let budget = Rc::new(Budget::default());
        let handler_budget = Rc::clone(&budget);
        runtime.set_interrupt_handler(Some(Box::new(move || handler_budget.interrupt())));
        let context = Context::full(&runtime).map_err(engine_error)?;
        budget.start(limits.time);
        let api = context.with(|ctx| load(&ctx, bundle, &budget));
        budget.stop();
        Ok(Box::new(QuickJsEngine {
            api: api?,
            context,
            _runtime: runtime,
            budget,
            time: limits.time,
        }))
    }

    fn name(&self) -> &'static str {
        "quickjs"
    }
}

impl Engine for QuickJsEngine {
    fn render(&mut self, url: &str, props_json: &str) -> Result<RenderResult, RenderError> {
        Collect::join(|sink| self.render_streaming(url, props_json, sink))
    }

    fn render_streaming(
        &mut self,
        url: &str,
        props_json: &str,
        sink: &mut dyn RenderSink,
    ) -> Result<Delivery, RenderError> {
        let deadline = self.budget.start(self.time);
        let budget = &self.budget;
        let result = self.context.with(|ctx| {
            let api = self.api.clone().restore(&ctx).catch(&ctx);
            let api = api.map_err(|e| Failure::classify(&ctx, e, budget))?;
            let run = Run {
                ctx: &ctx,
                api: &api,
                budget,
                deadline,
            };
            let page = run.page(url, props_json, sink);
            tidy(&ctx, &api, budget);
            page
        });
        self.budget.stop();
        result.map_err(Failure::into_render_error)
    }
}

/// Evaluates the prelude and the bundle, then checks for `globalThis.render`.
fn load<'js>(
    ctx: &Ctx<'js>,
    bundle: &Bundle,
    budget: &Budget,
) -> Result<Persistent<Object<'static>>, BundleError> {
    let file = bundle.name();
    let fail = |e| Failure::classify(ctx, e, budget).into_bundle_error(file);
    let api = install_prelude(ctx).catch(ctx).map_err(fail)?;
    eval::<()>(ctx, bundle.source(), file)
        .catch(ctx)
        .map_err(fail)?;
    run_microtasks(ctx, budget);
    if budget.fired() {
        return Err(BundleError::timeout(file));
    }
    let render: Value = ctx.globals().get("render").catch(ctx).map_err(fail)?;
    if !render.is_function() {
        return Err(BundleError::no_render(file));
    }
    Ok(Persistent::save(ctx, api))
}

fn install_prelude<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    let prelude: Function = eval(ctx, PRELUDE, "hiver-prelude.js")?;
    let host = Object::new(ctx.clone())?;
    host.set("log", Function::new(ctx.clone(), host_log)?)?;
    prelude.call((host,))
}

fn eval<'js, V: FromJs<'js>>(ctx: &Ctx<'js>, source: &str, file: &str) -> rquickjs::Result<V> {
    let mut options = EvalOptions::default();
    options.global = true;
    options.strict = false;
    options.filename = Some(file.to_owned());
    ctx.eval_with_options(source, options)
}

fn host_log(level: i32, message: String) {
    console::log(level, &message);
}

/// One render in progress: the context, the prelude's API and the budget it runs under.
struct Run<'a, 'js> {
    ctx: &'a Ctx<'js>,
    api: &'a Object<'js>,
    budget: &'a Budget,
    deadline: Instant,
}

impl<'js> Run<'_, 'js> {
    fn fail(&self, e: CaughtError<'js>) -> Failure {
        Failure::classify(self.ctx, e, self.budget)
    }

    fn function(&self, name: &str) -> Result<Function<'js>, Failure> {
        self.api.get(name).catch(self.ctx).map_err(|e| self.fail(e))
    }

    fn page(
        &self,
        url: &str,
        props_json: &str,
        sink: &mut dyn RenderSink,
    ) -> Result<Delivery, Failure> {
        let ctx = self.ctx;
        let render = self.function("render")?;
        let value: Value = render
            .call((url, props_json))
            .catch(ctx)
            .map_err(|e| self.fail(e))?;
        let value = self.settle(value, &*sink)?;
        let finish = self.function("finish")?;
        let parts: Array = finish.call((value,)).catch(ctx).map_err(|e| self.fail(e))?;
        let part = |i: usize| parts.get::<Value>(i).catch(ctx).map_err(|e| self.fail(e));
        let html: String = parts.get(0).catch(ctx).map_err(|e| self.fail(e))?;
        let head: String = parts.get(1).catch(ctx).map_err(|e| self.fail(e))?;
        let status: u16 = parts.get(2).catch(ctx).map_err(|e| self.fail(e))?;
        if !part(3)?.as_bool().unwrap_or(false) {
            return Ok(Delivery::Whole(RenderResult { html, head, status }));
        }
        sink.start(head, status).map_err(Failure::Sink)?;
        self.stream(sink)?;
        Ok(Delivery::Streamed)
    }

    /// Pulls the opened stream's pieces into `sink` until it ends.
    fn stream(&self, sink: &mut dyn RenderSink) -> Result<(), Failure> {
        let next = self.function("next")?;
        loop {
            let pending: Value = next.call(()).catch(self.ctx).map_err(|e| self.fail(e))?;
            let piece = self.settle(pending, &*sink)?;
            let Some(text) = piece.as_string() else {
                return Ok(()); // `next` settles to null at the end
            };
            let text = text.to_string().catch(self.ctx).map_err(|e| self.fail(e))?;
            sink.chunk(text).map_err(Failure::Sink)?;
        }
    }

    /// Drives microtasks and timers until `value` (if a promise) settles, within the
    /// deadline and while the sink's consumer is still there.
    fn settle(&self, value: Value<'js>, sink: &dyn RenderSink) -> Result<Value<'js>, Failure> {
        let (ctx, budget) = (self.ctx, self.budget);
        let Some(promise) = value.as_promise().cloned() else {
            return Ok(value);
        };
        let run_timers = self.function("runTimers")?;
        loop {
            if promise.state() != PromiseState::Pending {
                // The state is settled, so `result` is `Some`.
                let settled = promise
                    .result::<Value>()
                    .unwrap_or(Err(rquickjs::Error::Unknown));
                return settled.catch(ctx).map_err(|e| self.fail(e));
            }
            if let Err(failure) = still_wanted(self.deadline, sink) {
                budget.fired.set(matches!(failure, Failure::Timeout));
                return Err(failure);
            }
            if ctx.execute_pending_job() {
                continue;
            }
            let timers: f64 = run_timers.call(()).catch(ctx).map_err(|e| self.fail(e))?;
            wait_for_timers(timers, self.deadline)?;
        }
    }
}

/// Leaves the context as the next render expects it: no timers, no queued microtasks.
fn tidy<'js>(ctx: &Ctx<'js>, api: &Object<'js>, budget: &Budget) {
    if let Ok(clear) = api.get::<_, Function>("clearTimers") {
        // A failure here means the context is already failing; the render's own error wins.
        let _ = clear.call::<_, ()>(());
    }
    run_microtasks(ctx, budget);
}

fn run_microtasks(ctx: &Ctx<'_>, budget: &Budget) {
    while !budget.interrupt() && ctx.execute_pending_job() {}
}
