//! The embed's wasm entry points: which widgets are in (cargo features) and the two functions the
//! loader calls. Logic lives in `ck-runtime`; this crate only wires.
//!
//! Loader contract (see `js/loader.js`): after `init(wasmResponse)` of the wasm-bindgen glue it
//! calls `boot(api, token, t0, prefetched)` once, then `cmd(method, a, b)` for every queued and later `ck(…)` call,
//! in call order.

use ck_runtime::{BootOptions, Registry};
use wasm_bindgen::prelude::*;

#[cfg(all(target_arch = "wasm32", feature = "alloc-talc"))]
#[global_allocator]
static ALLOC: talc::TalckWasm = unsafe { talc::TalckWasm::new_global() };

// The default: the smallest of the three measured (docs/runtime.md, "Allocator").
#[cfg(all(
    target_arch = "wasm32",
    not(feature = "alloc-talc"),
    not(feature = "alloc-dlmalloc")
))]
#[global_allocator]
// SAFETY: wasm32-unknown-unknown without atomics is single-threaded.
static ALLOC: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

/// The widgets compiled into this build.
pub fn registry() -> Registry {
    let registry = Registry::new();
    #[cfg(feature = "form")]
    let registry = registry.with::<ck_form::Form>();
    #[cfg(feature = "announcement")]
    let registry = registry.with::<ck_announcement::Announcement>();
    #[cfg(feature = "rating")]
    let registry = registry.with::<ck_rating::Rating>();
    registry
}

/// Starts the runtime. `api`: API origin; `token`: the script's default embed token (may be
/// empty); `t0`: `performance.now()` when the loader started; `prefetched`: the config manifest
/// requests the loader started in its first wave (URL → `fetch` promise).
#[wasm_bindgen]
pub fn boot(api: String, token: String, t0: f64, prefetched: JsValue) {
    ck_runtime::boot(
        registry(),
        BootOptions {
            api,
            token: Some(token).filter(|t| !t.is_empty()),
            t0,
            prefetched,
        },
    );
}

/// One `ck(method, a, b)` call from the page.
#[wasm_bindgen]
pub fn cmd(method: JsValue, a: JsValue, b: JsValue) {
    ck_runtime::command(&method, &a, &b);
}
