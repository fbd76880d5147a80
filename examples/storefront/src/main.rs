//! `storefront`: serves the demo on `HOST` (127.0.0.1 by default; see the library docs for
//! the environment).

use std::io::IsTerminal;
use std::process::ExitCode;

use hiver::Server;
use storefront::Config;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("storefront: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("storefront: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(config: &Config) -> Result<(), Box<dyn std::error::Error>> {
    let app = storefront::build(config)?;
    if !config.host.is_loopback() {
        tracing::warn!(
            host = %config.host,
            "HOST is not a loopback address: the unguarded POST /admin/purge is reachable \
             from the network"
        );
    }
    let mut server = Server::bind((config.host, config.port))
        .metrics(&app.metrics)
        .handle_signals(true);
    if let Some(n) = config.workers {
        server = server.workers(n);
    }
    let handle = server.start(app.router)?;
    tracing::info!(
        framework = %config.framework,
        engine = %config.engine,
        build = %config.build_dir().display(),
        "storefront ready: open http://{}/",
        handle.local_addr()
    );
    if app.watcher.is_some() {
        tracing::info!(
            bundle = %config.server_bundle().display(),
            "development mode: the bundle is reloaded when it changes"
        );
    }
    // `app.watcher` lives until here: watching lasts as long as the server.
    handle.wait()?;
    Ok(())
}
