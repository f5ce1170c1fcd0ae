//! Clickeen embed runtime: the code that runs on publishers' pages.
//!
//! - [`boot`] finds `[data-ck-widget]` mount points (also later ones, via `MutationObserver`),
//!   parses their attributes ([`parse_mount`]), fetches the config manifest, and mounts each
//!   widget in its own open Shadow root; removed mount points are unmounted.
//! - [`Bus`] is the queue-safe event bus shared with the page's `ck('on' | 'emit', …)`.
//! - The Widget SDK: implement [`Widget`], build the DOM with [`dom`], talk to the API with
//!   [`Http`], register the type in a [`Registry`].
//!
//! Nothing here throws into the host page: bad input becomes a console warning, a
//! `widget:error` event and an error metric.

mod attrs;
pub(crate) mod bindings;
mod boot;
mod bus;
pub mod dom;
mod http;
mod json;
pub mod keys;
pub mod metrics;
mod mount;
mod present;
mod task;
mod util;
mod value;
mod widget;

pub use attrs::{
    has_flag, parse_mount, AttrError, Mode, MountSpec, RawAttrs, Theme, MAX_FLAGS,
    MAX_INLINE_CONFIG,
};
pub use boot::{boot, command, is_mounted, register, BootOptions};
pub use bus::{Bus, Subscription, BUFFER_LIMIT};
pub use http::{Http, HttpError, HttpResult, TIMEOUT_MS};
pub use json::{from_js, to_js};
pub use present::Presenter;
pub use task::{spawn, wait, Wait};
pub use util::Timer;

/// Plain JS objects and properties, the cheap way: one import each (js/dom.js `ckGet` / `ckSet`) serves every shape
/// and every property, where web-sys needs a feature, an import and glue per property.
pub mod js {
    pub use crate::util::{js_object, prop, set_prop, set_str};
}

/// Number formatting without `core::fmt` (which costs a widget kilobytes of wasm).
pub mod fmt {
    pub use crate::util::{push_u32, push_u32_padded};
}
pub use value::Value;
pub use widget::{ConfigError, Instance, MountCtx, Registry, Widget};

/// Re-exported so widget crates use the exact versions the runtime was built with.
pub use {dieter_tokens, js_sys, wasm_bindgen, web_sys};
