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
//!   OUT=path         write the last render's HTML there (to compare with node's bytes)
//!
//! Prints one line per round: `v8-raw renders/s=… ms/render=…`, then heap statistics.
use std::time::Instant;

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
        one_byte_arg: env_or("ARG", "utf8") == "onebyte",
        read_into_buf: env_or("READ", "lossy") == "buf",
        out: std::env::var("OUT").ok(),
        checkpoint: env_or("CHECKPOINT", "1") == "1",
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
    eprintln!(
        "v8-raw: v8 {} heap={} max_old={} MiB max_young={} MiB flags='{}'",
        v8::V8::get_version(),
        cfg.heap,
        params.max_old_generation_size_in_bytes() / MB,
        params.max_young_generation_size_in_bytes() / MB,
        cfg.flags
    );
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
    v8::V8::initialize_platform(platform.make_shared());
    v8::V8::initialize();
    let started = Instant::now();
    let isolate = &mut v8::Isolate::new(create_params(&cfg)?);
    isolate.set_microtasks_policy(v8::MicrotasksPolicy::Explicit);
    let loaded = {
        v8::scope!(let scope, isolate);
        let context = v8::Context::new(scope, Default::default());
        let scope = &mut v8::ContextScope::new(scope, context);
        v8::tc_scope!(let tc, scope);
        let (render, finish) = load(tc, &prelude, &bundle)?;
        Loaded {
            context: v8::Global::new(tc, context),
            render: v8::Global::new(tc, render),
            finish: v8::Global::new(tc, finish),
        }
    };
    eprintln!("v8-raw: prelude + bundle loaded in {:.1} ms", started.elapsed().as_secs_f64() * 1e3);
    let mut html = String::new();
    for _ in 0..cfg.warmup {
        render_once(isolate, &cfg, &loaded, &mut html)?;
    }
    for _ in 0..cfg.rounds {
        let t = Instant::now();
        for _ in 0..cfg.n {
            render_once(isolate, &cfg, &loaded, &mut html)?;
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
) -> Result<Api<'s>, String> {
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
    run_script(tc, bundle)?;
    let get = |tc: &mut Tc<'_, '_, 's, '_>, name: &str| {
        let key = v8::String::new(tc, name).ok_or("key")?;
        let f = api.get(tc, key.into()).ok_or("api get")?;
        v8::Local::<v8::Function>::try_from(f).map_err(|_| format!("api.{name} is not a function"))
    };
    Ok((get(tc, "render")?, get(tc, "finish")?))
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
