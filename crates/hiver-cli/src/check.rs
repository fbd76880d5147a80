//! `hiver check`: load the site and render `/` once, without a server.

use std::time::Instant;

use crate::config::Config;
use crate::error::CliError;
use crate::site::{Site, first_line};

/// Loads the site on one render thread, renders `/` and prints the status and timings.
///
/// # Errors
///
/// Bad input as for `serve` (see [`Site::load`]); a runtime error when the render fails.
pub fn run(config: &Config) -> Result<(), CliError> {
    let mut ssr = config.ssr.clone();
    // One render is all a check does: one context is enough.
    ssr.render_threads = Some(1);
    let started = Instant::now();
    let site = Site::load(&ssr)?;
    let loaded = started.elapsed();
    let started = Instant::now();
    let rendered = site
        .ssr
        .pool()
        .render_blocking("/", &site.root_props())
        .map_err(|e| {
            let message = first_line(&e.to_string());
            CliError::runtime(format!(
                "{}: rendering / failed: {message}",
                ssr.bundle.display()
            ))
        })?;
    let took = started.elapsed();
    println!(
        "hiver: / rendered with status {} in {:.1} ms ({} bytes of HTML; site loaded in {:.1} ms)",
        rendered.result.status,
        took.as_secs_f64() * 1e3,
        rendered.result.html.len(),
        loaded.as_secs_f64() * 1e3,
    );
    Ok(())
}
