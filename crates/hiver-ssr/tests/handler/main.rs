//! The SSR handler end to end (hiver's TestClient and TestServer): pages, cache, assets,
//! errors, metrics, reload. Each case runs once per engine backend (`<case>::quickjs`, and
//! `<case>::v8` with `--features v8`); they share one binary because linking V8 is slow.
#![cfg(feature = "framework")]

#[path = "../capture/mod.rs"]
mod capture;
#[path = "../every_engine/mod.rs"]
mod every_engine;
mod support;

mod assets;
mod errors;
mod metrics;
mod pages;
mod server;
mod stream;
mod trace;
