//! Every test that renders through an engine without the HTTP handler: the engine contract,
//! the pool's budgets, queue and reload, real React and Preact pages. Each case runs once per
//! engine backend (`<case>::quickjs`, and `<case>::v8` with `--features v8`); they share one
//! binary because linking V8 into a test binary is slow.

#[path = "../capture/mod.rs"]
mod capture;
#[path = "../every_engine/mod.rs"]
mod every_engine;

mod contract;
mod pool_limits;
mod pool_pages;
mod pool_queue;
mod pool_reload;
mod pool_trace;
mod start_up;
mod storefront_node;
mod stream_engine;
mod stream_node;
mod stream_pool;
