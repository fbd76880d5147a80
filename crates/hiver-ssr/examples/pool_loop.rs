//! The render loop of `bench/v8-raw`, through a `RenderPool` with one render thread: what the
//! pool costs on top of the engine (issue 14: at least 0.95× the raw loop on the same page
//! and props). The caller's thread submits one render, waits for it, and submits the next,
//! so the hand-off between the two threads, the props' serialisation and the page's way
//! back are all in the loop. `bench/v8-raw/compare.sh` runs it beside the raw loop, pinned to
//! the same core, so both threads share it and renders per second are renders per
//! CPU-second.
//!
//!   BUNDLE=path     the server bundle (default: the storefront's React build)
//!   URL=/  PROPS='{"path":"/","query":{},"cart":{"count":0}}'   (JSON, parsed once)
//!   N=3000 WARMUP=1000 ROUNDS=1   renders per timed round, untimed renders first
//!   ENGINE=v8 | quickjs
//!   YOUNG_MB=24      V8's young generation (`V8::young_generation`, whose default this is), in MiB
//!
//! Prints one line per round: `pool renders/s=… ms/render=… html_bytes=… per_cpu_second=…`
//! (the last: renders ÷ this process's CPU seconds, both threads).
//!
//! `cargo build --release -p hiver-ssr --features v8 --example pool_loop`

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use hiver_ssr::engine::{QuickJs, V8};
use hiver_ssr::pool::RenderPool;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn env_num(name: &str, default: u32) -> Result<u32, String> {
    match std::env::var(name) {
        Ok(v) => v.parse().map_err(|_| format!("{name}={v}: not a number")),
        Err(_) => Ok(default),
    }
}

/// User + system CPU seconds of this process (all threads), from `/proc/self/stat`.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of proc_pid_stat(5) are utime and stime; `fields` starts at field 3.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (ticks(11) + ticks(12)) / CLK_TCK
}

/// Clock ticks per second in `/proc` times: the kernel's `USER_HZ`, 100 on Linux.
const CLK_TCK: f64 = 100.0;

fn run() -> Result<(), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let bundle = std::env::var("BUNDLE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("examples/storefront/web/dist/react/server.js"));
    let url = env_or("URL", "/");
    let props_text = env_or("PROPS", r#"{"path":"/","query":{},"cart":{"count":0}}"#);
    let props: serde_json::Value =
        serde_json::from_str(&props_text).map_err(|e| format!("PROPS: {e}"))?;
    let n = env_num("N", 3000)?;
    let warmup = env_num("WARMUP", 1000)?;
    let rounds = env_num("ROUNDS", 1)?;
    let builder = RenderPool::builder().threads(1);
    let young = env_num("YOUNG_MB", 24)? as usize;
    let builder = match env_or("ENGINE", "v8").as_str() {
        "v8" => builder.engine(V8.young_generation(young << 20)),
        "quickjs" => builder.engine(QuickJs),
        other => return Err(format!("ENGINE={other}: want v8 or quickjs")),
    };
    let pool = builder
        .build_file(&bundle)
        .map_err(|e| format!("{}: {e}", bundle.display()))?;
    let render = || {
        pool.submit(url.clone(), &props)
            .and_then(|pending| pending.wait())
            .map_err(|e| format!("render of {url}: {e}"))
    };
    let mut html_bytes = 0;
    for _ in 0..warmup {
        html_bytes = render()?.result.html.len();
    }
    for _ in 0..rounds {
        let cpu = cpu_seconds();
        let started = Instant::now();
        for _ in 0..n {
            html_bytes = render()?.result.html.len();
        }
        let secs = started.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu;
        println!(
            "pool renders/s={:.1} ms/render={:.4} html_bytes={html_bytes} per_cpu_second={:.1}",
            f64::from(n) / secs,
            secs * 1e3 / f64::from(n),
            f64::from(n) / cpu,
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pool_loop: {e}");
            ExitCode::from(2)
        }
    }
}
