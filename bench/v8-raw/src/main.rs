//! Raw render loop on the `v8` crate, to find out why V8 from Rust rendered the storefront at
//! about 0.4× node's rate (issue 6). One platform, one isolate, one context: hiver-ssr's
//! prelude, then the bundle, then `render(url, propsJson)` + `finish(value)` N times from
//! Rust. Everything that could explain a gap is a knob, set through the environment:
//!
//!   BUNDLE=path      the server bundle (default: the storefront's React build)
//!   PRELUDE=path     crates/hiver-ssr/src/engine/prelude.js
//!   URL=/  PROPS='{"path":"/","query":{},"cart":{"count":0}}'
//!   N=3000 WARMUP=1000 ROUNDS=1   renders per timed round, untimed renders first
//!   HEAP=default | system | INITIAL_MB,MAX_MB   CreateParams heap limits (system: from
//!                    /proc/meminfo MemTotal, the way node configures its heap)
//!   YOUNG_MB=n       CreateParams::set_max_young_generation_size_in_bytes
//!   V8_FLAGS='--max-semi-space-size=16 ...'   V8::set_flags_from_string before initialize
//!   PLATFORM=default | single   new_default_platform(0) or new_single_threaded_default_platform
//!   ARG=utf8 | onebyte   how the props string crosses into V8
//!   READ=lossy | buf     to_rust_string_lossy per render, or write_utf8_into a reused String
//!   CHECKPOINT=1|0   perform_microtask_checkpoint after each render, as hiver-ssr does
//!   PUMP=0|1         run the platform's pending foreground tasks (V8's minor-GC task among
//!                    them) after each render, as an event loop between requests does
//!   OUT=path         write the last render's HTML there (to compare with node's bytes)
//!   START=compile | codecache | snapshot   how each isolate gets the prelude and bundle:
//!                    compiled from source; compiled with V8's code cache (produced first
//!                    by an untimed isolate after one render); or deserialised from a
//!                    startup snapshot (made first by a SnapshotCreator isolate that loaded
//!                    both and rendered once, compiled code kept)
//!   CACHE_AFTER=render | load   START=codecache: the cache is made after one render (holds
//!                    the functions it compiled lazily) or right after the bundle ran
//!   LOADS=1          isolates started and timed (load, first render); the last one renders
//!                    the timed rounds. An untimed isolate is started first in every mode,
//!                    so no timed start pays the process's first-isolate costs.
//!
//! Prints `v8-raw start=… load_ms=… first_render_ms=…` (medians over LOADS), one line per
//! round: `v8-raw renders/s=… ms/render=…`, then heap statistics.
use std::borrow::Cow;
use std::time::Instant;

use v8::MapFnTo;

/// What the environment asked for.
struct Config {
    bundle: String,
    prelude: String,
    url: String,
    props: String,
    n: u32,
    warmup: u32,
    rounds: u32,
    heap: String,
    young_mb: Option<usize>,
    flags: String,
    single_platform: bool,
    one_byte_arg: bool,
    read_into_buf: bool,
    out: Option<String>,
    checkpoint: bool,
    pump: bool,
    start: Start,
    loads: u32,
    cache_after_render: bool,
}

/// How an isolate gets the prelude and the bundle (START).
#[derive(Clone, Copy, PartialEq)]
enum Start {
    Compile,
    CodeCache,
    Snapshot,
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn env_num<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match std::env::var(name) {
        Ok(v) => v.parse().map_err(|_| format!("{name}={v}: not a number")),
        Err(_) => Ok(default),
    }
}

fn config() -> Result<Config, String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    Ok(Config {
        bundle: env_or(
            "BUNDLE",
            &format!("{root}/examples/storefront/web/dist/react/server.js"),
        ),
        prelude: env_or(
            "PRELUDE",
            &format!("{root}/crates/hiver-ssr/src/engine/prelude.js"),
        ),
        url: env_or("URL", "/"),
        props: env_or("PROPS", r#"{"path":"/","query":{},"cart":{"count":0}}"#),
        n: env_num("N", 3000)?,
        warmup: env_num("WARMUP", 1000)?,
        rounds: env_num("ROUNDS", 1)?,
        heap: env_or("HEAP", "default"),
        young_mb: std::env::var("YOUNG_MB")
            .ok()
            .map(|v| v.parse().map_err(|_| format!("YOUNG_MB={v}: not a number")))
            .transpose()?,
        flags: env_or("V8_FLAGS", ""),
        single_platform: env_or("PLATFORM", "default") == "single",
        pump: env_or("PUMP", "0") == "1",
        one_byte_arg: env_or("ARG", "utf8") == "onebyte",
        read_into_buf: env_or("READ", "lossy") == "buf",
        out: std::env::var("OUT").ok(),
        checkpoint: env_or("CHECKPOINT", "1") == "1",
        start: match env_or("START", "compile").as_str() {
            "compile" => Start::Compile,
            "codecache" => Start::CodeCache,
            "snapshot" => Start::Snapshot,
            other => return Err(format!("START={other}: want compile, codecache or snapshot")),
        },
        loads: env_num("LOADS", 1)?.max(1),
        cache_after_render: match env_or("CACHE_AFTER", "render").as_str() {
            "render" => true,
            "load" => false,
            other => return Err(format!("CACHE_AFTER={other}: want load or render")),
        },
    })
}

fn physical_memory() -> Result<u64, String> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").map_err(|e| e.to_string())?;
    let kb = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .ok_or("no MemTotal in /proc/meminfo")?;
    Ok(kb * 1024)
}

fn create_params(cfg: &Config) -> Result<v8::CreateParams, String> {
    const MB: usize = 1 << 20;
    let mut params = match cfg.heap.as_str() {
        "default" => v8::CreateParams::default(),
        "system" => v8::CreateParams::default().heap_limits_from_system_memory(physical_memory()?, 0),
        limits => {
            let (initial, max) = limits
                .split_once(',')
                .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)))
                .ok_or(format!("HEAP={limits}: want default, system or INITIAL_MB,MAX_MB"))?;
            v8::CreateParams::default().heap_limits(initial * MB, max * MB)
        }
    };
    if let Some(young) = cfg.young_mb {
        params = params.set_max_young_generation_size_in_bytes(young * MB);
    }
    Ok(params)
}

fn host_log(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _: v8::ReturnValue<'_, v8::Value>,
) {
    let level = args.get(0).int32_value(scope).unwrap_or(0);
    let message = args.get(1).to_rust_string_lossy(scope);
    if level >= 3 {
        eprintln!("bundle: {message}");
    }
}

fn exception_text(tc: &mut Tc<'_, '_, '_, '_>) -> String {
    match tc.exception() {
        Some(e) => e.to_rust_string_lossy(tc),
        None => "terminated".to_owned(),
    }
}

fn main() {
    if let Err(e) = run() {
        eprintln!("v8-raw: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let cfg = config()?;
    let prelude = std::fs::read_to_string(&cfg.prelude).map_err(|e| format!("{}: {e}", cfg.prelude))?;
    let bundle = std::fs::read_to_string(&cfg.bundle).map_err(|e| format!("{}: {e}", cfg.bundle))?;
    if !cfg.flags.is_empty() {
        v8::V8::set_flags_from_string(&cfg.flags);
    }
    let platform = if cfg.single_platform {
        v8::new_single_threaded_default_platform(false)
    } else {
        v8::new_default_platform(0, false)
    };
    let platform = platform.make_shared();
    v8::V8::initialize_platform(platform.clone());
    v8::V8::initialize();
    {
        const MB: usize = 1 << 20;
        let params = create_params(&cfg)?;
        eprintln!(
            "v8-raw: v8 {} heap={} max_old={} MiB max_young={} MiB flags='{}'",
            v8::V8::get_version(),
            cfg.heap,
            params.max_old_generation_size_in_bytes() / MB,
            params.max_young_generation_size_in_bytes() / MB,
            cfg.flags
        );
    }
    let artifact = match cfg.start {
        Start::Compile => Vec::new(),
        Start::CodeCache => produce_code_cache(&cfg, &prelude, &bundle)?,
        Start::Snapshot => make_snapshot(&prelude, &bundle)?,
    };
    if cfg.start != Start::Compile {
        eprintln!("v8-raw: {} bytes of {}", artifact.len(), start_name(cfg.start));
    }
    let mut html = String::new();
    // The untimed start: the process's first isolate pays one-off costs in every mode.
    drop(start(&cfg, &prelude, &bundle, &artifact)?);
    let (mut load_ms, mut first_ms) = (Vec::new(), Vec::new());
    let mut started = None;
    for _ in 0..cfg.loads {
        // Isolates are entered on creation and must be dropped in reverse order: the
        // previous one goes first, outside the timed span.
        drop(started.take());
        let t = Instant::now();
        let (isolate, loaded) = start(&cfg, &prelude, &bundle, &artifact)?;
        load_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let mut isolate = isolate;
        let t = Instant::now();
        render_once(&mut isolate, &cfg, &loaded, &mut html)?;
        first_ms.push(t.elapsed().as_secs_f64() * 1e3);
        started = Some((isolate, loaded));
    }
    println!(
        "v8-raw start={} loads={} load_ms={:.2} first_render_ms={:.2} (medians)",
        start_name(cfg.start),
        cfg.loads,
        median(&mut load_ms),
        median(&mut first_ms)
    );
    let (mut isolate, loaded) = started.expect("LOADS is at least 1");
    let isolate = &mut isolate;
    let pump = |isolate: &mut v8::OwnedIsolate| {
        if cfg.pump {
            while v8::Platform::pump_message_loop(&platform, isolate, false) {}
        }
    };
    for _ in 0..cfg.warmup {
        render_once(isolate, &cfg, &loaded, &mut html)?;
        pump(isolate);
    }
    for _ in 0..cfg.rounds {
        let t = Instant::now();
        for _ in 0..cfg.n {
            render_once(isolate, &cfg, &loaded, &mut html)?;
            pump(isolate);
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "v8-raw renders/s={:.1} ms/render={:.4} html_bytes={}",
            f64::from(cfg.n) / secs,
            secs * 1e3 / f64::from(cfg.n),
            html.len()
        );
    }
    let stats = isolate.get_heap_statistics();
    eprintln!(
        "v8-raw: heap used={} KiB total={} KiB",
        stats.used_heap_size() / 1024,
        stats.total_heap_size() / 1024
    );
    if let Some(out) = &cfg.out {
        std::fs::write(out, &html).map_err(|e| format!("{out}: {e}"))?;
    }
    Ok(())
}

/// A pinned try-catch over the context's handle scope; `'obj` is what values live for.
type Tc<'p, 't, 'obj, 'iso> = v8::PinnedRef<'p, v8::TryCatch<'t, 'obj, v8::HandleScope<'iso>>>;

type Api<'s> = (v8::Local<'s, v8::Function>, v8::Local<'s, v8::Function>);

/// Evaluates the prelude (one function expression), calls it with `{ log }`, runs the bundle;
/// returns the prelude's `render` and `finish`.
fn load<'s>(
    tc: &mut Tc<'_, '_, 's, '_>,
    prelude: &str,
    bundle: &str,
    bundle_cache: Option<&[u8]>,
) -> Result<(Api<'s>, v8::Local<'s, v8::Script>), String> {
    let factory = run_script(tc, prelude)?;
    let factory = v8::Local::<v8::Function>::try_from(factory).map_err(|_| "prelude is not a function")?;
    let host = v8::Object::new(tc);
    let log = v8::Function::new(tc, host_log).ok_or("log function")?;
    let key = v8::String::new(tc, "log").ok_or("key")?;
    host.set(tc, key.into(), log.into());
    let undefined = v8::undefined(tc).into();
    let api = factory
        .call(tc, undefined, &[host.into()])
        .ok_or_else(|| format!("prelude threw: {}", exception_text(tc)))?;
    let api = v8::Local::<v8::Object>::try_from(api).map_err(|_| "prelude returned no object")?;
    let script = compile_bundle(tc, bundle, bundle_cache)?;
    script.run(tc).ok_or_else(|| format!("run: {}", exception_text(tc)))?;
    let get = |tc: &mut Tc<'_, '_, 's, '_>, name: &str| {
        let key = v8::String::new(tc, name).ok_or("key")?;
        let f = api.get(tc, key.into()).ok_or("api get")?;
        v8::Local::<v8::Function>::try_from(f).map_err(|_| format!("api.{name} is not a function"))
    };
    Ok(((get(tc, "render")?, get(tc, "finish")?), script))
}

/// Compiles the bundle, consuming `cache` when given (a rejected cache is an error: the
/// measurement would be of a plain compile).
fn compile_bundle<'s>(
    tc: &mut Tc<'_, '_, 's, '_>,
    bundle: &str,
    cache: Option<&[u8]>,
) -> Result<v8::Local<'s, v8::Script>, String> {
    let code = v8::String::new(tc, bundle).ok_or("source too long")?;
    let name = v8::String::new(tc, "server.js").ok_or("name")?;
    let origin = v8::ScriptOrigin::new(
        tc, name.into(), 0, 0, false, 0, None, false, false, false, None,
    );
    let (mut source, options) = match cache {
        Some(bytes) => (
            v8::script_compiler::Source::new_with_cached_data(
                code,
                Some(&origin),
                v8::CachedData::new(bytes),
            ),
            v8::script_compiler::CompileOptions::ConsumeCodeCache,
        ),
        None => (
            v8::script_compiler::Source::new(code, Some(&origin)),
            v8::script_compiler::CompileOptions::NoCompileOptions,
        ),
    };
    let script = v8::script_compiler::compile(
        tc,
        &mut source,
        options,
        v8::script_compiler::NoCacheReason::NoReason,
    )
    .ok_or_else(|| format!("compile: {}", exception_text(tc)))?;
    if cache.is_some() && source.get_cached_data().is_none_or(|c| c.rejected()) {
        return Err("the code cache was rejected".to_owned());
    }
    Ok(script)
}

fn start_name(start: Start) -> &'static str {
    match start {
        Start::Compile => "compile",
        Start::CodeCache => "codecache",
        Start::Snapshot => "snapshot",
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The native functions a snapshot refers to, in the order V8 is given them.
fn external_references() -> Cow<'static, [v8::ExternalReference]> {
    Cow::Owned(vec![v8::ExternalReference {
        function: host_log.map_fn_to(),
    }])
}

/// The global a snapshot keeps `[render, finish]` under.
const SNAPSHOT_API: &str = "__v8raw_api";

/// A started isolate: the prelude and bundle loaded by the configured route.
fn start(
    cfg: &Config,
    prelude: &str,
    bundle: &str,
    artifact: &[u8],
) -> Result<(v8::OwnedIsolate, Loaded), String> {
    let mut params = create_params(cfg)?;
    if cfg.start == Start::Snapshot {
        params = params
            .snapshot_blob(v8::StartupData::from(artifact.to_vec()))
            .external_references(external_references());
    }
    let mut isolate = v8::Isolate::new(params);
    isolate.set_microtasks_policy(v8::MicrotasksPolicy::Explicit);
    let loaded = {
        v8::scope!(let scope, &mut isolate);
        let context = v8::Context::new(scope, Default::default());
        let scope = &mut v8::ContextScope::new(scope, context);
        v8::tc_scope!(let tc, scope);
        let (render, finish) = match cfg.start {
            Start::Compile => load(tc, prelude, bundle, None)?.0,
            Start::CodeCache => load(tc, prelude, bundle, Some(artifact))?.0,
            Start::Snapshot => {
                let global = context.global(tc);
                let key = v8::String::new(tc, SNAPSHOT_API).ok_or("key")?;
                let api = global.get(tc, key.into()).ok_or("snapshot: no api")?;
                let api = v8::Local::<v8::Array>::try_from(api).map_err(|_| "snapshot: api")?;
                let render = api.get_index(tc, 0).ok_or("snapshot: api entry")?;
                let finish = api.get_index(tc, 1).ok_or("snapshot: api entry")?;
                let not_a_function = |_| "snapshot: not a function";
                (
                    v8::Local::<v8::Function>::try_from(render).map_err(not_a_function)?,
                    v8::Local::<v8::Function>::try_from(finish).map_err(not_a_function)?,
                )
            }
        };
        Loaded {
            context: v8::Global::new(tc, context),
            render: v8::Global::new(tc, render),
            finish: v8::Global::new(tc, finish),
        }
    };
    Ok((isolate, loaded))
}

/// Calls `render(url, props)` and `finish` once inside the current scope (warming the code
/// that a cache or snapshot made after it will hold).
fn render_in<'s>(tc: &mut Tc<'_, '_, 's, '_>, cfg: &Config, api: Api<'s>) -> Result<(), String> {
    let url = v8::String::new(tc, &cfg.url).ok_or("url string")?;
    let props = v8::String::new(tc, &cfg.props).ok_or("props string")?;
    let recv = v8::undefined(tc).into();
    let value = api
        .0
        .call(tc, recv, &[url.into(), props.into()])
        .ok_or_else(|| format!("render threw: {}", exception_text(tc)))?;
    api.1
        .call(tc, recv, &[value])
        .ok_or_else(|| format!("finish threw: {}", exception_text(tc)))?;
    tc.perform_microtask_checkpoint();
    Ok(())
}

/// V8's code cache for the bundle, made after the bundle ran and (CACHE_AFTER=render) rendered
/// once, so the functions a render compiles lazily are in it.
fn produce_code_cache(cfg: &Config, prelude: &str, bundle: &str) -> Result<Vec<u8>, String> {
    let isolate = &mut v8::Isolate::new(create_params(cfg)?);
    isolate.set_microtasks_policy(v8::MicrotasksPolicy::Explicit);
    v8::scope!(let scope, isolate);
    let context = v8::Context::new(scope, Default::default());
    let scope = &mut v8::ContextScope::new(scope, context);
    v8::tc_scope!(let tc, scope);
    let (api, script) = load(tc, prelude, bundle, None)?;
    if cfg.cache_after_render {
        render_in(tc, cfg, api)?;
    }
    let cache = script
        .get_unbound_script(tc)
        .create_code_cache()
        .ok_or("V8 made no code cache")?;
    Ok(cache.to_vec())
}

/// A startup snapshot holding a context with the prelude and bundle loaded, one render done
/// and `[render, finish]` kept under SNAPSHOT_API; compiled code is kept.
fn make_snapshot(prelude: &str, bundle: &str) -> Result<Vec<u8>, String> {
    let cfg = config()?;
    let mut creator = v8::Isolate::snapshot_creator(Some(external_references()), None);
    creator.set_microtasks_policy(v8::MicrotasksPolicy::Explicit);
    {
        v8::scope!(let scope, &mut creator);
        let context = v8::Context::new(scope, Default::default());
        let scope = &mut v8::ContextScope::new(scope, context);
        {
            v8::tc_scope!(let tc, scope);
            let (api, _) = load(tc, prelude, bundle, None)?;
            render_in(tc, &cfg, api)?;
            let pair = v8::Array::new_with_elements(tc, &[api.0.into(), api.1.into()]);
            let key = v8::String::new(tc, SNAPSHOT_API).ok_or("key")?;
            context.global(tc).set(tc, key.into(), pair.into());
        }
        scope.set_default_context(context);
    }
    let blob = creator
        .create_blob(v8::FunctionCodeHandling::Keep)
        .ok_or("V8 made no snapshot")?;
    Ok(blob.to_vec())
}

fn run_script<'s>(
    tc: &mut Tc<'_, '_, 's, '_>,
    source: &str,
) -> Result<v8::Local<'s, v8::Value>, String> {
    let code = v8::String::new(tc, source).ok_or("source too long")?;
    let script = v8::Script::compile(tc, code, None)
        .ok_or_else(|| format!("compile: {}", exception_text(tc)))?;
    script.run(tc).ok_or_else(|| format!("run: {}", exception_text(tc)))
}

/// The context and the prelude's entry points, kept across renders.
struct Loaded {
    context: v8::Global<v8::Context>,
    render: v8::Global<v8::Function>,
    finish: v8::Global<v8::Function>,
}

/// One render the way hiver-ssr's V8 engine drives it: a handle scope, context scope and
/// try-catch per render; props cross as a JSON string, `finish` turns the result into
/// `[html, head, status]`, and the HTML comes back as a Rust string.
fn render_once(
    isolate: &mut v8::OwnedIsolate,
    cfg: &Config,
    loaded: &Loaded,
    html: &mut String,
) -> Result<(), String> {
    v8::scope!(let scope, isolate);
    let context = v8::Local::new(scope, &loaded.context);
    let scope = &mut v8::ContextScope::new(scope, context);
    v8::tc_scope!(let tc, scope);
    let render = v8::Local::new(tc, &loaded.render);
    let finish = v8::Local::new(tc, &loaded.finish);
    let url = v8::String::new(tc, &cfg.url).ok_or("url string")?;
    let props = if cfg.one_byte_arg {
        v8::String::new_from_one_byte(tc, cfg.props.as_bytes(), v8::NewStringType::Normal)
    } else {
        v8::String::new_from_utf8(tc, cfg.props.as_bytes(), v8::NewStringType::Normal)
    }
    .ok_or("props string")?;
    let recv = v8::undefined(tc).into();
    let value = render
        .call(tc, recv, &[url.into(), props.into()])
        .ok_or_else(|| format!("render threw: {}", exception_text(tc)))?;
    let parts = finish
        .call(tc, recv, &[value])
        .ok_or_else(|| format!("finish threw: {}", exception_text(tc)))?;
    let parts = v8::Local::<v8::Array>::try_from(parts).map_err(|_| "finish: no array")?;
    let first = parts.get_index(tc, 0).ok_or("no html")?;
    let first = v8::Local::<v8::String>::try_from(first).map_err(|_| "html is not a string")?;
    if cfg.read_into_buf {
        first.write_utf8_into(tc, html);
    } else {
        *html = first.to_rust_string_lossy(tc);
    }
    if cfg.checkpoint {
        tc.perform_microtask_checkpoint();
    }
    Ok(())
}
