//! The memory and stack budgets of one isolate.
//!
//! Memory: the old generation (what a page keeps alive) is capped at [`Limits::memory`]; the
//! young generation, where a render's short-lived strings and elements live and die, gets a
//! fixed [`YOUNG_GENERATION`] on top. `CreateParams::heap_limits` would carve the young
//! generation out of the cap instead (a tenth of it: 2 MiB semi-spaces for 64 MiB), and a
//! React `renderToString` of the storefront, which allocates tens of MB per render, then
//! ran many more scavenges and full mark-compacts: 0.89x the renders per second of V8's
//! defaults on one core (`bench/v8-raw/compare.sh`, BENCHMARKS.md, "SSR engines"). When V8 nears the cap it calls
//! [`near_heap_limit`], which terminates the running script and grants a little more room so
//! V8 unwinds instead of aborting the process; the render then reports
//! [`RenderError::is_memory`](crate::RenderError::is_memory) and the pool drops the isolate.
//!
//! Stack: V8 keeps its own limit, `--stack-size` (984 KiB) below the top of the thread's
//! stack; past it JavaScript gets `RangeError: Maximum call stack size exceeded`, which the
//! engine reports as a stack overflow. [`Limits::stack`] is not applied to the isolate:
//! V8 152 drops a limit passed in `CreateParams` when it initialises the isolate's thread
//! (`StackGuard::InitThread`, measured: the same recursion depth with 128 KiB and 1 MiB),
//! and the `v8` crate does not expose `Isolate::SetStackLimit`. The render pool gives each
//! thread `Limits::stack` plus 2 MiB of stack, so V8's limit is always inside it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::engine::Limits;

/// The old generation an isolate starts with: small, so idle render threads stay cheap.
const INITIAL_HEAP: usize = 4 << 20;

/// The young generation's default cap: three 8 MiB semi-spaces' worth, half of V8's own
/// default on 64-bit builds without pointer compression. Semi-spaces grow on demand from
/// 1 MiB, so an idle isolate does not pay for it. With the young-generation collections
/// run between renders ([`Engine::idle`](crate::engine::Engine::idle)), 24 MiB rendered the
/// storefront's React page 1.07× and its Preact page 1.10× as fast as 48 MiB (pool loop,
/// one core, BENCHMARKS.md). [`V8::young_generation`](super::V8::young_generation) sets
/// another.
pub(super) const YOUNG_GENERATION: usize = 24 << 20;

/// What the near-heap-limit callback needs: the isolate to stop, and a flag for the engine.
#[derive(Debug)]
pub(super) struct HeapGuard {
    handle: v8::IsolateHandle,
    /// Set by the callback; read by the engine after the script returned.
    hit: Cell<bool>,
}

impl HeapGuard {
    pub(super) fn new(handle: v8::IsolateHandle) -> Rc<Self> {
        let hit = Cell::new(false);
        Rc::new(HeapGuard { handle, hit })
    }

    /// Whether the heap limit was reached since the isolate was created.
    pub(super) fn hit(&self) -> bool {
        self.hit.get()
    }
}

thread_local! {
    /// The guard of the isolate running JavaScript on this thread. The callback carries no
    /// pointer of ours: V8 calls it on the thread that runs the isolate, so it finds the
    /// guard here, and a thread runs one isolate's script at a time.
    static RUNNING: RefCell<Option<Rc<HeapGuard>>> = const { RefCell::new(None) };
}

/// Makes `guard` the running one on this thread until dropped.
pub(super) struct Running(Option<Rc<HeapGuard>>);

impl Running {
    pub(super) fn enter(guard: &Rc<HeapGuard>) -> Self {
        Running(RUNNING.with(|r| r.replace(Some(Rc::clone(guard)))))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let previous = self.0.take();
        RUNNING.with(|r| *r.borrow_mut() = previous);
    }
}

/// V8's near-heap-limit callback: stop the script, grant half as much again so the
/// termination can unwind (the isolate is thrown away afterwards).
extern "C" fn near_heap_limit(
    _data: *mut std::ffi::c_void,
    current_heap_limit: usize,
    _initial_heap_limit: usize,
) -> usize {
    RUNNING.with(|r| {
        if let Some(guard) = r.borrow().as_ref() {
            guard.hit.set(true);
            guard.handle.terminate_execution();
        }
    });
    current_heap_limit + current_heap_limit / 2
}

/// Creates an isolate with the heap limit of `limits` and a young generation of at most
/// `young_generation` bytes.
pub(super) fn isolate(limits: &Limits, young_generation: usize) -> v8::OwnedIsolate {
    let params = v8::CreateParams::default()
        .set_initial_old_generation_size_in_bytes(INITIAL_HEAP.min(limits.memory))
        .set_max_old_generation_size_in_bytes(limits.memory)
        .set_max_young_generation_size_in_bytes(young_generation);
    let mut isolate = v8::Isolate::new(params);
    isolate.add_near_heap_limit_callback(near_heap_limit, std::ptr::null_mut());
    isolate.set_microtasks_policy(v8::MicrotasksPolicy::Explicit);
    isolate
}
