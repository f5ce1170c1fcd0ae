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

/// The widgets of this build, one line each: cargo feature (= `data-ck-widget` type = chunk
/// name) and widget. Without the `lazy` feature each is registered directly (one wasm, as in
/// host tests). With it (what `cargo xtask dist` builds) the widget is reachable solely through
/// its exported chunk entry `ck_chunk_{feature}`: dist moves everything only that entry reaches
/// into `{feature}.wasm`, which the loader fetches when a mount point of the type is on the page
/// and instantiates before calling the entry (docs/runtime.md "Lazy chunks").
macro_rules! widgets {
    ($($feature:literal => $widget:ty),* $(,)?) => {
        /// Adds the widgets of this build (none with `lazy`: each chunk registers its own).
        fn widgets(registry: Registry) -> Registry {
            $(
                #[cfg(all(feature = $feature, not(feature = "lazy")))]
                let registry = registry.with::<$widget>();
            )*
            registry
        }
        $(
            #[cfg(all(feature = $feature, feature = "lazy"))]
            const _: () = {
                /// The chunk's entry: the glue calls it once the chunk is instantiated.
                #[export_name = concat!("ck_chunk_", $feature)]
                extern "C" fn entry() {
                    ck_runtime::register(Registry::new().with::<$widget>());
                }
            };
        )*
    };
}

widgets! {
    "form" => ck_form::Form,
    "announcement" => ck_announcement::Announcement,
    "rating" => ck_rating::Rating,
}

/// The widgets and the popup / slide-in presenter compiled into this build. With `lazy` the
/// presenter is its own chunk too (`modes.wasm`), asked for when the first `data-ck-mode` mount
/// point appears, so pages without one never download it.
pub fn registry() -> Registry {
    let registry = widgets(Registry::new());
    #[cfg(all(feature = "modes", not(feature = "lazy")))]
    let registry = registry.present::<ck_modes::Modes>();
    registry
}

/// The modes chunk's entry: the glue calls it once the chunk is instantiated.
#[cfg(all(feature = "modes", feature = "lazy"))]
#[export_name = "ck_chunk_modes"]
extern "C" fn modes_entry() {
    ck_runtime::register(Registry::new().present::<ck_modes::Modes>());
}

/// Starts the runtime. `api`: API origin; `token`: the script's default embed token (may be
/// empty); `t0`: `performance.now()` when the loader started; `prefetched`: the config manifest
/// requests the loader started in its first wave (URL → `fetch` promise); `need`: the loader's
/// `need(chunk, element)` (see `BootOptions::need`).
#[wasm_bindgen]
pub fn boot(api: String, token: String, t0: f64, prefetched: JsValue, need: JsValue) {
    ck_runtime::boot(
        registry(),
        BootOptions {
            api,
            token: Some(token).filter(|t| !t.is_empty()),
            t0,
            prefetched,
            need,
        },
    );
}

/// One `ck(method, a, b)` call from the page.
#[wasm_bindgen]
pub fn cmd(method: JsValue, a: JsValue, b: JsValue) {
    ck_runtime::command(&method, &a, &b);
}
