//! The command line: `hiver serve` and `hiver check`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use hiver::Driver;

use crate::config::{self, Engine, Raw, Settings};

const ABOUT: &str = "Serve a server-side rendered site from its JS bundle, with no Rust code";

const LONG_ABOUT: &str = "\
Serve a server-side rendered site from its JS bundle, with no Rust code.

The bundle is a classic script (an esbuild IIFE, for example) that sets
globalThis.render = (url, props) => ({ html, head, status }). Every path is rendered
through it, cached, and wrapped in an HTML document that loads the client build named by
a Vite manifest; the manifest's files are served too.

Settings come from hiver.toml (or --config FILE), then HIVER_* environment variables,
then flags; later ones win. Exit status: 0 after a clean shutdown, 2 for bad
input (flags, configuration, a missing or broken bundle, manifest or props file), 1 when
the server fails while starting or running (the port is taken, a worker cannot start).

Examples:
  hiver serve --bundle dist/server/server.js --manifest dist/client/.vite/manifest.json
  hiver check --bundle dist/server/server.js
  hiver serve --help";

const SERVE_ABOUT: &str = "Serve the site until Ctrl-C (which drains in-flight requests)";

const SERVE_LONG_ABOUT: &str = "\
Serve the site until Ctrl-C or SIGTERM, which stop accepting and drain in-flight requests.

Every GET (and HEAD) path renders through the bundle's render(url, props) (unless
--static DIR has a file at that path, which is served as it is): url is the
path, props the contents of --props when given, else { path, query, params }. Pages are
cached (ssr.cache_ttl, ssr.cache_size); requests with Authorization or a `session` cookie
bypass the cache. The manifest's files are served at their paths, and Prometheus metrics
at /metrics (metrics.enabled, metrics.path). A render that fails or runs past
ssr.render_timeout gets the client-side shell with status 500.

Once listening, prints `hiver: serving on http://ADDRESS:PORT` on standard output.

Configuration (hiver.toml, relative paths relative to the file):

  [server]
  host = \"0.0.0.0\"                 # HIVER_HOST
  port = 8080                      # HIVER_PORT (0: any free port)
  workers = 4                      # HIVER_WORKERS
  driver = \"epoll\"                 # HIVER_DRIVER: uring or epoll
  max_connections = 25000          # HIVER_MAX_CONNECTIONS, per worker
  header_read_timeout = \"10s\"      # HIVER_HEADER_READ_TIMEOUT
  keep_alive_timeout = \"60s\"       # HIVER_KEEP_ALIVE_TIMEOUT
  request_timeout = \"60s\"          # HIVER_REQUEST_TIMEOUT
  drain_timeout = \"30s\"            # HIVER_DRAIN_TIMEOUT

  [ssr]
  bundle = \"dist/server/server.js\" # HIVER_BUNDLE
  manifest = \"dist/client/.vite/manifest.json\"  # HIVER_MANIFEST
  entry = \"src/main.tsx\"           # HIVER_ENTRY
  props = \"props.json\"             # HIVER_PROPS
  static = \"public\"                # HIVER_STATIC: files served as they are
  engine = \"quickjs\"               # HIVER_ENGINE: quickjs or v8
  render_threads = 4               # HIVER_RENDER_THREADS
  render_timeout = \"2s\"            # HIVER_RENDER_TIMEOUT
  cache_size = \"256MiB\"            # HIVER_CACHE_SIZE
  cache_ttl = \"60s\"                # HIVER_CACHE_TTL
  v8_young_generation = \"12MiB\"    # HIVER_V8_YOUNG_GENERATION: engine v8 only

  [metrics]
  enabled = true                   # HIVER_METRICS_ENABLED: on or off
  path = \"/metrics\"                # HIVER_METRICS_PATH

Examples:
  hiver serve --bundle dist/server.js
  hiver serve --bundle dist/server/server.js \\
      --manifest dist/client/.vite/manifest.json --port 8080 --workers 4
  HIVER_DRIVER=epoll hiver serve --config site/hiver.toml --props site/props.json
  hiver serve --bundle dist/server.js --engine v8   # needs a build with --features v8";

const CHECK_ABOUT: &str =
    "Load the bundle (and manifest), render / once, print its status and timing";

const CHECK_LONG_ABOUT: &str = "\
Load the bundle (and the manifest and its files), render / once with the props `serve`
would use, and print the status and how long loading and rendering took. Nothing listens.

Reads the same configuration as `serve` (hiver.toml, HIVER_* variables, flags). Exit
status: 0 when / rendered, 2 for bad input (as for serve), 1 when the render failed.

Examples:
  hiver check --bundle dist/server.js
  hiver check --bundle dist/server/server.js --manifest dist/client/.vite/manifest.json
  hiver check --config site/hiver.toml --engine v8";

/// `hiver`: the parsed command line.
#[derive(Debug, Parser)]
#[command(name = "hiver", version, about = ABOUT, long_about = LONG_ABOUT)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the site.
    #[command(about = SERVE_ABOUT, long_about = SERVE_LONG_ABOUT)]
    Serve(ServeArgs),
    /// Render `/` once.
    #[command(about = CHECK_ABOUT, long_about = CHECK_LONG_ABOUT)]
    Check(SiteArgs),
}

/// The flags naming the site, shared by `serve` and `check`.
#[derive(Debug, Args)]
pub struct SiteArgs {
    /// The server bundle, a script defining globalThis.render(url, props) [ssr.bundle]
    #[arg(long, value_name = "FILE", value_parser = path)]
    pub bundle: Option<PathBuf>,
    /// The client build's Vite manifest (dist/.vite/manifest.json) [ssr.manifest]
    #[arg(long, value_name = "FILE", value_parser = path)]
    pub manifest: Option<PathBuf>,
    /// The manifest entry every page loads; default: its only entry chunk [ssr.entry]
    #[arg(long, value_name = "NAME", value_parser = text)]
    pub entry: Option<String>,
    /// A JSON file holding the props of every page [ssr.props]
    #[arg(long, value_name = "FILE.json", value_parser = path)]
    pub props: Option<PathBuf>,
    /// A directory served as it is (robots.txt, images); a file wins over the page of the
    /// same path [ssr.static]
    #[arg(long = "static", value_name = "DIR", value_parser = path)]
    pub static_dir: Option<PathBuf>,
    /// The JS engine: quickjs or v8 (v8 needs a build with --features v8) [ssr.engine]
    #[arg(long, value_name = "ENGINE", value_parser = engine)]
    pub engine: Option<Engine>,
    /// The configuration file (default: ./hiver.toml when it exists)
    #[arg(long, value_name = "FILE", value_parser = path)]
    pub config: Option<PathBuf>,
}

/// `hiver serve`'s flags.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The site.
    #[command(flatten)]
    pub site: SiteArgs,
    /// The address to listen on (default 127.0.0.1) [server.host]
    #[arg(long, value_name = "HOST", value_parser = text)]
    pub host: Option<String>,
    /// The port to listen on; 0 picks a free one (default 3000) [server.port]
    #[arg(long, value_name = "N", value_parser = port)]
    pub port: Option<u16>,
    /// Worker threads (default: the available cores) [server.workers]
    #[arg(long, value_name = "N", value_parser = count)]
    pub workers: Option<usize>,
    /// The I/O driver: uring or epoll (default: io_uring where allowed) [server.driver]
    #[arg(long, value_name = "DRIVER", value_parser = driver)]
    pub driver: Option<Driver>,
}

impl SiteArgs {
    /// The settings these flags give.
    pub(crate) fn settings(&self) -> Settings {
        Settings {
            bundle: self.bundle.clone(),
            manifest: self.manifest.clone(),
            entry: self.entry.clone(),
            props: self.props.clone(),
            static_dir: self.static_dir.clone(),
            engine: self.engine,
            ..Settings::default()
        }
    }
}

impl ServeArgs {
    /// The settings these flags give.
    pub(crate) fn settings(&self) -> Settings {
        Settings {
            host: self.host.clone(),
            port: self.port,
            workers: self.workers,
            driver: self.driver,
            ..self.site.settings()
        }
    }
}

// Flags are checked by the same rules as the file and the variables.

fn path(text: &str) -> Result<PathBuf, String> {
    config::path(&Raw::Text(text))
}

fn text(text: &str) -> Result<String, String> {
    config::text(&Raw::Text(text))
}

fn engine(text: &str) -> Result<Engine, String> {
    config::engine(&Raw::Text(text))
}

fn port(text: &str) -> Result<u16, String> {
    config::port(&Raw::Text(text))
}

fn count(text: &str) -> Result<usize, String> {
    config::count(&Raw::Text(text))
}

fn driver(text: &str) -> Result<Driver, String> {
    config::driver(&Raw::Text(text))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn flags_become_settings() {
        let cli = Cli::try_parse_from([
            "hiver",
            "serve",
            "--bundle",
            "s.js",
            "--port",
            "0",
            "--workers",
            "2",
            "--driver",
            "epoll",
            "--engine",
            "quickjs",
        ])
        .expect("valid flags");
        let Command::Serve(args) = cli.command else {
            panic!("not serve");
        };
        let settings = args.settings();
        assert_eq!(settings.bundle, Some(PathBuf::from("s.js")));
        assert_eq!((settings.port, settings.workers), (Some(0), Some(2)));
        assert_eq!(settings.driver, Some(Driver::Epoll));
        assert_eq!(settings.engine, Some(Engine::QuickJs));
    }

    #[test]
    fn bad_flags_are_refused_with_the_rule() {
        let error = Cli::try_parse_from(["hiver", "serve", "--port", "http"]).unwrap_err();
        assert!(
            error
                .to_string()
                .contains(r#"expected an integer 0..=65535, got "http""#),
            "{error}"
        );
        assert_eq!(error.exit_code(), 2);
        assert!(Cli::try_parse_from(["hiver", "serve", "--no-such-flag", "x"]).is_err());
        let cli = Cli::try_parse_from(["hiver", "serve", "--static", "public"]).unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        assert_eq!(args.settings().static_dir, Some(PathBuf::from("public")));
    }
}
