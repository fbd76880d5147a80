//! `hiver`: serve a server-side rendered site from its JS bundle, with no Rust code.
//!
//! `hiver serve --bundle dist/server.js [--manifest dist/.vite/manifest.json]` renders every
//! path through the bundle's `globalThis.render(url, props)`, caches the pages, serves the
//! client build named by the manifest and Prometheus metrics, and drains on Ctrl-C.
//! `hiver check` loads the same site and renders `/` once. `hiver --help` and `hiver serve
//! --help` list every flag, key and variable; the [`config`] module documents them too.
//!
//! # Feature flags
//!
//! | feature | default | what it enables |
//! |---|---|---|
//! | `v8` | no | `--engine v8` (hiver-ssr's V8 backend; needs the prebuilt V8 library) |

mod check;
mod cli;
mod config;
mod error;
mod serve;
mod site;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use config::Config;
use error::CliError;

fn main() -> ExitCode {
    // Usage errors exit with status 2 here; --help and --version with 0.
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    match run(&cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hiver: {e}");
            e.exit_code()
        }
    }
}

fn run(command: &Command) -> Result<(), CliError> {
    match command {
        Command::Serve(args) => {
            let config = Config::load(
                args.site.config.as_deref(),
                std::env::vars_os(),
                args.settings(),
            )?;
            serve::run(&config)
        }
        Command::Check(args) => {
            let config =
                Config::load(args.config.as_deref(), std::env::vars_os(), args.settings())?;
            check::run(&config)
        }
    }
}
